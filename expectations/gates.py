"""Layer gates: run a layer's checkpoint and turn GX's results into a verdict the flow acts on.

    result = run_gate("bronze", info, config)   # GateResult, never raises on bad data
    enforce(result)                             # raises GateFailed on any critical failure

Only `severity: critical` failures fail a gate; warnings are counted and reported.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from great_expectations.core.expectation_validation_result import ExpectationValidationResult
from great_expectations.datasource.fluent.interfaces import Batch
from psycopg.rows import dict_row

from argus.config import ArgusConfig
from argus.db import ConnectionInfo
from expectations.context import GX_PROJECT_ROOT, SAMPLE_ROWS, AssetSpec, open_context
from expectations.rules import PROVIDERS_PARAMETER
from expectations.suites import build_layer, layer_assets, suite_name


@dataclass(frozen=True)
class GateFailure:
    """One failed rule: where, what and a few of the offending rows."""

    rule_id: str
    severity: str
    expectation_type: str
    table: str
    columns: tuple[str, ...]
    unexpected_count: int | None
    rows: tuple[dict[str, Any], ...] = ()
    observed_value: Any = None
    error: str | None = None

    def describe(self) -> str:
        where = f"{self.table} ({', '.join(self.columns)})" if self.columns else self.table
        head = f"[{self.severity}] {self.rule_id} on {where}: {self.expectation_type}"
        if self.error:
            return f"{head} could not be evaluated: {self.error}"
        if self.unexpected_count is not None:
            head += f", {self.unexpected_count} unexpected row(s)"
        elif self.observed_value is not None:
            head += f", observed {self.observed_value!r}"
        lines = [head] + ["    " + ", ".join(f"{k}={v}" for k, v in row.items()) for row in self.rows]
        return "\n".join(lines)


@dataclass(frozen=True)
class GateResult:
    layer: str
    passed: bool
    evaluated: int
    failed_critical: int
    failed_warning: int
    seconds: float
    failures: tuple[GateFailure, ...] = field(default=())

    def report(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        head = (f"{self.layer} gate {verdict}: {self.evaluated} expectations, "
                f"{self.failed_critical} critical and {self.failed_warning} warning failures "
                f"({self.seconds:.1f} s)")
        return "\n".join([head, *(failure.describe() for failure in self.failures)])


class GateFailed(Exception):
    """A layer's data broke at least one critical rule; the message is the full report."""

    def __init__(self, result: GateResult) -> None:
        super().__init__(result.report())
        self.result = result


def suite_parameters(config: ArgusConfig) -> dict[str, Any]:
    """The `$PARAMETER` values the suites read: every threshold comes from config/argus.yml."""
    return {
        "max_reject_ratio": config.gates.max_reject_ratio,
        "min_close_consistency": config.gates.min_close_consistency,
        PROVIDERS_PARAMETER["market_data"]: list(config.source_priority.market_data),
        PROVIDERS_PARAMETER["financial_data"]: list(config.source_priority.financial_data),
        "close_tolerances": [config.consistency.close_rel_tol, config.consistency.close_rel_tol_volatile],
    }


def run_gate(layer: str, info: ConnectionInfo, config: ArgusConfig, *,
             project_root: Path = GX_PROJECT_ROOT, build_docs: bool = False) -> GateResult:
    """Run `layer`'s checkpoint against the warehouse at `info`; Data Docs only when asked."""
    specs = {suite_name(layer, spec): spec for spec in layer_assets(layer)}
    context = open_context(info, project_root)
    checkpoint = build_layer(context, layer)
    batches = {definition.suite.name: definition.data for definition in checkpoint.validation_definitions}
    parameters = suite_parameters(config)
    started = time.perf_counter()
    outcome = checkpoint.run(expectation_parameters=parameters)
    failures: list[GateFailure] = []
    evaluated = 0
    for suite_result in outcome.run_results.values():
        spec = specs[suite_result.suite_name]
        failed = [r for r in suite_result.results if not r.success]
        evaluated += len(suite_result.results)
        if failed:
            batch = batches[suite_result.suite_name].get_batch()
            failures += [_failure(result, spec, batch, parameters, info) for result in failed]
    seconds = time.perf_counter() - started
    _prune_validation_results(project_root, config.gates.keep_validation_runs)
    if build_docs:
        context.build_data_docs()
    failures.sort(key=lambda f: (f.severity != "critical", f.table, f.rule_id))
    critical = sum(f.severity == "critical" for f in failures)
    return GateResult(layer=layer, passed=critical == 0, evaluated=evaluated, failed_critical=critical,
                      failed_warning=len(failures) - critical, seconds=seconds, failures=tuple(failures))


