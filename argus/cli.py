"""The `argus` command line."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

from argus.config import STATE_DIR, ConfigError, load_config


def _prefect_environment() -> None:
    # Prefect reads its settings at import time; keep its state inside the project and
    # never let it phone home (the machines running Argus may have no internet).
    prefect_home = Path(os.environ.setdefault("PREFECT_HOME", str(STATE_DIR / "prefect")))
    # Prefect creates only the last path component; a fresh clone has no .argus yet.
    prefect_home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The first start of the local API migrates its SQLite database: on a busy two-core
    # machine that takes longer than Prefect's 20-second default.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("DO_NOT_TRACK", "1")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date like 2024-12-31, got {text!r}") from exc


def cmd_db(args: argparse.Namespace) -> int:
    from argus import db

    if args.action == "stop":
        print("embedded PostgreSQL stopped" if db.stop_embedded() else "embedded PostgreSQL is not running")
        return 0
    if args.action == "status":
        if os.environ.get("ARGUS_DATABASE_URL"):
            info = db.connection_info(create=False)
            with info.connect() as conn:
                version = conn.execute("show server_version").fetchone()[0]
            print(f"{info.describe()} (ARGUS_DATABASE_URL), server {version}")
        else:
            state = "running" if db.embedded_running() else "stopped"
            print(f"embedded PostgreSQL in {db.PGDATA}: {state}")
        return 0
    info = db.connection_info()
    if args.action == "start":
        print(f"ready: {info.describe()}")
    elif args.action == "env":
        print(db.render_exports(db.shell_env(info, load_config(args.config))))
    elif args.action == "psql":
        psql = db.psql_binary()
        os.execv(psql, [psql, info.conninfo(), *args.psql_args])
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    load_config(args.config)  # a broken configuration fails here, before any server starts
    _prefect_environment()
    from flows.daily import argus_daily

    summary = argus_daily(config_path=args.config, as_of=args.as_of)
    print()
    print(summary.render())
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    import uuid

    from argus.db import connection_info
    from argus.providers import provider_endpoints
    from extract.pipeline import PROVIDERS, run_extract

    config = load_config(args.config)
    info = connection_info()
    run_id = f"extract-{uuid.uuid4()}"
    with provider_endpoints(config, args.as_of) as (endpoints, through):
        for provider in PROVIDERS:
            started = time.perf_counter()
            result = run_extract(provider, info, endpoints, config, run_id, through)
            print(f"{provider}: {result.total_rows:,} rows in {time.perf_counter() - started:.1f}s {result.rows}")
    return 0


def cmd_market(args: argparse.Namespace) -> int:
    from argus.providers import provider_endpoints

    config = load_config(args.config)
    if config.providers.live:
        raise ConfigError("providers are configured live: the simulated market is only served for the demo")
    with provider_endpoints(config, args.as_of) as (endpoints, through):
        print(f"simulated market published through {through}")
        print(f"  Tushare Pro: pro = ts.pro_api({endpoints.tushare_token!r}); "
              f"pro._DataApi__http_url = {endpoints.tushare_url!r}")
        print(f"  QMT agent:   {endpoints.qmt_url} (bearer token {endpoints.qmt_token!r})")
        print("Ctrl-C stops it.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def cmd_export(args: argparse.Namespace) -> int:
    from argus.db import connection_info
    from exports.qlib import write_snapshot

    config = load_config(args.config)
    snapshot = write_snapshot(connection_info(), config.export.resolved_qlib_dir(), run_ids=[])
    print(f"{snapshot.path}: {snapshot.rows:,} rows, {snapshot.instruments} instruments, "
          f"{snapshot.first_date} .. {snapshot.last_date}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    _prefect_environment()
    from argus.bench import run_benchmark

    print(run_benchmark(load_config(args.config), securities=args.securities, years=args.years,
                        keep=args.keep))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="argus", description="Argus (天枢): A-share market-data warehouse")
    parser.add_argument("--config", help="business configuration (default: config/argus.yml or $ARGUS_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="the warehouse database (embedded unless ARGUS_DATABASE_URL is set)")
    db.add_argument("action", choices=["start", "stop", "status", "env", "psql"])
    db.add_argument("psql_args", nargs=argparse.REMAINDER, help="extra arguments for psql")
    db.set_defaults(handler=cmd_db)

    run = commands.add_parser("run", help="the daily flow: extract, bronze, silver, gold, gates, Qlib export")
    run.add_argument("--as-of", type=_date, help="demo market: the last published trading day")
    run.set_defaults(handler=cmd_run)

    extract = commands.add_parser("extract", help="only load raw data from the providers")
    extract.add_argument("--as-of", type=_date, help="demo market: the last published trading day")
    extract.set_defaults(handler=cmd_extract)

    market = commands.add_parser("market", help="serve the simulated market on loopback")
    market.add_argument("action", choices=["serve"])
    market.add_argument("--as-of", type=_date)
    market.set_defaults(handler=cmd_market)

    export = commands.add_parser("export", help="write a snapshot from gold")
    export.add_argument("target", choices=["qlib"])
    export.set_defaults(handler=cmd_export)

    bench = commands.add_parser("bench", help="time the flow on a simulated market against a plain COPY")
    bench.add_argument("--securities", type=int, default=200)
    bench.add_argument("--years", type=float, default=1.0)
    bench.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    bench.set_defaults(handler=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.config:
        os.environ["ARGUS_CONFIG"] = os.path.abspath(args.config)
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"argus: configuration error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        # Failures a user acts on (a gate, a dbt model, an unreachable provider or database)
        # end with their own report rather than a traceback through Prefect's internals.
        if type(exc).__module__.split(".")[0] not in ("argus", "expectations", "extract", "exports"):
            raise
        print(f"\nargus: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
