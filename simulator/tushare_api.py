"""The Tushare Pro HTTP protocol, served from a SimulatedMarket.

The real `tushare` client posts `{"api_name", "token", "params", "fields"}` to
`{http_url}/{api_name}` and reads `{"code", "msg", "data": {"fields", "items",
"has_more"}}`. It only raises on `code != 0` when the HTTP status is 2xx (a
non-2xx response silently becomes an empty DataFrame), so every error here is
HTTP 200 with a non-zero code and a message naming the problem.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

import numpy as np
import orjson
import pandas as pd

from simulator.market import SimulatedMarket

CODE_BAD_TOKEN = 40101
CODE_UNKNOWN_API = 40102
CODE_BAD_PARAM = 40203
CODE_SERVER_ERROR = 50000

_DATE = re.compile(r"^\d{8}$")
# The client adds its own URL as `ts_type_name` to every call; it carries no query meaning.
_CLIENT_PARAMS = frozenset({"ts_type_name"})


class TushareError(Exception):
    """A request the protocol answers with a non-zero code."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


@dataclass(frozen=True)
class _Api:
    params: frozenset[str]
    columns: tuple[str, ...]
    row_limit: int
    handler: str


class _DateIndexedFrame:
    """A (trade_date, ts_code)-sorted frame with per-day and per-security row offsets.

    Slices are computed from offsets, so a page costs O(page), not O(frame).
    """

    def __init__(self, frame: pd.DataFrame, day_bounds: np.ndarray) -> None:
        self.frame = frame
        self.day_bounds = day_bounds
        codes = frame["ts_code"].cat.codes.to_numpy()
        self.code_names = frame["ts_code"].cat.categories
        self.by_code = np.argsort(codes, kind="stable")  # per security, rows stay in date order
        self.code_bounds = np.searchsorted(codes[self.by_code], np.arange(len(self.code_names) + 1))
        self.day_codes = frame["trade_date"].cat.codes.to_numpy()
        self.day_names = np.asarray(frame["trade_date"].cat.categories)
        self.columns = {name: self._values(frame[name]) for name in frame.columns}

    @staticmethod
    def _values(col: pd.Series) -> Callable[[np.ndarray], list]:
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes, names = col.cat.codes.to_numpy(), np.asarray(col.cat.categories, dtype=object)
            return lambda rows: names[codes[rows]].tolist()
        values = col.to_numpy()
        return lambda rows: values[rows].tolist()

    def rows(
        self, codes: list[str] | None, first_day: int, last_day: int, offset: int, limit: int
    ) -> tuple[np.ndarray, int]:
        """Rows for days [first_day, last_day] (window day indices), newest day first like Tushare."""
        if last_day < first_day:
            return np.empty(0, np.int64), 0
        if codes is not None:
            parts = []
            for code in codes:
                ix = self.code_names.get_indexer([code])[0]
                if ix < 0:
                    continue
                seg = self.by_code[self.code_bounds[ix] : self.code_bounds[ix + 1]]
                lo, hi = np.searchsorted(self.day_codes[seg], [first_day, last_day + 1])
                parts.append(seg[lo:hi][::-1])
            found = np.concatenate(parts) if parts else np.empty(0, np.int64)
            return found[offset : offset + limit], len(found)
        days = np.arange(last_day, first_day - 1, -1)
        sizes = self.day_bounds[days + 1] - self.day_bounds[days]
        ends = np.cumsum(sizes)
        total = int(ends[-1]) if len(ends) else 0
        stop = min(offset + limit, total)
        if offset >= stop:
            return np.empty(0, np.int64), total
        # Only the days the page touches are materialised.
        first_block = int(np.searchsorted(ends, offset, side="right"))
        last_block = int(np.searchsorted(ends, stop - 1, side="right"))
        pieces = [
            np.arange(self.day_bounds[d], self.day_bounds[d + 1]) for d in days[first_block : last_block + 1]
        ]
        flat = np.concatenate(pieces)
        skip = offset - (int(ends[first_block - 1]) if first_block else 0)
        return flat[skip : skip + (stop - offset)], total