def _prune_validation_results(project_root: Path, keep: int) -> None:
    """GX keeps every run's results (uncommitted/validations/<layer>/<table>/<run>/<time>/);
    a daily flow would grow that folder without end, so only the newest `keep` stay."""
    for run_folder in (project_root / "gx" / "uncommitted" / "validations").glob("*/*/*"):
        runs = sorted(p for p in run_folder.iterdir() if p.is_dir())
        for stale in runs[:-keep] if keep else runs:
            shutil.rmtree(stale, ignore_errors=True)


def enforce(result: GateResult) -> GateResult:
    if not result.passed:
        raise GateFailed(result)
    return result


def _failure(outcome: ExpectationValidationResult, spec: AssetSpec, batch: Batch,
             parameters: dict[str, Any], info: ConnectionInfo) -> GateFailure:
    """Details for one failed rule, fetched only now: the checkpoint ran BOOLEAN_ONLY."""
    config = outcome.expectation_config
    meta = config.meta or {}
    kwargs = config.kwargs
    columns = meta.get("columns") or [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)]
    # A rule GX could not evaluate (a missing table or column) must not pass silently; it
    # counts with the rule's own severity.
    error = _error(outcome.exception_info or {})
    unexpected: int | None = None
    observed: Any = None
    rows: list[dict[str, Any]] = []
    if error is None and config.type == "unexpected_rows_expectation":
        unexpected, rows = _sample_unexpected_rows(kwargs["unexpected_rows_query"], spec, info)
    elif error is None:
        detail = batch.validate(config.to_domain_obj(), result_format=spec.detail_format(),
                                expectation_parameters=parameters)
        details = detail.result or {}
        unexpected = details.get("unexpected_count")
        observed = details.get("observed_value")
        rows = _rows(details, columns)
        error = _error(detail.exception_info or {})
    return GateFailure(
        rule_id=meta.get("rule_id", config.type),
        severity=meta.get("severity", "critical"),
        expectation_type=config.type,
        table=spec.relation,
        columns=tuple(columns),
        unexpected_count=unexpected,
        rows=tuple(rows[:SAMPLE_ROWS]),
        observed_value=observed,
        error=error,
    )


def _error(exception_info: dict[str, Any]) -> str | None:
    """The first line of GX's error, which comes flat or keyed by the metric that raised it."""
    infos = [exception_info, *(v for v in exception_info.values() if isinstance(v, dict))]
    for info in infos:
        if info.get("raised_exception") or info.get("exception_message"):
            return str(info.get("exception_message") or "unknown error").strip().splitlines()[0]
    return None


def _rows(details: dict[str, Any], columns: list[str]) -> list[dict[str, Any]]:
    """Failing rows as dicts of the relation's key columns plus the checked values."""
    if details.get("partial_unexpected_index_list"):
        return list(details["partial_unexpected_index_list"])
    rows: list[dict[str, Any]] = []
    for value in details.get("partial_unexpected_list") or []:
        if isinstance(value, dict):
            row = dict(value)
        elif isinstance(value, (tuple, list)):
            row = dict(zip(columns, value))
        else:
            row = {columns[0] if columns else "value": value}
        if row not in rows:
            rows.append(row)
    return rows


def _sample_unexpected_rows(query: str, spec: AssetSpec, info: ConnectionInfo) -> tuple[int, list[dict]]:
    """How many rows an UnexpectedRowsExpectation found, and the first few.

    GX returns those rows only under COMPLETE, through a client-side cursor that buffers the
    whole result; one LIMITed query with a window count stays small however many rows fail.
    Only table assets carry these rules, for which GX's `{batch}` is the relation itself.
    """
    sql = (f"select failing.*, count(*) over () as _unexpected_total "
           f"from ({query.format(batch=spec.relation)}) as failing limit {SAMPLE_ROWS}")
    with info.connect() as conn, conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(sql)
        rows = [dict(row) for row in cursor.fetchall()]
    total = rows[0]["_unexpected_total"] if rows else 0
    return total, [{k: v for k, v in row.items() if k != "_unexpected_total"} for row in rows]
