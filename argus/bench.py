"""`make bench`: the daily flow on a simulated market of a given size, against a plain COPY.

Every stage is reported in seconds, rows per second and as a multiple of the time
PostgreSQL needs to `COPY` the same raw rows into the same database, so results
from different machines compare as ratios.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import resource
import time

import yaml
from psycopg import sql

from argus import db
from argus.config import STATE_DIR, ArgusConfig
from argus.summary import RunSummary

BENCH_DATABASE = "argus_bench"
RAW_TABLES = (
    ("raw_tushare", "daily"), ("raw_tushare", "adj_factor"), ("raw_tushare", "daily_basic"),
    ("raw_tushare", "stock_basic"), ("raw_tushare", "trade_cal"), ("raw_tushare", "dividend"),
    ("raw_qmt", "daily_bars"),
)


def _bench_config(config: ArgusConfig, securities: int, years: float) -> ArgusConfig:
    end = config.market.end_date
    start = end - dt.timedelta(days=round(365.25 * years))
    scaled = config.with_market(securities=securities, start_date=start, end_date=end, as_of=None)
    return scaled.model_copy(update={"export": scaled.export.model_copy(
        update={"qlib_dir": STATE_DIR / "bench" / "qlib"})})


def copy_baseline(info: db.ConnectionInfo) -> tuple[float, int]:
    """Seconds to COPY every raw row into fresh tables of the same database, and the row count."""
    seconds, rows = 0.0, 0
    with info.connect(autocommit=True) as conn:
        conn.execute("drop schema if exists bench_copy cascade; create schema bench_copy")
        for schema, table in RAW_TABLES:
            source = sql.Identifier(schema, table)
            target = sql.Identifier("bench_copy", table)
            conn.execute(sql.SQL("create table {} (like {})").format(target, source))
            payload = io.BytesIO()
            with conn.cursor().copy(sql.SQL("copy {} to stdout").format(source)) as copy:
                for chunk in copy:
                    payload.write(chunk)
            data = payload.getvalue()
            started = time.perf_counter()
            with conn.cursor().copy(sql.SQL("copy {} from stdin").format(target)) as copy:
                copy.write(data)
            seconds += time.perf_counter() - started
            rows += conn.execute(sql.SQL("select count(*) from {}").format(target)).fetchone()[0]
        conn.execute("drop schema bench_copy cascade")
    return seconds, rows


def _stage_rows(summary: RunSummary, stage: str) -> int:
    kind, _, name = stage.partition(" ")
    if kind == "extract":
        return summary.extracted_rows.get(name, 0)
    if kind in ("dbt", "gate"):
        rows = sum(summary.layer_rows.get(name, {}).values())
        return rows + (sum(summary.layer_rows.get("quarantine", {}).values()) if name == "bronze" else 0)
    if kind == "export":
        return summary.snapshot_rows
    return 0


def render(summary: RunSummary, copy_seconds: float, copy_rows: int, securities: int, years: float) -> str:
    lines = [
        f"Argus benchmark: {securities} securities x {years:g} years, market as of {summary.as_of}",
        f"baseline: plain COPY of {copy_rows:,} raw rows took {copy_seconds:.2f}s "
        f"({copy_rows / copy_seconds:,.0f} rows/s)",
        "",
        f"{'stage':<16}{'seconds':>10}{'rows':>14}{'rows/s':>14}{'x COPY':>10}",
    ]
    for stage, seconds in summary.stage_seconds.items():
        rows = _stage_rows(summary, stage)
        rate = f"{rows / seconds:,.0f}" if rows and seconds > 0 else "-"
        lines.append(f"{stage:<16}{seconds:>10.2f}{rows:>14,}{rate:>14}{seconds / copy_seconds:>10.1f}")
    total = sum(summary.stage_seconds.values())
    lines.append(f"{'total':<16}{total:>10.2f}{'':>14}{'':>14}{total / copy_seconds:>10.1f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(f"peak memory of this process: {peak_mb:,.0f} MB")
    return "\n".join(lines)


def run_benchmark(config: ArgusConfig, securities: int, years: float, keep: bool = False) -> str:
    from flows.daily import argus_daily

    bench_config = _bench_config(config, securities, years)
    config_path = STATE_DIR / "bench" / "argus.yml"
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(yaml.safe_dump(bench_config.model_dump(mode="json"), sort_keys=False))

    server = db.connection_info()
    info = server.with_database(BENCH_DATABASE)
    db.drop_database(info)
    db.ensure_database(info)
    previous_url = os.environ.get("ARGUS_DATABASE_URL")
    os.environ["ARGUS_DATABASE_URL"] = info.url()
    try:
        summary = argus_daily(config_path=str(config_path))
        copy_seconds, copy_rows = copy_baseline(info)
    finally:
        if previous_url is None:
            os.environ.pop("ARGUS_DATABASE_URL", None)
        else:
            os.environ["ARGUS_DATABASE_URL"] = previous_url
        if not keep:
            db.drop_database(info)
    return render(summary, copy_seconds, copy_rows, securities, years)
