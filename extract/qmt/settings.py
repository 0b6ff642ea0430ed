"""The QMT data agent's daily-bar columns (simulator/QMT_AGENT_PROTOCOL.md)."""

import pyarrow as pa

DAILY_BARS = {
    "stock_code": pa.string(), "time": pa.int64(), "open": pa.float64(), "high": pa.float64(),
    "low": pa.float64(), "close": pa.float64(), "pre_close": pa.float64(), "volume": pa.float64(),
    "amount": pa.float64(), "suspend_flag": pa.int64(),
}
# The agent speaks xtquant's camelCase; the raw table keeps Argus's snake_case names.
RENAMES = {"preClose": "pre_close", "suspendFlag": "suspend_flag"}
ARROW_MEDIA_TYPE = "application/vnd.apache.arrow.stream"
MARKET = "SH"