class TushareService:
    """Answers Tushare Pro requests for one market at a moving as-of date."""

    APIS: dict[str, _Api] = {
        "stock_basic": _Api(
            frozenset({"ts_code", "list_status", "exchange", "market"}),
            SimulatedMarket.STOCK_BASIC_COLUMNS,
            6000,
            "_stock_basic",
        ),
        "trade_cal": _Api(
            frozenset({"exchange", "start_date", "end_date", "is_open"}),
            SimulatedMarket.TRADE_CAL_COLUMNS,
            10000,
            "_trade_cal",
        ),
        "daily": _Api(
            frozenset({"ts_code", "trade_date", "start_date", "end_date"}),
            SimulatedMarket.DAILY_COLUMNS,
            6000,
            "_bars",
        ),
        "adj_factor": _Api(
            frozenset({"ts_code", "trade_date", "start_date", "end_date"}),
            SimulatedMarket.ADJ_FACTOR_COLUMNS,
            6000,
            "_bars",
        ),
        "daily_basic": _Api(
            frozenset({"ts_code", "trade_date", "start_date", "end_date"}),
            SimulatedMarket.DAILY_BASIC_COLUMNS,
            6000,
            "_bars",
        ),
        "dividend": _Api(
            frozenset({"ts_code", "ann_date", "imp_ann_date", "ex_date", "record_date"}),
            SimulatedMarket.DIVIDEND_COLUMNS,
            6000,
            "_dividend",
        ),
    }
    EXCHANGES = ("SSE", "SZSE", "BSE")

    def __init__(self, market: SimulatedMarket, token: str, as_of: Callable[[], dt.date]) -> None:
        self.market = market
        self.token = token
        self.as_of = as_of
        self.window_days = market.days.strftime("%Y%m%d").to_numpy()
        self.indexed = {
            name: _DateIndexedFrame(getattr(market, name), market.date_row_bounds(name))
            for name in ("daily", "adj_factor", "daily_basic")
        }
        # A backfill asks for dividends once per security: slice one published view per as-of.
        self._dividends: tuple[dt.date, pd.DataFrame, dict[str, np.ndarray]] | None = None

    # ------------------------------------------------------------ protocol
    def handle(self, body: bytes, path_api: str | None) -> dict:
        """One request body → one response document (never raises)."""
        request_id = uuid.uuid4().hex
        try:
            data = self._dispatch(body, path_api)
            return {"request_id": request_id, "code": 0, "msg": "", "data": data}
        except TushareError as exc:
            return {"request_id": request_id, "code": exc.code, "msg": exc.msg, "data": None}
        except Exception as exc:  # a simulator bug must still reach the client as a message
            return {
                "request_id": request_id,
                "code": CODE_SERVER_ERROR,
                "msg": f"simulator error: {type(exc).__name__}: {exc}",
                "data": None,
            }

    def _dispatch(self, body: bytes, path_api: str | None) -> dict:
        try:
            req = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise TushareError(CODE_BAD_PARAM, f"request body is not JSON: {exc}") from exc
        if not isinstance(req, dict):
            raise TushareError(CODE_BAD_PARAM, "request body must be a JSON object")
        if req.get("token") != self.token:
            raise TushareError(
                CODE_BAD_TOKEN,
                "token is invalid: it does not match the token this "
                "simulated Tushare server was started with",
            )
        api_name = req.get("api_name") or path_api
        if path_api and api_name != path_api:
            raise TushareError(
                CODE_BAD_PARAM, f"api_name {api_name!r} in the body differs from {path_api!r} in the URL"
            )
        api = self.APIS.get(api_name or "")
        if api is None:
            raise TushareError(
                CODE_UNKNOWN_API,
                f"unknown api_name {api_name!r}; this server offers {', '.join(sorted(self.APIS))}",
            )
        params = req.get("params") or {}
        if not isinstance(params, dict):
            raise TushareError(CODE_BAD_PARAM, "params must be a JSON object")
        params = {k: v for k, v in params.items() if k not in _CLIENT_PARAMS and v not in (None, "")}
        offset = self._int_param(params.pop("offset", 0), "offset", 0)
        limit = min(self._int_param(params.pop("limit", api.row_limit), "limit", 1), api.row_limit)
        unknown = sorted(set(params) - api.params)
        if unknown:
            raise TushareError(
                CODE_BAD_PARAM,
                f"{api_name} does not accept parameter(s) {', '.join(unknown)}; "
                f"accepted: {', '.join(sorted(api.params | {'limit', 'offset'}))}",
            )
        fields = self._fields(req.get("fields"), api, api_name)
        for key, value in params.items():
            if key.endswith("_date") and (not isinstance(value, str) or not _DATE.match(value)):
                raise TushareError(CODE_BAD_PARAM, f"{api_name}: {key} must be YYYYMMDD text, got {value!r}")
        as_of = self.as_of().strftime("%Y%m%d")
        columns, total = getattr(self, api.handler)(api_name, params, fields, as_of, offset, limit)
        items = [list(row) for row in zip(*columns)] if columns else []
        return {"fields": list(fields), "items": items, "has_more": offset + len(items) < total}

    @staticmethod
    def _int_param(value: object, name: str, minimum: int) -> int:
        try:
            number = int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise TushareError(CODE_BAD_PARAM, f"{name} must be an integer, got {value!r}") from None
        if number < minimum:
            raise TushareError(CODE_BAD_PARAM, f"{name} must be >= {minimum}, got {number}")
        return number

    @staticmethod
    def _fields(raw: object, api: _Api, api_name: str) -> tuple[str, ...]:
        if raw in (None, ""):
            return api.columns
        names = raw if isinstance(raw, list) else str(raw).split(",")
        fields = tuple(name.strip() for name in names if name.strip())
        unknown = [name for name in fields if name not in api.columns]
        if unknown:
            raise TushareError(
                CODE_BAD_PARAM,
                f"{api_name} has no field(s) {', '.join(unknown)}; available: {', '.join(api.columns)}",
            )
        return fields

    # ------------------------------------------------------------- handlers
    @staticmethod
    def _page(frame: pd.DataFrame, fields: tuple[str, ...], offset: int, limit: int) -> tuple[list, int]:
        page = frame.iloc[offset : offset + limit]
        cols = [page[name].astype(object).where(page[name].notna(), None).tolist() for name in fields]
        return cols, len(frame)

    def _stock_basic(self, api_name, params, fields, as_of, offset, limit):
        frame = self.market.visible("stock_basic", as_of)
        status = params.get("list_status", "L")
        if status not in ("L", "D", "P"):
            raise TushareError(CODE_BAD_PARAM, f"stock_basic: list_status must be L, D or P, got {status!r}")
        mask = frame["list_status"] == status
        if "exchange" in params:
            if params["exchange"] not in self.EXCHANGES:
                raise TushareError(
                    CODE_BAD_PARAM,
                    f"stock_basic: exchange must be one of "
                    f"{', '.join(self.EXCHANGES)}, got {params['exchange']!r}",
                )
            mask &= frame["exchange"] == params["exchange"]
        if "market" in params:
            mask &= frame["market"] == params["market"]
        if "ts_code" in params:
            mask &= frame["ts_code"].isin(str(params["ts_code"]).split(","))
        return self._page(frame[mask], fields, offset, limit)

    def _trade_cal(self, api_name, params, fields, as_of, offset, limit):
        exchange = params.get("exchange", "SSE")
        if exchange not in self.EXCHANGES:
            raise TushareError(
                CODE_BAD_PARAM,
                f"trade_cal: exchange must be one of {', '.join(self.EXCHANGES)}, got {exchange!r}",
            )
        frame = self.market.visible("trade_cal", as_of).assign(exchange=exchange)
        mask = (frame["cal_date"] >= params.get("start_date", "00000000")) & (
            frame["cal_date"] <= params.get("end_date", "99999999")
        )
        if "is_open" in params:
            if str(params["is_open"]) not in ("0", "1"):
                raise TushareError(
                    CODE_BAD_PARAM, f"trade_cal: is_open must be 0 or 1, got {params['is_open']!r}"
                )
            mask &= frame["is_open"] == int(params["is_open"])
        return self._page(frame[mask], fields, offset, limit)

    def _bars(self, api_name, params, fields, as_of, offset, limit):
        if "trade_date" in params and ({"start_date", "end_date"} & set(params)):
            raise TushareError(
                CODE_BAD_PARAM, f"{api_name}: give trade_date or start_date/end_date, not both"
            )
        start = params.get("trade_date", params.get("start_date", "00000000"))
        end = min(params.get("trade_date", params.get("end_date", "99999999")), as_of)
        first = int(np.searchsorted(self.window_days, start, side="left"))
        last = int(np.searchsorted(self.window_days, end, side="right")) - 1
        codes = str(params["ts_code"]).split(",") if "ts_code" in params else None
        index = self.indexed[api_name]
        rows, total = index.rows(codes, first, last, offset, limit)
        return [index.columns[name](rows) for name in fields], total

    def _published_dividends(self, as_of: dt.date) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        cached = self._dividends
        if cached is None or cached[0] != as_of:
            frame = self.market.visible("dividend", as_of)
            cached = (as_of, frame, frame.groupby("ts_code", observed=True).indices)
            self._dividends = cached
        return cached[1], cached[2]

    def _dividend(self, api_name, params, fields, as_of, offset, limit):
        frame, rows_of = self._published_dividends(as_of)
        if "ts_code" in params:
            codes = str(params["ts_code"]).split(",")
            frame = frame.iloc[np.concatenate([rows_of.get(code, []) for code in codes]).astype(int)]
        mask = np.ones(len(frame), bool)
        for key in ("ann_date", "imp_ann_date", "ex_date", "record_date"):
            if key in params:
                mask &= (frame[key] == params[key]).to_numpy()
        return self._page(frame[mask], fields, offset, limit)


def make_handler(service: TushareService) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one service (http.server wants a class)."""

    class TushareHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            if not parts or parts[0] != "dataapi" or len(parts) > 2:
                self._send(
                    404,
                    {
                        "code": CODE_UNKNOWN_API,
                        "msg": f"no such path {self.path}; post to /dataapi/<api_name>",
                        "data": None,
                    },
                )
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            self._send(200, service.handle(body, parts[1] if len(parts) == 2 else None))

        def _send(self, status: int, doc: dict) -> None:
            payload = orjson.dumps(doc)
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Loopback test traffic would flood stderr."""

    return TushareHandler
