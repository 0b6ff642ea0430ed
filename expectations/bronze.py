"""Bronze rules: typed provider rows, row rules on valid rows, reject ratio within the gate."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.row_conditions import Column, Condition

from expectations.context import AssetSpec
from expectations.rules import (
    BOARDS,
    CODE_REGEX,
    EXCHANGES,
    LIST_STATUSES,
    REJECT_REASONS,
    VALID_ROW,
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

SCHEMA = "bronze"
DAILY_KEY = ("ts_code", "trade_date")
CALENDAR = f"{SCHEMA}.brz_tushare__trade_cal"
SECURITIES = f"{SCHEMA}.brz_tushare__stock_basic"
# The models whose rows may carry a `_reject_reason` (docs/data_contracts.md).
REJECTING_MODELS = ("brz_tushare__daily", "brz_qmt__daily", "brz_tushare__adj_factor", "brz_tushare__daily_basic")


def _keyed_daily_rules(prefix: str) -> list[Expectation]:
    """What every (ts_code, trade_date) bronze model promises, rejected rows included or not."""
    return [
        non_empty(f"{prefix}.not_empty"),
        not_null(f"{prefix}.ts_code_not_null", "ts_code"),
        not_null(f"{prefix}.trade_date_not_null", "trade_date"),
        not_null(f"{prefix}.load_id_not_null", "_load_id"),
        unique_key(f"{prefix}.key_unique", "ts_code", "trade_date", valid_only=True),
        matches(f"{prefix}.ts_code_format", "ts_code", CODE_REGEX),
        in_set(f"{prefix}.reject_reason_known", "_reject_reason", REJECT_REASONS, severity="warning"),
        no_rows(
            f"{prefix}.trade_date_open_day",
            "valid rows fall on an open day of the exchange calendar",
            "select ts_code, trade_date from {batch} where _reject_reason is null and trade_date "
            f"not in (select cal_date from {CALENDAR} where is_open)",
            ["trade_date"],
        ),
        no_rows(
            f"{prefix}.ts_code_known",
            "valid rows name a security in stock_basic",
            "select ts_code, trade_date from {batch} where _reject_reason is null and ts_code "
            f"not in (select ts_code from {SECURITIES})",
            ["ts_code"],
        ),
    ]


def _bar_rules(prefix: str, bar: Condition = VALID_ROW,
               bar_sql: str = "b._reject_reason is null") -> list[Expectation]:
    """OHLCV row rules; bronze keeps broken rows, so these apply to valid bars only.

    `bar` selects the bars as a GX condition and `bar_sql` as SQL on the alias `b`.
    """
    prices = [positive(f"{prefix}.{field}_positive", field, where=bar)
              for field in ("open", "high", "low", "close")]
    return [
        *_keyed_daily_rules(prefix),
        *prices,
        positive(f"{prefix}.pre_close_positive", "pre_close", where=bar),
        not_null(f"{prefix}.close_not_null", "close", where=bar),
        at_least(f"{prefix}.high_ge_low", "high", "low", where=bar),
        at_least(f"{prefix}.high_ge_open", "high", "open", where=bar),
        at_least(f"{prefix}.high_ge_close", "high", "close", where=bar),
        at_least(f"{prefix}.open_ge_low", "open", "low", where=bar),
        at_least(f"{prefix}.close_ge_low", "close", "low", where=bar),
        between(f"{prefix}.volume_non_negative", "volume", low=0, where=bar),
        between(f"{prefix}.amount_non_negative", "amount", low=0, where=bar),
        within_widest_limit(
            f"{prefix}.close_within_widest_limit", bar_sql, SECURITIES,
            f"select count(*) from {CALENDAR} c where c.is_open and c.cal_date between s.list_date and b.trade_date",
        ),
    ]


def _tushare_daily() -> AssetSpec:
    return AssetSpec("brz_tushare__daily", f"{SCHEMA}.brz_tushare__daily", DAILY_KEY,
                     tuple(_bar_rules("brz.tushare_daily")))


def _qmt_daily() -> AssetSpec:
    prefix = "brz.qmt_daily"
    suspended = Column("is_suspended") == True  # noqa: E712 - builds a GX condition, not a bool
    traded = Column("is_suspended") == False  # noqa: E712
    rules = [
        # QMT sends a zero-volume row on a suspended day; bronze keeps it as a marker without prices.
        *_bar_rules(prefix, VALID_ROW & traded, "b._reject_reason is null and not b.is_suspended"),
        null(f"{prefix}.suspended_has_no_close", "close", where=suspended),
        not_null(f"{prefix}.is_suspended_not_null", "is_suspended"),
        # QMT reports a suspended day as a zero-volume bar; anything traded is not a suspension.
        between(f"{prefix}.suspended_no_volume", "volume", low=0, high=0, where=suspended),
    ]
    return AssetSpec("brz_qmt__daily", f"{SCHEMA}.brz_qmt__daily", DAILY_KEY, tuple(rules))


def _adj_factor() -> AssetSpec:
    prefix = "brz.adj_factor"
    rules = [
        *_keyed_daily_rules(prefix),
        not_null(f"{prefix}.adj_factor_not_null", "adj_factor", where=VALID_ROW),
        positive(f"{prefix}.adj_factor_positive", "adj_factor", where=VALID_ROW),
    ]
    return AssetSpec("brz_tushare__adj_factor", f"{SCHEMA}.brz_tushare__adj_factor", DAILY_KEY, tuple(rules))


def _daily_basic() -> AssetSpec:
    prefix = "brz.daily_basic"
    rules = [
        *_keyed_daily_rules(prefix),
        positive(f"{prefix}.pb_positive", "pb", severity="warning", where=VALID_ROW),
        positive(f"{prefix}.pe_ttm_positive", "pe_ttm", severity="warning", where=VALID_ROW),
        between(f"{prefix}.turnover_rate_pct", "turnover_rate", low=0, high=100, severity="warning",
                where=VALID_ROW),
        positive(f"{prefix}.total_share_positive", "total_share", where=VALID_ROW),
        at_least(f"{prefix}.float_le_total_share", "total_share", "float_share", where=VALID_ROW),
        positive(f"{prefix}.total_mv_positive", "total_mv", where=VALID_ROW),
        at_least(f"{prefix}.circ_le_total_mv", "total_mv", "circ_mv", where=VALID_ROW),
    ]
    return AssetSpec("brz_tushare__daily_basic", f"{SCHEMA}.brz_tushare__daily_basic", DAILY_KEY, tuple(rules))


def _stock_basic() -> AssetSpec:
    prefix = "brz.stock_basic"
    delisted = Column("list_status") == "D"
    rules = [
        non_empty(f"{prefix}.not_empty"),
        not_null(f"{prefix}.ts_code_not_null", "ts_code"),
        unique(f"{prefix}.ts_code_unique", "ts_code"),
        matches(f"{prefix}.ts_code_format", "ts_code", CODE_REGEX),
        in_set(f"{prefix}.board_known", "board", BOARDS),
        in_set(f"{prefix}.exchange_known", "exchange", EXCHANGES),
        in_set(f"{prefix}.list_status_known", "list_status", LIST_STATUSES),
        not_null(f"{prefix}.list_date_not_null", "list_date"),
        not_null(f"{prefix}.is_st_not_null", "is_st"),
        not_null(f"{prefix}.delisted_has_delist_date", "delist_date", where=delisted),
        at_least(f"{prefix}.delist_after_list", "delist_date", "list_date"),
        no_rows(
            f"{prefix}.suffix_matches_exchange",
            "the code suffix names the exchange (SH=SSE, SZ=SZSE, BJ=BSE)",
            "select ts_code, exchange from {batch} where split_part(ts_code, '.', 2) is distinct from "
            "case exchange when 'SSE' then 'SH' when 'SZSE' then 'SZ' when 'BSE' then 'BJ' end",
            ["ts_code", "exchange"],
        ),
        no_rows(
            f"{prefix}.board_matches_code",
            "STAR is 688/689xxx.SH, ChiNext 300/301xxx.SZ, BSE .BJ",
            "select ts_code, board from {batch} where "
            "(board = 'star') is distinct from (ts_code ~ '^68[89][0-9]{{3}}\\.SH$') "
            "or (board = 'chinext') is distinct from (ts_code ~ '^30[01][0-9]{{3}}\\.SZ$') "
            "or (board = 'bse') is distinct from (ts_code like '%.BJ')",
            ["ts_code", "board"],
            severity="warning",
        ),
    ]
    return AssetSpec("brz_tushare__stock_basic", SECURITIES, ("ts_code",), tuple(rules))


def _trade_cal() -> AssetSpec:
    prefix = "brz.trade_cal"
    rules = [
        non_empty(f"{prefix}.not_empty"),
        not_null(f"{prefix}.exchange_not_null", "exchange"),
        not_null(f"{prefix}.cal_date_not_null", "cal_date"),
        not_null(f"{prefix}.is_open_not_null", "is_open"),
        unique_key(f"{prefix}.key_unique", "exchange", "cal_date"),
        in_set(f"{prefix}.exchange_known", "exchange", EXCHANGES),
        at_least(f"{prefix}.pretrade_before_cal_date", "cal_date", "pretrade_date", strictly=True),
    ]
    return AssetSpec("brz_tushare__trade_cal", CALENDAR, ("exchange", "cal_date"), tuple(rules))


def _reject_ratio() -> AssetSpec:
    """One row per rejecting model: its share of rejected rows, held to gates.max_reject_ratio."""
    per_model = " union all ".join(
        f"select '{model}' as model, count(*) as row_count, "
        f"avg((_reject_reason is not null)::int) as reject_ratio from {SCHEMA}.{model}"
        for model in REJECTING_MODELS
    )
    rules = (
        between("brz.reject_ratio_within_gate", "reject_ratio", high=parameter("max_reject_ratio")),
    )
    return AssetSpec("brz_reject_ratio", f"{SCHEMA}.*", ("model",), rules, query=per_model)


def assets() -> list[AssetSpec]:
    return [_tushare_daily(), _qmt_daily(), _adj_factor(), _daily_basic(), _stock_basic(), _trade_cal(),
            _reject_ratio()]
