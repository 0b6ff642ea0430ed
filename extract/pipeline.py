"""Run a provider's dlt pipeline into `raw_<provider>` and record it in `ops.ingest_runs`."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import dlt

from argus import ops
from argus.config import STATE_DIR, ArgusConfig
from argus.db import ConnectionInfo
from extract.qmt import qmt_source
from extract.tushare import tushare_source


@dataclass(frozen=True)
class Endpoints:
    """Where each provider answers: live services or the simulated market on loopback."""

    tushare_url: str
    tushare_token: str
    qmt_url: str
    qmt_token: str | None = None


@dataclass(frozen=True)
class ExtractResult:
    provider: str
    load_id: str | None
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


PROVIDERS = ("tushare", "qmt")


def configure_dlt() -> None:
    # Arrow tables skip dlt's row normaliser, which would otherwise add the lineage columns
    # every raw row must carry (`_dlt_load_id` back to ops.ingest_runs, `_dlt_id`).
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    dlt.config["normalize.parquet_normalizer.add_dlt_id"] = True
    # Warehouses often have no internet: dlt must not try to send usage events.
    dlt.config["runtime.dlthub_telemetry"] = False


def _pipeline(provider: str, info: ConnectionInfo) -> dlt.Pipeline:
    # Pipeline state (cursors) belongs to one database: keep a state folder per database
    # so a test or benchmark database never inherits the cursors of another.
    where = hashlib.sha1(f"{info.host}:{info.port}/{info.dbname}".encode()).hexdigest()[:12]
    return dlt.pipeline(
        pipeline_name=f"argus_{provider}",
        pipelines_dir=str(STATE_DIR / "dlt" / where),
        destination=dlt.destinations.postgres(credentials=info.dlt_url()),
        dataset_name=f"raw_{provider}",
    )


def _source(provider: str, endpoints: Endpoints, config: ArgusConfig, start: dt.date, end: dt.date):
    if provider == "tushare":
        return tushare_source(start, end, api_url=endpoints.tushare_url, token=endpoints.tushare_token)
    if provider == "qmt":
        return qmt_source(
            start, end, days_per_request=config.extract.qmt_days_per_request,
            agent_url=endpoints.qmt_url, token=endpoints.qmt_token,
        )
    raise ValueError(f"unknown provider {provider!r}; expected one of {PROVIDERS}")


def run_extract(provider: str, info: ConnectionInfo, endpoints: Endpoints, config: ArgusConfig,
                run_id: str, end: dt.date) -> ExtractResult:
    """Load everything new from one provider up to `end`; a rerun loads nothing."""
    configure_dlt()
    start = config.providers.backfill_start or config.market.start_date
    source = _source(provider, endpoints, config, start, end)
    resources = list(source.resources.keys())
    ops.ensure_schema(info)
    ops.record_start(info, run_id, provider, resources, dt.datetime.now(dt.timezone.utc))
    pipeline = _pipeline(provider, info)
    try:
        pipeline.sync_destination()
        load_info = pipeline.run(source, loader_file_format="csv")
        load_info.raise_on_failed_jobs()
    except Exception as exc:
        ops.record_finish(info, run_id, provider, {r: 0 for r in resources}, None, f"{type(exc).__name__}: {exc}")
        raise
    counts = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace.last_normalize_info else {}
    rows = {resource: int(counts.get(resource, 0)) for resource in resources}
    load_id = load_info.loads_ids[-1] if load_info.loads_ids else None
    ops.record_finish(info, run_id, provider, rows, load_id, None)
    return ExtractResult(provider=provider, load_id=load_id, rows=rows)
