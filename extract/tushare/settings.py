"""Tushare Pro endpoints Argus loads, with the column types Tushare documents.

Typing columns here (rather than letting dlt infer them) keeps the raw tables
stable when a day's payload happens to be all-null in a column, as `delist_date`
usually is.
"""

import pyarrow as pa

TEXT = pa.string()
NUM = pa.float64()
INT = pa.int64()

STOCK_BASIC = {
    "ts_code": TEXT, "symbol": TEXT, "name": TEXT, "area": TEXT, "industry": TEXT,
    "market": TEXT, "exchange": TEXT, "list_status": TEXT, "list_date": TEXT, "delist_date": TEXT,
}
TRADE_CAL = {"exchange": TEXT, "cal_date": TEXT, "is_open": INT, "pretrade_date": TEXT}
DAILY = {
    "ts_code": TEXT, "trade_date": TEXT, "open": NUM, "high": NUM, "low": NUM, "close": NUM,
    "pre_close": NUM, "change": NUM, "pct_chg": NUM, "vol": NUM, "amount": NUM,
}
ADJ_FACTOR = {"ts_code": TEXT, "trade_date": TEXT, "adj_factor": NUM}
DAILY_BASIC = {
    "ts_code": TEXT, "trade_date": TEXT, "close": NUM, "turnover_rate": NUM, "turnover_rate_f": NUM,
    "volume_ratio": NUM, "pe": NUM, "pe_ttm": NUM, "pb": NUM, "ps": NUM, "ps_ttm": NUM,
    "dv_ratio": NUM, "dv_ttm": NUM, "total_share": NUM, "float_share": NUM, "free_share": NUM,
    "total_mv": NUM, "circ_mv": NUM,
}
DIVIDEND = {
    "ts_code": TEXT, "end_date": TEXT, "ann_date": TEXT, "div_proc": TEXT, "stk_div": NUM,
    "stk_bo_rate": NUM, "stk_co_rate": NUM, "cash_div": NUM, "cash_div_tax": NUM,
    "record_date": TEXT, "ex_date": TEXT, "pay_date": TEXT, "div_listdate": TEXT, "imp_ann_date": TEXT,
}

# stock_basic answers one listing status per call; 'P' is 暂停上市 (suspended listing).
LIST_STATUSES = ("L", "D", "P")
EXCHANGE = "SSE"
# Beyond this many new days, dividends are fetched per security instead of per announcement day.
DIVIDEND_DAYS_POLLED = 20
