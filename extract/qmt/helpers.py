"""Transport for the QMT data agent (simulator/QMT_AGENT_PROTOCOL.md)."""

from __future__ import annotations

import pyarrow as pa
import requests

from extract.qmt import settings


class QmtAgentError(RuntimeError):
    """The agent refused or failed a call; the message names the path and parameters."""


class QmtAgentClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 120):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout

    def _get(self, path: str, params: dict, accept: str = "application/json") -> requests.Response:
        url = f"{self.base_url}{path}"
        try:
            response = self.session.get(url, params=params, headers={"Accept": accept}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise QmtAgentError(f"QMT agent {path} {params}: {exc}") from exc
        if response.status_code != 200:
            raise QmtAgentError(f"QMT agent {path} {params}: HTTP {response.status_code} {response.text[:500]}")
        return response

    def trading_dates(self, start: str, end: str) -> list[str]:
        payload = self._get(
            "/api/v1/trading_dates", {"market": settings.MARKET, "start_time": start, "end_time": end}
        ).json()
        return [str(day) for day in payload["dates"]]

    def daily_bars(self, start: str, end: str) -> pa.Table:
        response = self._get(
            "/api/v1/market_data",
            {"stock_list": "all", "period": "1d", "start_time": start, "end_time": end, "dividend_type": "none"},
            accept=settings.ARROW_MEDIA_TYPE,
        )
        with pa.ipc.open_stream(response.content) as reader:
            table = reader.read_all()
        return table.rename_columns([settings.RENAMES.get(name, name) for name in table.column_names])
