"""The QMT data agent HTTP API (see QMT_AGENT_PROTOCOL.md), served from a SimulatedMarket.

Names mirror xtquant (`get_market_data_ex` fields, `600519.SH` codes, period `1d`,
dividend_type `none`) so that a later agent wrapping real xtquant serves the
same contract. JSON is columnar; bulk clients ask for an Arrow IPC stream.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import numpy as np
import orjson
import pyarrow as pa

from simulator.market import SimulatedMarket, shanghai_midnight_ms

API_VERSION = "v1"
ARROW_MIME = "application/vnd.apache.arrow.stream"
_DATE = re.compile(r"^\d{8}$")
_CODE = re.compile(r"^\d{6}\.(SH|SZ|BJ)$")


class AgentError(Exception):
    """A request answered with a 4xx JSON error naming the bad parameter."""

    def __init__(self, status: int, error: str, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.parameter = status, error, message, parameter

    def document(self) -> dict:
        return {"error": self.error, "message": self.message, "parameter": self.parameter}


class QmtAgentService:
    """Answers the agent's GET endpoints for one market at a moving as-of date."""

    # xtquant spelling on the wire; the market frame uses snake_case.
    FIELDS = ("time", "open", "high", "low", "close", "volume", "amount", "preClose", "suspendFlag")
    FRAME_COLUMN = {"preClose": "pre_close", "suspendFlag": "suspend_flag"}
    MARKETS = ("SH", "SZ", "BJ")
    SECTORS = {
        "沪深京A股": ("SH", "SZ", "BJ"),
        "沪深A股": ("SH", "SZ"),
        "上证A股": ("SH",),
        "深证A股": ("SZ",),
        "京市A股": ("BJ",),
    }

    def __init__(
        self, market: SimulatedMarket, as_of: Callable[[], dt.date], token: str | None = None
    ) -> None:
        self.market = market
        self.as_of = as_of
        self.token = token
        self.frame = market.qmt_daily
        self.day_bounds = market.date_row_bounds("qmt_daily")
        self.window_days = market.days.strftime("%Y%m%d").to_numpy()
        self.window_ms = shanghai_midnight_ms(market.days.values.astype("datetime64[D]"))
        self.code_codes = self.frame["stock_code"].cat.codes.to_numpy()
        self.code_names = np.asarray(self.frame["stock_code"].cat.categories, dtype=object)

    # ------------------------------------------------------------ routing
    def handle(self, path: str, headers: dict[str, str]) -> tuple[int, str, bytes]:
        """One GET → (status, content type, body); errors become JSON with the bad parameter named."""
        try:
            self._authorise(headers.get("authorization"))
            url = urlsplit(path)
            query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            route = url.path.rstrip("/")
            prefix = f"/api/{API_VERSION}/"
            endpoint = route[len(prefix) :] if route.startswith(prefix) else None
            handler = {
                "health": self._health,
                "trading_dates": self._trading_dates,
                "sector_stocks": self._sector_stocks,
                "market_data": self._market_data,
            }.get(endpoint or "")
            if handler is None:
                raise AgentError(404, "not_found", f"no endpoint {url.path}; see QMT_AGENT_PROTOCOL.md")
            return handler(query, headers.get("accept", ""))
        except AgentError as exc:
            return exc.status, "application/json", orjson.dumps(exc.document())

    def _authorise(self, header: str | None) -> None:
        if self.token is None:
            return
        supplied = header[7:] if header and header.startswith("Bearer ") else None
        if supplied is None or not hmac.compare_digest(supplied, self.token):
            raise AgentError(
                401,
                "unauthorized",
                "missing or wrong bearer token in the Authorization header",
                "Authorization",
            )

    @staticmethod
    def _json(doc: dict) -> tuple[int, str, bytes]:
        return 200, "application/json", orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY)

    @staticmethod
    def _known(query: dict[str, str], allowed: set[str]) -> None:
        unknown = sorted(set(query) - allowed)
        if unknown:
            raise AgentError(
                400,
                "bad_parameter",
                f"unknown parameter(s) {', '.join(unknown)}; accepted: {', '.join(sorted(allowed))}",
                unknown[0],
            )

    @staticmethod
    def _date(query: dict[str, str], name: str, default: str) -> str:
        value = query.get(name, "") or default
        if not _DATE.match(value):
            raise AgentError(400, "bad_parameter", f"{name} must be YYYYMMDD, got {value!r}", name)
        return value

    def _as_of_text(self) -> str:
        return self.as_of().strftime("%Y%m%d")

    # ----------------------------------------------------------- endpoints
    def _health(self, query: dict[str, str], accept: str) -> tuple[int, str, bytes]:
        self._known(query, set())
        return self._json(
            {"status": "ok", "source": "simulator", "api_version": API_VERSION, "as_of": self._as_of_text()}
        )

    def _day_range(self, query: dict[str, str]) -> tuple[int, int]:
        start = self._date(query, "start_time", "00000000")
        end = min(self._date(query, "end_time", "99999999"), self._as_of_text())
        first = int(np.searchsorted(self.window_days, start, side="left"))
        last = int(np.searchsorted(self.window_days, end, side="right"))
        return first, max(first, last)

    def _trading_dates(self, query: dict[str, str], accept: str) -> tuple[int, str, bytes]:
        self._known(query, {"market", "start_time", "end_time"})
        market = query.get("market", "SH")
        if market not in self.MARKETS:
            raise AgentError(
                400,
                "bad_parameter",
                f"market must be one of {', '.join(self.MARKETS)}, got {market!r}",
                "market",
            )
        first, last = self._day_range(query)
        return self._json(
            {
                "market": market,
                "dates": self.window_days[first:last].tolist(),
                "times": self.window_ms[first:last].tolist(),
            }
        )

    def _sector_stocks(self, query: dict[str, str], accept: str) -> tuple[int, str, bytes]:
        self._known(query, {"sector"})
        sector = query.get("sector", "")
        if sector not in self.SECTORS:
            raise AgentError(
                400, "bad_parameter", f"unknown sector {sector!r}; known: {', '.join(self.SECTORS)}", "sector"
            )
        listed = self.market.visible("stock_basic", self.as_of())
        listed = listed[listed["list_status"] == "L"]
        suffix = listed["ts_code"].str[-2:]
        codes = listed.loc[suffix.isin(self.SECTORS[sector]), "ts_code"].tolist()
        return self._json({"sector": sector, "stocks": codes})

    def _market_data(self, query: dict[str, str], accept: str) -> tuple[int, str, bytes]:
        self._known(
            query, {"stock_list", "period", "start_time", "end_time", "dividend_type", "fields", "format"}
        )
        if query.get("period", "1d") != "1d":
            raise AgentError(
                400, "bad_parameter", f"period {query['period']!r} is not served; only 1d", "period"
            )
        if query.get("dividend_type", "none") != "none":
            raise AgentError(
                400,
                "bad_parameter",
                f"dividend_type {query['dividend_type']!r} is not served; only "
                "none (raw prices; adjust downstream)",
                "dividend_type",
            )
        fmt = query.get("format", "")
        if fmt not in ("", "json", "arrow"):
            raise AgentError(400, "bad_parameter", f"format must be json or arrow, got {fmt!r}", "format")
        fields = self._fields(query.get("fields", ""))
        stock_list = query.get("stock_list", "")
        if not stock_list:
            raise AgentError(
                400,
                "bad_parameter",
                "stock_list is required: 'all' or comma-separated codes like 600519.SH",
                "stock_list",
            )
        first, last = self._day_range(query)
        rows = np.arange(self.day_bounds[first], self.day_bounds[last])
        if stock_list != "all":
            wanted = [c.strip() for c in stock_list.split(",") if c.strip()]
            bad = [c for c in wanted if not _CODE.match(c)]
            if bad:
                raise AgentError(
                    400,
                    "bad_parameter",
                    f"stock_list has malformed code(s) {', '.join(bad)}; expected like 600519.SH",
                    "stock_list",
                )
            targets = np.flatnonzero(np.isin(self.code_names, wanted))
            rows = rows[np.isin(self.code_codes[rows], targets)]
        columns: dict[str, np.ndarray] = {"stock_code": self.code_names[self.code_codes[rows]]}
        for name in fields:
            columns[name] = self.frame[self.FRAME_COLUMN.get(name, name)].to_numpy()[rows]
        if fmt == "arrow" or (fmt == "" and ARROW_MIME in accept):
            return 200, ARROW_MIME, self._arrow(columns)
        doc = {
            "period": "1d",
            "dividend_type": "none",
            "count": len(rows),
            "fields": ["stock_code", *fields],
            "data": {name: values.tolist() for name, values in columns.items()},
        }
        return self._json(doc)

    def _fields(self, raw: str) -> tuple[str, ...]:
        if not raw:
            return self.FIELDS
        fields = tuple(f.strip() for f in raw.split(",") if f.strip())
        unknown = [f for f in fields if f not in self.FIELDS]
        if unknown:
            raise AgentError(
                400,
                "bad_parameter",
                f"fields names unknown field(s) {', '.join(unknown)}; available: {', '.join(self.FIELDS)}",
                "fields",
            )
        return fields

    @staticmethod
    def _arrow(columns: dict[str, np.ndarray]) -> bytes:
        arrays = {
            name: pa.array(values.astype(str) if name == "stock_code" else values, from_pandas=True)
            for name, values in columns.items()
        }
        table = pa.table(arrays)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=65536)
        return sink.getvalue().to_pybytes()


def make_handler(service: QmtAgentService) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one service (http.server wants a class)."""

    class QmtAgentHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, content_type, body = service.handle(self.path, headers)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Loopback test traffic would flood stderr."""

    return QmtAgentHandler
