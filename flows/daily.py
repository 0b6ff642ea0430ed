"""The daily Argus flow, run after the close on every trading day."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from argus.calendar import is_trading_day
from argus.config import ArgusConfig, load_config
from argus.db import ConnectionInfo, connection_info
from argus.dbt import DbtStageResult, build_stage
from argus.providers import provider_endpoints
from argus.summary import RunSummary, layer_row_counts
from expectations.gates import GateResult, enforce, run_gate
from exports.qlib import QlibSnapshot, write_snapshot
from extract.pipeline import PROVIDERS, Endpoints, ExtractResult, run_extract


@task(name="extract", cache_policy=NO_CACHE, log_prints=True)
def extract_provider(provider: str, info: ConnectionInfo, endpoints: Endpoints, config: ArgusConfig,
                     run_id: str, end: dt.date) -> ExtractResult:
    result = run_extract(provider, info, endpoints, config, run_id, end)
    print(f"extract {provider}: {result.total_rows:,} rows ({result.rows})")
    return result


@task(name="dbt-build", cache_policy=NO_CACHE, log_prints=True)
def dbt_layer(stage: str, info: ConnectionInfo, config: ArgusConfig) -> DbtStageResult:
    result = build_stage(stage, info, config)
    print(f"dbt {stage}: {result.models} models, {result.tests} tests, {result.warnings} warnings")
    return result


@task(name="gate", cache_policy=NO_CACHE, log_prints=True)
def gate(layer: str, info: ConnectionInfo, config: ArgusConfig) -> GateResult:
    result = run_gate(layer, info, config)
    print(f"gate {layer}: {'passed' if result.passed else 'FAILED'} "
          f"({result.evaluated} rules, {result.seconds:.1f}s)")
    for failure in result.failures:
        if failure.severity != "critical":
            print(f"warning {failure.rule_id} on {failure.table}: {failure.unexpected_count} rows")
    return enforce(result)


@task(name="export-qlib", cache_policy=NO_CACHE, log_prints=True)
def export_qlib(info: ConnectionInfo, config: ArgusConfig, run_ids: list[str]) -> QlibSnapshot:
    snapshot = write_snapshot(info, config.export.resolved_qlib_dir(), run_ids)
    print(f"qlib snapshot: {snapshot.path} ({snapshot.rows:,} rows)")
    return snapshot


@flow(name="argus-daily", log_prints=True)
def argus_daily(config_path: str | None = None, as_of: dt.date | None = None,
                only_on_trading_days: bool = False) -> RunSummary | None:
    """Extract → dbt bronze → gate → dbt silver → gate → dbt gold → gate → Qlib export.

    Extract tasks retry as configured; a failing critical expectation stops the
    flow before the export and names the rule and rows that failed.
    """
    logger = get_run_logger()
    config = load_config(config_path)
    today = dt.datetime.now(ZoneInfo(config.schedule.timezone)).date()
    if only_on_trading_days and not is_trading_day(today):
        logger.info("%s is not an SSE trading day: nothing to do", today)
        return None
    run_id = str(flow_run.id or uuid.uuid4())
    info = connection_info()
    summary = RunSummary(run_id=run_id, as_of="")
    started = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal started
        now = time.perf_counter()
        summary.stage_seconds[stage] = summary.stage_seconds.get(stage, 0.0) + now - started
        started = now

    with provider_endpoints(config, as_of) as (endpoints, through):
        summary.as_of = through.isoformat()
        lap("providers")
        extract = extract_provider.with_options(
            retries=config.extract.retries, retry_delay_seconds=config.extract.retry_delay_seconds
        )
        for provider in PROVIDERS:
            result = extract(provider, info, endpoints, config, run_id, through)
            summary.extracted_rows[provider] = result.total_rows
            lap(f"extract {provider}")

    for layer in ("bronze", "silver", "gold"):
        dbt_layer(layer, info, config)
        lap(f"dbt {layer}")
        checked = gate(layer, info, config)
        warned = f", {checked.failed_warning} warnings" if checked.failed_warning else ""
        summary.gates[layer] = f"passed ({checked.evaluated} rules{warned})"
        lap(f"gate {layer}")

    snapshot = export_qlib(info, config, [run_id])
    summary.snapshot = str(snapshot.path)
    summary.snapshot_rows = snapshot.rows
    lap("export qlib")
    summary.layer_rows = layer_row_counts(info)
    return summary
