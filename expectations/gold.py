"""Gold rules: the contracts readers rely on (fct_daily_bar, dim_security, the calendar, the Qlib view)."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.row_conditions import Column

from expectations.context import AssetSpec
from expectations.rules import (
    BOARDS,
    CODE_REGEX,
    EXCHANGES,
    LIST_STATUSES,
    PROVIDERS_PARAMETER,
    QLIB_INSTRUMENT_REGEX,
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
    within_widest_limit,
)
from expectations.silver import ADJ_FACTOR_SOURCES, FUSED_FIELDS, calendar_rules

SCHEMA = "gold"
DIM_SECURITY = f"{SCHEMA}.dim_security"
PRICES = ("open", "high", "low", "close")
# hfq = raw × factor is an identity; the slack only absorbs a model that rounds hfq to the fen
# (0.005 CNY) and float error on large factors, never a wrong factor.
HFQ_ABS_TOL = 0.005
HFQ_REL_TOL = 1e-9


def _fct_daily_bar() -> AssetSpec:
    prefix = "fct.daily_bar"
    trading = Column("is_suspended") == False  # noqa: E712 - builds a GX condition, not a bool
    suspended = Column("is_suspended") == True  # noqa: E712
    market_sources = parameter(PROVIDERS_PARAMETER["market_data"])
    financial_sources = parameter(PROVIDERS_PARAMETER["financial_data"])
    hfq_broken = " or ".join(
        f"abs({p}_hfq - {p} * adj_factor) > {HFQ_ABS_TOL} + {HFQ_REL_TOL} * abs({p} * adj_factor)"
        f" or ({p}_hfq is null) <> ({p} is null)"
        for p in PRICES
    )
    rules: list[Expectation] = [
        non_empty(f"{prefix}.not_empty"),
        not_null(f"{prefix}.ts_code_not_null", "ts_code"),
        not_null(f"{prefix}.trade_date_not_null", "trade_date"),
        unique_key(f"{prefix}.key_unique", "ts_code", "trade_date"),
        matches(f"{prefix}.ts_code_format", "ts_code", CODE_REGEX),
        not_null(f"{prefix}.is_suspended_not_null", "is_suspended"),
        not_null(f"{prefix}.load_id_not_null", "_load_id"),
        *(not_null(f"{prefix}.trading_has_{p}", p, where=trading) for p in (*PRICES, "volume")),
        *(null(f"{prefix}.suspended_has_no_{p}", p, where=suspended) for p in PRICES),
        *(positive(f"{prefix}.{p}_positive", p) for p in PRICES),
        at_least(f"{prefix}.high_ge_low", "high", "low"),
        at_least(f"{prefix}.high_ge_open", "high", "open"),
        at_least(f"{prefix}.high_ge_close", "high", "close"),
        at_least(f"{prefix}.open_ge_low", "open", "low"),
        at_least(f"{prefix}.close_ge_low", "close", "low"),
        between(f"{prefix}.volume_non_negative", "volume", low=0),
        between(f"{prefix}.amount_non_negative", "amount", low=0),
        not_null(f"{prefix}.adj_factor_not_null", "adj_factor"),
        positive(f"{prefix}.adj_factor_positive", "adj_factor"),
        in_set(f"{prefix}.adj_factor_source_known", "adj_factor_source", ADJ_FACTOR_SOURCES),
        no_rows(f"{prefix}.hfq_is_raw_times_factor", "open/high/low/close_hfq = raw × adj_factor",
                "select ts_code, trade_date, close, adj_factor, close_hfq, open_hfq, high_hfq, low_hfq from {batch} "
                f"where {hfq_broken}",
                [f"{p}_hfq" for p in PRICES]),
        *(in_set(f"{prefix}.{field}_source_known", f"{field}_source", market_sources) for field in FUSED_FIELDS),
        in_set(f"{prefix}.pe_ttm_source_known", "pe_ttm_source", financial_sources),
        in_set(f"{prefix}.pb_source_known", "pb_source", financial_sources),
        # Tushare leaves pe_ttm null for loss makers; beyond these bounds a unit has gone wrong.
        between(f"{prefix}.pe_ttm_range", "pe_ttm", low=0, high=100_000, strict_low=True, severity="warning"),
        between(f"{prefix}.pb_range", "pb", low=0, high=10_000, strict_low=True, severity="warning"),
        no_rows(f"{prefix}.ts_code_in_dim_security", "every bar names a security in dim_security",
                "select ts_code, trade_date from {batch} where ts_code not in "
                f"(select ts_code from {DIM_SECURITY})",
                ["ts_code"]),
        no_rows(f"{prefix}.trade_date_in_calendar", "every bar falls on a day of dim_trade_calendar",
                "select ts_code, trade_date from {batch} where trade_date not in "
                f"(select trade_date from {SCHEMA}.dim_trade_calendar)",
                ["trade_date"]),
        within_widest_limit(
            f"{prefix}.close_within_widest_limit", "not b.is_suspended", DIM_SECURITY,
            f"select count(*) from {SCHEMA}.dim_trade_calendar c where c.trade_date between s.list_date and b.trade_date",
        ),
    ]
    return AssetSpec("fct_daily_bar", f"{SCHEMA}.fct_daily_bar", ("ts_code", "trade_date"), tuple(rules))


def _dim_security() -> AssetSpec:
    prefix = "dim.security"
    delisted = Column("list_status") == "D"
    rules = [
        non_empty(f"{prefix}.not_empty"),
        not_null(f"{prefix}.ts_code_not_null", "ts_code"),
        unique(f"{prefix}.ts_code_unique", "ts_code"),
        matches(f"{prefix}.ts_code_format", "ts_code", CODE_REGEX),
        not_null(f"{prefix}.qlib_instrument_not_null", "qlib_instrument"),
        unique(f"{prefix}.qlib_instrument_unique", "qlib_instrument"),
        matches(f"{prefix}.qlib_instrument_format", "qlib_instrument", QLIB_INSTRUMENT_REGEX),
        no_rows(f"{prefix}.qlib_instrument_matches_ts_code", "qlib_instrument is ts_code as SH600519",
                "select ts_code, qlib_instrument from {batch} where qlib_instrument "
                "is distinct from split_part(ts_code, '.', 2) || split_part(ts_code, '.', 1)",
                ["ts_code", "qlib_instrument"]),
        not_null(f"{prefix}.list_date_not_null", "list_date"),
        at_least(f"{prefix}.list_date_le_delist_date", "delist_date", "list_date"),
        not_null(f"{prefix}.delisted_has_delist_date", "delist_date", where=delisted),
        in_set(f"{prefix}.board_known", "board", BOARDS),
        in_set(f"{prefix}.exchange_known", "exchange", EXCHANGES),
        in_set(f"{prefix}.list_status_known", "list_status", LIST_STATUSES),
        not_null(f"{prefix}.is_st_not_null", "is_st"),
        not_null(f"{prefix}.name_not_null", "name", severity="warning"),
        # Accepts the limit as a percent (10) or a fraction (0.1); both stay within BSE's 30.
        between(f"{prefix}.price_limit_pct_range", "price_limit_pct", low=0, high=30, strict_low=True),
    ]
    return AssetSpec("dim_security", DIM_SECURITY, ("ts_code",), tuple(rules))


def _dim_trade_calendar() -> AssetSpec:
    return AssetSpec("dim_trade_calendar", f"{SCHEMA}.dim_trade_calendar", ("trade_date",),
                     tuple(calendar_rules("dim.trade_calendar")))


def _qlib_daily_pv() -> AssetSpec:
    prefix = "qlib.daily_pv"
    rules = (
        non_empty(f"{prefix}.not_empty"),
        not_null(f"{prefix}.instrument_not_null", "instrument"),
        not_null(f"{prefix}.datetime_not_null", "datetime"),
        unique_key(f"{prefix}.key_unique", "instrument", "datetime"),
        matches(f"{prefix}.instrument_format", "instrument", QLIB_INSTRUMENT_REGEX),
        no_rows(f"{prefix}.instrument_in_dim_security", "every instrument is a dim_security qlib_instrument",
                "select instrument, datetime from {batch} where instrument not in "
                f"(select qlib_instrument from {DIM_SECURITY} where qlib_instrument is not null)",
                ["instrument"]),
        positive(f"{prefix}.factor_positive", "$factor"),
        positive(f"{prefix}.close_positive", "$close"),
        at_least(f"{prefix}.high_ge_low", "$high", "$low"),
        between(f"{prefix}.volume_non_negative", "$volume", low=0),
    )
    return AssetSpec("qlib_daily_pv", f"{SCHEMA}.qlib_daily_pv", ("instrument", "datetime"), rules)


def assets() -> list[AssetSpec]:
    return [_fct_daily_bar(), _dim_security(), _dim_trade_calendar(), _qlib_daily_pv()]
