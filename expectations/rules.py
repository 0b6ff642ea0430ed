"""Short constructors for the expectations the layer modules repeat.

Every rule carries `meta = {rule_id, severity}`: the gate reads severity from meta to decide
whether a failure blocks the flow, and the rule id is what reports and alerts quote.
Thresholds that come from `config/argus.yml` are suite parameters (`{"$PARAMETER": name}`),
filled in by `gates.suite_parameters` on every run, so the committed suites never go stale.

Pitfalls these helpers avoid:
- `unexpected_rows_query` goes through `str.format`: a literal brace (regex `\\d{6}`) must be
  doubled, and `:name` is a bind parameter for SQLAlchemy's `text()`.
- GX substitutes `{batch}` as `(...) AS subselect` unless the query contains a JOIN, so these
  queries never alias `{batch}`; cross-table checks use `in (select ...)` instead of joins.
"""

from __future__ import annotations

from typing import Literal

import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.row_conditions import Column, Condition

Severity = Literal["critical", "warning"]

PROVIDERS_PARAMETER = {"market_data": "market_data_sources", "financial_data": "financial_data_sources"}
CODE_REGEX = r"^\d{6}\.(SH|SZ|BJ)$"
QLIB_INSTRUMENT_REGEX = r"^(SH|SZ|BJ)\d{6}$"
BOARDS = ["main", "chinext", "star", "bse"]
EXCHANGES = ["SSE", "SZSE", "BSE"]
LIST_STATUSES = ["L", "D", "P"]
# The reasons bronze models write (docs/data_contracts.md); a new one is a warning, not a stop,
# until downstream readers have been told about it.
REJECT_REASONS = [
    "non-positive price",
    "high below low",
    "open/close outside high-low",
    "negative volume",
    "unknown ts_code",
]
VALID_ROW = Column("_reject_reason").is_null()


def parameter(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


def _meta(rule_id: str, severity: Severity, columns: list[str] | None = None) -> dict:
    meta: dict = {"rule_id": rule_id, "severity": severity}
    if columns:
        meta["columns"] = columns
    return meta


def not_null(rule_id: str, column: str, severity: Severity = "critical",
             where: Condition | None = None) -> Expectation:
    return gxe.ExpectColumnValuesToNotBeNull(
        column=column, row_condition=where, meta=_meta(rule_id, severity), severity=severity
    )


def null(rule_id: str, column: str, where: Condition, severity: Severity = "critical") -> Expectation:
    return gxe.ExpectColumnValuesToBeNull(
        column=column, row_condition=where, meta=_meta(rule_id, severity), severity=severity
    )


def unique(rule_id: str, column: str, severity: Severity = "critical") -> Expectation:
    return gxe.ExpectColumnValuesToBeUnique(column=column, meta=_meta(rule_id, severity), severity=severity)


def unique_key(rule_id: str, *columns: str, valid_only: bool = False, severity: Severity = "critical") -> Expectation:
    """A compound key is unique, as one GROUP BY.

    GX's ExpectCompoundColumnsToBeUnique joins the table to its own group counts and then
    rescans it for samples: about 5 s per million rows against well under 1 s for this.
    """
    keys = ", ".join(columns)
    where = "where _reject_reason is null " if valid_only else ""
    return no_rows(rule_id, f"({keys}) identifies a row" + (" among valid rows" if valid_only else ""),
                   f"select {keys}, count(*) as copies from {{batch}} {where}group by {keys} having count(*) > 1",
                   list(columns), severity=severity)


def between(rule_id: str, column: str, *, low: float | dict | None = None, high: float | dict | None = None,
            strict_low: bool = False, severity: Severity = "critical",
            where: Condition | None = None) -> Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value=low, max_value=high, strict_min=strict_low,
        row_condition=where, meta=_meta(rule_id, severity), severity=severity,
    )


def positive(rule_id: str, column: str, severity: Severity = "critical",
             where: Condition | None = None) -> Expectation:
    return between(rule_id, column, low=0, strict_low=True, severity=severity, where=where)


def in_set(rule_id: str, column: str, values: list | dict, severity: Severity = "critical",
           where: Condition | None = None) -> Expectation:
    return gxe.ExpectColumnValuesToBeInSet(
        column=column, value_set=values, row_condition=where, meta=_meta(rule_id, severity), severity=severity
    )


def matches(rule_id: str, column: str, regex: str, severity: Severity = "critical") -> Expectation:
    return gxe.ExpectColumnValuesToMatchRegex(
        column=column, regex=regex, meta=_meta(rule_id, severity), severity=severity
    )


def at_least(rule_id: str, larger: str, smaller: str, severity: Severity = "critical",
             where: Condition | None = None, strictly: bool = False) -> Expectation:
    """`larger >= smaller` on every row where both are present."""
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=larger, column_B=smaller, or_equal=not strictly, ignore_row_if="either_value_is_missing",
        row_condition=where, meta=_meta(rule_id, severity), severity=severity,
    )


def non_empty(rule_id: str, severity: Severity = "critical") -> Expectation:
    return gxe.ExpectTableRowCountToBeBetween(min_value=1, meta=_meta(rule_id, severity), severity=severity)


def no_rows(rule_id: str, description: str, query: str, columns: list[str],
            severity: Severity = "critical") -> Expectation:
    """A rule no row may break, written as the SQL selecting the rows that break it.

    The query selects the relation's key columns first so sampled failures name their rows.
    """
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=query, description=description,
        meta=_meta(rule_id, severity, columns), severity=severity,
    )


def within_widest_limit(rule_id: str, bars: str, securities: str, sessions: str) -> Expectation:
    """Closes within ±31% of pre_close (the widest board limit, BSE ±30%, plus rounding).

    A listing's first five sessions trade without a limit, so they are exempt. `bars` is the
    SQL condition selecting real bars on alias `b`; `sessions` is a query counting open days
    from `s.list_date` to `b.trade_date`.
    """
    return no_rows(
        rule_id,
        "closes within ±31% of pre_close (the widest daily limit) after a listing's first five sessions",
        "select b.ts_code, b.trade_date, b.close, b.pre_close from {batch} b "
        f"join {securities} s on s.ts_code = b.ts_code "
        f"where {bars} and b.pre_close > 0 and abs(b.close / b.pre_close - 1) > 0.31 "
        f"and ({sessions}) > 5",
        ["close", "pre_close"],
        severity="warning",
    )
