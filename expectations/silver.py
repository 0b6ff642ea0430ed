"""Silver rules: the spine, fused bars and their lineage, adjustment factors, cross-source consistency."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.row_conditions import Column

from expectations.context import AssetSpec
from expectations.rules import (
    CODE_REGEX,
    PROVIDERS_PARAMETER,
    Severity,
    at_least,
    between,
    in_set,
    matches,
    no_rows,
    non_empty,
    not_null,
    null,
    parameter,
    positive,
    unique,
    unique_key,
)

SCHEMA = "silver"
DAILY_KEY = ("ts_code", "trade_date")
SPINE = f"{SCHEMA}.slv_security_spine"
FUSED_FIELDS = ("open", "high", "low", "close", "pre_close", "volume", "amount")
ADJ_FACTOR_SOURCES = ["tushare", "derived"]


def _daily_key_rules(prefix: str) -> list[Expectation]:
    return [
        non_empty(f"{prefix}.not_empty"),
        not_null(f"{prefix}.ts_code_not_null", "ts_code"),
        not_null(f"{prefix}.trade_date_not_null", "trade_date"),
        unique_key(f"{prefix}.key_unique", "ts_code", "trade_date"),
        matches(f"{prefix}.ts_code_format", "ts_code", CODE_REGEX),
    ]


def _matches_spine(prefix: str, severity: Severity = "critical") -> Expectation:
    """Grain equals the spine: a full outer join finds rows on either side only."""
    return no_rows(
        f"{prefix}.matches_spine",
        "one row per spine (ts_code, trade_date), no more, no less",
        "select coalesce(b.ts_code, s.ts_code) as ts_code, coalesce(b.trade_date, s.trade_date) as trade_date, "
        "case when b.ts_code is null then 'missing' else 'not in spine' end as problem "
        f"from {{batch}} as b full join {SPINE} as s on s.ts_code = b.ts_code and s.trade_date = b.trade_date "
        "where b.ts_code is null or s.ts_code is null",
        ["ts_code", "trade_date"],
        severity=severity,
    )


def calendar_rules(prefix: str) -> list[Expectation]:
    """A trading calendar: unique, ordered open days whose links and index agree with that order.

    `column_values.increasing` has no SQL implementation in GX, so ordering is checked with
    window functions pushed down to PostgreSQL.
    """
    ordered = (
        "select * from (select trade_date, prev_trade_date, next_trade_date, day_index, "
        "lag(trade_date) over w as lag_date, lead(trade_date) over w as lead_date, "
        "lag(day_index) over w as lag_index from {batch} window w as (order by trade_date)) as ordered where "
    )
    return [
        non_empty(f"{prefix}.not_empty"),
        not_null(f"{prefix}.trade_date_not_null", "trade_date"),
        unique(f"{prefix}.trade_date_unique", "trade_date"),
        not_null(f"{prefix}.day_index_not_null", "day_index"),
        unique(f"{prefix}.day_index_unique", "day_index"),
        at_least(f"{prefix}.prev_before_trade_date", "trade_date", "prev_trade_date", strictly=True),
        at_least(f"{prefix}.next_after_trade_date", "next_trade_date", "trade_date", strictly=True),
        no_rows(f"{prefix}.prev_links_previous_row", "prev_trade_date is the previous open day",
                ordered + "lag_date is not null and prev_trade_date is distinct from lag_date",
                ["trade_date", "prev_trade_date"]),
        no_rows(f"{prefix}.next_links_next_row", "next_trade_date is the next open day",
                ordered + "lead_date is not null and next_trade_date is distinct from lead_date",
                ["trade_date", "next_trade_date"]),
        no_rows(f"{prefix}.day_index_consecutive", "day_index increases by one with each open day",
                ordered + "lag_index is not null and day_index is distinct from lag_index + 1",
                ["trade_date", "day_index"]),
    ]


def _trade_calendar() -> AssetSpec:
    prefix = "slv.trade_calendar"
    rules = [
        *calendar_rules(prefix),
        no_rows(f"{prefix}.open_days_only", "every day is open in the bronze exchange calendar",
                "select trade_date from {batch} where trade_date not in "
                "(select cal_date from bronze.brz_tushare__trade_cal where is_open)",
                ["trade_date"]),
    ]
    return AssetSpec("slv_trade_calendar", f"{SCHEMA}.slv_trade_calendar", ("trade_date",), tuple(rules))


def _security_spine() -> AssetSpec:
    prefix = "slv.security_spine"
    no_bar = Column("has_bar") == False  # noqa: E712 - builds a GX condition, not a bool
    rules = [
        *_daily_key_rules(prefix),
        not_null(f"{prefix}.has_bar_not_null", "has_bar"),
        not_null(f"{prefix}.is_suspended_not_null", "is_suspended"),
        # A listed security without a bar on an open day is suspended (DOMAIN.md).
        in_set(f"{prefix}.no_bar_is_suspended", "is_suspended", [True], where=no_bar),
        no_rows(f"{prefix}.open_day", "every spine day is in the silver calendar",
                "select ts_code, trade_date from {batch} where trade_date not in "
                f"(select trade_date from {SCHEMA}.slv_trade_calendar)",
                ["trade_date"]),
        no_rows(f"{prefix}.within_listing",
                "spine days lie between list_date and delist_date of the security",
                "select b.ts_code, b.trade_date, s.list_date, s.delist_date from {batch} as b "
                "left join bronze.brz_tushare__stock_basic as s on s.ts_code = b.ts_code "
                "where s.ts_code is null or b.trade_date < s.list_date or b.trade_date > s.delist_date",
                ["ts_code", "trade_date"]),
    ]
    return AssetSpec("slv_security_spine", SPINE, DAILY_KEY, tuple(rules))


def _daily_bars_fused() -> AssetSpec:
    prefix = "slv.daily_bars_fused"
    market_sources = parameter(PROVIDERS_PARAMETER["market_data"])
    lineage: list[Expectation] = []
    for field in FUSED_FIELDS:
        source = f"{field}_source"
        lineage += [
            in_set(f"{prefix}.{source}_known", source, market_sources),
            # A value names its winner and a winner names a value: lineage is never half-filled.
            not_null(f"{prefix}.{source}_when_value", source, where=Column(field).is_not_null()),
            null(f"{prefix}.{field}_only_with_source", field, where=Column(source).is_null()),
        ]
    rules = [
        *_daily_key_rules(prefix),
        _matches_spine(prefix),
        *lineage,
        positive(f"{prefix}.close_positive", "close"),
        positive(f"{prefix}.low_positive", "low"),
        at_least(f"{prefix}.high_ge_low", "high", "low"),
        between(f"{prefix}.volume_non_negative", "volume", low=0),
    ]
    return AssetSpec("slv_daily_bars_fused", f"{SCHEMA}.slv_daily_bars_fused", DAILY_KEY, tuple(rules))


def _adj_factor() -> AssetSpec:
    prefix = "slv.adj_factor"
    rules = [
        *_daily_key_rules(prefix),
        not_null(f"{prefix}.adj_factor_not_null", "adj_factor"),
        positive(f"{prefix}.adj_factor_positive", "adj_factor"),
        not_null(f"{prefix}.source_not_null", "adj_factor_source"),
        in_set(f"{prefix}.source_known", "adj_factor_source", ADJ_FACTOR_SOURCES),
        _matches_spine(prefix, severity="warning"),
    ]
    return AssetSpec("slv_adj_factor", f"{SCHEMA}.slv_adj_factor", DAILY_KEY, tuple(rules))


def _valuation_daily() -> AssetSpec:
    prefix = "slv.valuation_daily"
    financial_sources = parameter(PROVIDERS_PARAMETER["financial_data"])
    rules = [
        *_daily_key_rules(prefix),
        in_set(f"{prefix}.pe_ttm_source_known", "pe_ttm_source", financial_sources),
        in_set(f"{prefix}.pb_source_known", "pb_source", financial_sources),
        not_null(f"{prefix}.pe_ttm_source_when_value", "pe_ttm_source", where=Column("pe_ttm").is_not_null()),
        not_null(f"{prefix}.pb_source_when_value", "pb_source", where=Column("pb").is_not_null()),
        positive(f"{prefix}.pb_positive", "pb", severity="warning"),
    ]
    return AssetSpec("slv_valuation_daily", f"{SCHEMA}.slv_valuation_daily", DAILY_KEY, tuple(rules))


def _corporate_actions() -> AssetSpec:
    prefix = "slv.corporate_actions"
    rules = [
        not_null(f"{prefix}.ts_code_not_null", "ts_code"),
        not_null(f"{prefix}.ex_date_not_null", "ex_date"),
        unique_key(f"{prefix}.key_unique", "ts_code", "ex_date"),
        matches(f"{prefix}.ts_code_format", "ts_code", CODE_REGEX),
        between(f"{prefix}.cash_div_tax_non_negative", "cash_div_tax", low=0),
        between(f"{prefix}.stk_bo_rate_non_negative", "stk_bo_rate", low=0),
        between(f"{prefix}.stk_co_rate_non_negative", "stk_co_rate", low=0),
    ]
    return AssetSpec("slv_corporate_actions", f"{SCHEMA}.slv_corporate_actions", ("ts_code", "ex_date"),
                     tuple(rules))


def _close_consistency() -> AssetSpec:
    prefix = "slv.close_consistency"
    rules = [
        *_daily_key_rules(prefix),
        not_null(f"{prefix}.is_consistent_not_null", "is_consistent"),
        between(f"{prefix}.rel_diff_non_negative", "rel_diff", low=0),
        between(f"{prefix}.tolerance_in_unit_range", "tolerance", low=0, high=1, strict_low=True),
        in_set(f"{prefix}.tolerance_from_config", "tolerance", parameter("close_tolerances"), severity="warning"),
        no_rows(f"{prefix}.verdict_matches_tolerance", "is_consistent is exactly rel_diff <= tolerance",
                "select ts_code, trade_date, rel_diff, tolerance, is_consistent from {batch} "
                "where is_consistent is distinct from (rel_diff <= tolerance)",
                ["rel_diff", "tolerance", "is_consistent"]),
    ]
    return AssetSpec("slv_close_consistency", f"{SCHEMA}.slv_close_consistency", DAILY_KEY, tuple(rules))


def _close_consistency_by_day() -> AssetSpec:
    """One row per day: the share of cross-source close pairs that agree."""
    query = (
        "select trade_date, count(*) as pairs, "
        "avg(is_consistent::int) as consistent_share "
        f"from {SCHEMA}.slv_close_consistency group by trade_date"
    )
    rules = (
        between("slv.close_consistency_share_within_gate", "consistent_share",
                low=parameter("min_close_consistency")),
    )
    return AssetSpec("slv_close_consistency_by_day", f"{SCHEMA}.slv_close_consistency", ("trade_date",), rules,
                     query=query)


def assets() -> list[AssetSpec]:
    return [_trade_calendar(), _security_spine(), _daily_bars_fused(), _adj_factor(), _valuation_daily(),
            _corporate_actions(), _close_consistency(), _close_consistency_by_day()]
