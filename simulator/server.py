"""Both simulated providers on loopback, for tests, the demo and the CLI."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from types import TracebackType

import pandas as pd

from argus.config import MarketConfig
from simulator import qmt_agent, tushare_api
from simulator.market import SimulatedMarket


class _Clock:
    """The published-through date both servers read; moved at run time by set_as_of."""

    def __init__(self, day: dt.date) -> None:
        self._day = day
        self._lock = threading.Lock()

    def get(self) -> dt.date:
        with self._lock:
            return self._day

    def set(self, day: dt.date) -> None:
        with self._lock:
            self._day = day


class MarketServer:
    """Tushare Pro protocol + QMT agent for one SimulatedMarket on 127.0.0.1, ephemeral ports.

    Point the real client at it with
    `pro = ts.pro_api(server.token); pro._DataApi__http_url = server.tushare_url`.
    The QMT agent requires a bearer token only when `qmt_token` is given.
    """

    def __init__(
        self,
        market: SimulatedMarket,
        token: str = "argus-sim",
        *,
        qmt_token: str | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.market = market
        self.token = token
        self.qmt_token = qmt_token
        self._clock = _Clock(market.as_of)
        tushare = tushare_api.TushareService(market, token, self._clock.get)
        qmt = qmt_agent.QmtAgentService(market, self._clock.get, qmt_token)
        self._servers = [
            ThreadingHTTPServer((host, 0), tushare_api.make_handler(tushare)),
            ThreadingHTTPServer((host, 0), qmt_agent.make_handler(qmt)),
        ]
        for server in self._servers:
            server.daemon_threads = True
        self._threads: list[threading.Thread] = []
        ts_port, qmt_port = (s.server_address[1] for s in self._servers)
        self.tushare_url = f"http://{host}:{ts_port}/dataapi"
        self.qmt_url = f"http://{host}:{qmt_port}"

    @property
    def as_of(self) -> dt.date:
        return self._clock.get()

    def set_as_of(self, day: dt.date | str) -> dt.date:
        """Move the published-through date (forward or back) within the market window."""
        checked = self.market.check_as_of(pd.Timestamp(day).date() if isinstance(day, str) else day)
        self._clock.set(checked)
        return checked

    def start(self) -> MarketServer:
        if not self._threads:
            for server in self._servers:
                # A short poll keeps close() (which waits for the loop to notice) quick in tests.
                thread = threading.Thread(
                    target=server.serve_forever,
                    kwargs={"poll_interval": 0.05},
                    name=f"argus-sim-{server.server_address[1]}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        return self

    def close(self) -> None:
        for server in self._servers:
            if self._threads:
                server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> MarketServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _serve_market(cfg_json: str, token: str, qmt_token: str | None, urls: Connection, stop: Event) -> None:
    cfg = MarketConfig.model_validate_json(cfg_json)
    with MarketServer(SimulatedMarket.build(cfg), token, qmt_token=qmt_token) as server:
        server.set_as_of(cfg.published_through)
        urls.send((server.tushare_url, server.qmt_url))
        stop.wait()


@contextmanager
def market_process(cfg: MarketConfig, token: str = "argus-sim",
                   qmt_token: str | None = None) -> Iterator[tuple[str, str]]:
    """Serve the market from a child process; yields (tushare_url, qmt_url).

    Real providers answer from other machines: serving from another process keeps
    the market's work off the extractor's interpreter, so both cores are used.
    """
    context = multiprocessing.get_context("spawn")  # the parent runs threads: never fork it
    receiver, sender = context.Pipe(duplex=False)
    stop = context.Event()
    process = context.Process(
        target=_serve_market, args=(cfg.model_dump_json(), token, qmt_token, sender, stop), daemon=True
    )
    process.start()
    try:
        while not receiver.poll(0.2):
            if not process.is_alive():
                raise RuntimeError(f"the simulated market process exited with code {process.exitcode}")
        yield receiver.recv()
    finally:
        stop.set()
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
