"""A deterministic simulated A-share market: the ground truth behind the fake providers.

The whole window is generated once, day by day across the market (a loop over
trading days with vector operations over all securities: prices are path
dependent through limits and ex-dates, everything else is vectorised), and the
servers then filter it by the published-through date. Moving as-of forward one
trading day therefore reveals exactly one more day.

Large frames hold `ts_code` / `trade_date` as ordered categoricals of text: the
values are the Tushare spellings, but 24M rows cost integers, not strings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from argus.calendar import FIRST_SESSION, trading_days_array
from argus.config import MarketConfig
from simulator.corporate_actions import ex_reference_price, round_price

MIN_OPEN_DAYS = 20
_SHANGHAI_OFFSET_MS = 8 * 3600 * 1000
_CHINEXT_20PCT_FROM = np.datetime64("2020-08-24", "D")
_DAYS_PER_YEAR = 244


@dataclass(frozen=True)
class _Board:
    board: str
    exchange: str
    suffix: str
    market: str
    prefixes: tuple[str, ...]
    weight: float
    limit: float
    sigma: float


BOARDS: tuple[_Board, ...] = (
    _Board("main", "SSE", "SH", "主板", ("600", "601", "603", "605"), 0.33, 0.10, 0.020),
    _Board("star", "SSE", "SH", "科创板", ("688",), 0.10, 0.20, 0.028),
    _Board("main", "SZSE", "SZ", "主板", ("000", "001", "002", "003"), 0.30, 0.10, 0.021),
    _Board("chinext", "SZSE", "SZ", "创业板", ("300", "301"), 0.19, 0.20, 0.028),
    _Board(
        "bse",
        "BSE",
        "BJ",
        "北交所",
        (
            "430",
            "831",
            "832",
            "833",
            "834",
            "835",
            "836",
            "837",
            "838",
            "839",
            "870",
            "871",
            "872",
            "873",
            "920",
        ),
        0.08,
        0.30,
        0.032,
    ),
)
ST_LIMIT = 0.05
MAIN_FIRST_DAY_LIMIT = 0.44
NO_LIMIT_SESSIONS = 5
NEW_LISTING_LAG = 3
MIN_PRICE_FOR_STOCK_DIVIDEND = 5.0
# Mean reversion pulls towards an anchor that follows ex-dates down but not below this, so
# twenty years of dividends and share splits do not grind prices into the sub-yuan range.
MIN_ANCHOR_PRICE = 3.0

_NAME_HEADS = list("华中国东南北金海天长安恒宏新鼎瑞信达泰盛隆通远兴光明科创联合")
_NAME_TAILS = ("股份", "科技", "电子", "医药", "能源", "材料", "控股", "银行", "证券", "食品", "智能", "环保")
_AREAS = ("北京", "上海", "深圳", "广东", "浙江", "江苏", "山东", "四川", "湖北", "福建", "安徽", "河南")
_INDUSTRIES = (
    "银行",
    "白酒",
    "半导体",
    "医药生物",
    "电气设备",
    "汽车整车",
    "软件服务",
    "化工原料",
    "房地产",
    "食品饮料",
    "通信设备",
    "有色金属",
    "建筑工程",
    "证券",
    "家用电器",
)

ROLE_NEW_LISTING = "new_listing"
ROLE_DELISTED = "delisted"
ROLE_RIGHTS = "rights_issue"
ROLE_CONSECUTIVE_EX = "consecutive_ex"
ROLE_SUSPENDED_EX = "suspended_ex"
ROLE_BONUS_TRANSFER = "bonus_transfer"


def yyyymmdd(days: np.ndarray) -> np.ndarray:
    """datetime64[D] → 'YYYYMMDD' text (object array; NaT → None)."""
    days = np.asarray(days, dtype="datetime64[D]")
    if days.size == 0:  # numpy's string replace cannot size an empty array
        return np.empty(days.shape, dtype=object)
    text = np.char.replace(np.datetime_as_string(days, unit="D").astype(str), "-", "").astype(object)
    text[np.isnat(days)] = None
    return text


def shanghai_midnight_ms(days: np.ndarray) -> np.ndarray:
    """QMT's bar time: ms since epoch of 00:00 Asia/Shanghai (UTC+8, no DST) on each day."""
    return np.asarray(days, dtype="datetime64[D]").astype(np.int64) * 86_400_000 - _SHANGHAI_OFFSET_MS


@dataclass
class SimulatedMarket:
    """The generated market: provider frames (full window) plus ground truth for tests.

    Provider frames, in the provider's own form and units (filter with `visible`):
      stock_basic, trade_cal, daily, adj_factor, daily_basic, dividend  — Tushare Pro
      qmt_daily                                                          — the QMT agent
    Ground truth:
      securities       roster: board, is_st, price_limit_pct, list/delist dates, `role`
                       (new_listing, delisted, rights_issue, consecutive_ex, suspended_ex,
                       bonus_transfer — one security each, '' otherwise)
      actions          every ex-date applied (rights issues included; they are not in `dividend`)
      true_factor      unrounded ratio-method factor on every listed day, halts included
      suspensions      (ts_code, trade_date) of every halted listed day
      discrepancy_log  QMT cells that deliberately differ from Tushare, with their kind
      broken_log       rows corrupted on purpose from cfg.broken_rows
    """

    STOCK_BASIC_COLUMNS = (
        "ts_code",
        "symbol",
        "name",
        "area",
        "industry",
        "market",
        "exchange",
        "list_status",
        "list_date",
        "delist_date",
    )
    TRADE_CAL_COLUMNS = ("exchange", "cal_date", "is_open", "pretrade_date")
    DAILY_COLUMNS = (
        "ts_code",
        "trade_date",
        "open",
        "high",
        "low",
        "close",
        "pre_close",
        "change",
        "pct_chg",
        "vol",
        "amount",
    )
    ADJ_FACTOR_COLUMNS = ("ts_code", "trade_date", "adj_factor")
    DAILY_BASIC_COLUMNS = (
        "ts_code",
        "trade_date",
        "close",
        "turnover_rate",
        "turnover_rate_f",
        "volume_ratio",
        "pe",
        "pe_ttm",
        "pb",
        "ps",
        "ps_ttm",
        "dv_ratio",
        "dv_ttm",
        "total_share",
        "float_share",
        "free_share",
        "total_mv",
        "circ_mv",
    )
    DIVIDEND_COLUMNS = (
        "ts_code",
        "end_date",
        "ann_date",
        "div_proc",
        "stk_div",
        "stk_bo_rate",
        "stk_co_rate",
        "cash_div",
        "cash_div_tax",
        "record_date",
        "ex_date",
        "pay_date",
        "div_listdate",
        "imp_ann_date",
    )
    QMT_COLUMNS = (
        "stock_code",
        "time",
        "open",
        "high",
        "low",
        "close",
        "pre_close",
        "volume",
        "amount",
        "suspend_flag",
    )
    ACTION_COLUMNS = ("ts_code", "ex_date", "cash", "bonus", "transfer", "rights", "rights_price")
    SECURITY_COLUMNS = (
        "ts_code",
        "name",
        "exchange",
        "board",
        "market",
        "is_st",
        "price_limit_pct",
        "list_date",
        "delist_date",
        "role",
    )
    DISCREPANCY_KINDS = ("price_noise", "missing_day", "stale_bar")

    cfg: MarketConfig
    days: pd.DatetimeIndex
    securities: pd.DataFrame
    stock_basic: pd.DataFrame
    trade_cal: pd.DataFrame
    daily: pd.DataFrame
    adj_factor: pd.DataFrame
    daily_basic: pd.DataFrame
    dividend: pd.DataFrame
    qmt_daily: pd.DataFrame
    actions: pd.DataFrame
    true_factor: pd.DataFrame
    suspensions: pd.DataFrame
    discrepancy_log: pd.DataFrame
    broken_log: pd.DataFrame
    _bounds: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # The servers and downstream tests read frames by these declared columns; fail at build, not at serve.
        declared = {
            "stock_basic": self.STOCK_BASIC_COLUMNS,
            "trade_cal": self.TRADE_CAL_COLUMNS,
            "daily": self.DAILY_COLUMNS,
            "adj_factor": self.ADJ_FACTOR_COLUMNS,
            "daily_basic": self.DAILY_BASIC_COLUMNS,
            "dividend": self.DIVIDEND_COLUMNS,
            "qmt_daily": self.QMT_COLUMNS,
            "actions": self.ACTION_COLUMNS,
            "securities": self.SECURITY_COLUMNS,
        }
        for name, columns in declared.items():
            actual = tuple(getattr(self, name).columns)
            if actual != columns:
                raise ValueError(f"frame {name} has columns {actual}, declared {columns}")

    @classmethod
    def build(cls, cfg: MarketConfig) -> SimulatedMarket:
        """Generate the whole window [cfg.start_date, cfg.end_date] from cfg.seed."""
        return _Builder(cfg).build()

    @property
    def as_of(self) -> dt.date:
        """The configured published-through date (servers may move their own)."""
        return self.cfg.published_through

    def check_as_of(self, as_of: dt.date | str | None) -> dt.date:
        """Normalise an as-of date and insist it lies in the window."""
        if as_of is None:
            return self.as_of
        day = pd.Timestamp(as_of).date()
        if not self.cfg.start_date <= day <= self.cfg.end_date:
            raise ValueError(
                f"as_of {day} is outside the market window [{self.cfg.start_date}, {self.cfg.end_date}]"
            )
        return day

    def day_count_through(self, as_of: dt.date | str | None = None) -> int:
        """How many window trading days are published at `as_of`."""
        day = np.datetime64(self.check_as_of(as_of), "D")
        return int(np.searchsorted(self.days.values.astype("datetime64[D]"), day, side="right"))

    def date_row_bounds(self, table: str) -> np.ndarray:
        """Row offsets per window day of a date-sorted big frame: rows of day i are [b[i], b[i+1])."""
        return self._bounds[table]

    def visible(self, table: str, as_of: dt.date | str | None = None) -> pd.DataFrame:
        """`table` as the providers publish it on `as_of` (nothing dated later)."""
        day = self.check_as_of(as_of)
        text = day.strftime("%Y%m%d")
        if table in self._bounds:
            frame: pd.DataFrame = getattr(self, table)
            return frame.iloc[: self._bounds[table][self.day_count_through(day)]]
        if table == "stock_basic":
            frame = self.stock_basic[self.stock_basic["list_date"] <= text].copy()
            pending = frame["delist_date"].notna() & (frame["delist_date"] > text)
            frame.loc[pending, "list_status"] = "L"
            frame.loc[pending, "delist_date"] = None
            return frame.reset_index(drop=True)
        if table == "trade_cal":
            return self.trade_cal[self.trade_cal["cal_date"] <= text].reset_index(drop=True)
        if table == "dividend":
            return self.dividend[self.dividend["ann_date"] <= text].reset_index(drop=True)
        raise ValueError(f"unknown table {table!r}")


class _Builder:
    """One build: holds the intermediate (day × security) matrices."""

    def __init__(self, cfg: MarketConfig) -> None:
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
        self.days = trading_days_array(cfg.start_date, cfg.end_date)
        if len(self.days) < MIN_OPEN_DAYS:
            raise ValueError(
                f"market window {cfg.start_date}..{cfg.end_date} has {len(self.days)} trading days; "
                f"the simulator needs at least {MIN_OPEN_DAYS}"
            )
        history_start = max(
            pd.Timestamp(FIRST_SESSION), pd.Timestamp(cfg.start_date) - pd.DateOffset(years=21)
        )
        self.history = trading_days_array(history_start, pd.Timestamp(cfg.start_date) - pd.Timedelta(days=1))
        # Window day t is all_days[H + t]; announcements and listings reach back before the window.
        self.all_days = np.concatenate([self.history, self.days])
        self.H = len(self.history)
        self.D = len(self.days)

    # ---------------------------------------------------------------- roster
    def _roster(self) -> None:
        rng, n = self.rng, self.cfg.securities
        counts = np.array([max(1, int(n * b.weight)) for b in BOARDS])
        counts[0] += n - counts.sum()
        codes, board_ix = [], []
        for i, (b, k) in enumerate(zip(BOARDS, counts)):
            draw = rng.choice(len(b.prefixes) * 1000, size=k, replace=False)
            codes += [f"{b.prefixes[d // 1000]}{d % 1000:03d}.{b.suffix}" for d in draw]
            board_ix += [i] * k
        order = np.argsort(codes)
        self.codes = np.array(codes, dtype=object)[order]
        self.board_ix = np.array(board_ix)[order]
        S = self.S = n
        boards = [BOARDS[i] for i in self.board_ix]
        self.board = np.array([b.board for b in boards], dtype=object)

        main = np.flatnonzero(self.board == "main")
        st = rng.choice(main, size=max(2, round(0.03 * len(main))), replace=False)
        self.is_st = np.zeros(S, bool)
        self.is_st[st] = True
        heads = rng.choice(_NAME_HEADS, size=(S, 2))
        tails = rng.choice(_NAME_TAILS, size=S)
        names = np.array([h[0] + h[1] + t for h, t in zip(heads, tails)], dtype=object)
        names[st] = [("*ST " if i % 2 == 0 else "ST ") + names[j] for i, j in enumerate(st)]
        self.names = names

        # Roles are distinct securities so each ground-truth case stays clean to test.
        self.role = np.full(S, "", dtype=object)
        star_st = [i for i in st if names[i].startswith("*ST")]
        self.role[star_st[0]] = ROLE_DELISTED

        def free(mask: np.ndarray) -> np.ndarray:
            return np.flatnonzero(mask & (self.role == "") & ~self.is_st)

        new = free(self.board == "chinext")
        self.role[rng.choice(new)] = ROLE_NEW_LISTING
        self.role[rng.choice(free(self.board == "main"))] = ROLE_RIGHTS
        for role in (ROLE_CONSECUTIVE_EX, ROLE_SUSPENDED_EX, ROLE_BONUS_TRANSFER):
            self.role[rng.choice(free(np.ones(S, bool)))] = role

        self.is_chinext = self.board == "chinext"
        self.is_main = self.board == "main"
        self.unlimited_ipo = self.is_chinext | (self.board == "star")
        self.limit = np.array([b.limit for b in boards])
        self.limit[self.is_st] = ST_LIMIT
        self.sigma = np.array([b.sigma for b in boards]) * np.where(self.is_st, 1.3, 1.0)
        D = self.D
        self.new_ix = int(np.flatnonzero(self.role == ROLE_NEW_LISTING)[0])
        self.delisted_ix = int(np.flatnonzero(self.role == ROLE_DELISTED)[0])
        self.list_t = np.full(S, -1)
        self.list_t[self.new_ix] = D // 4
        self.end_t = np.full(S, D)
        self.end_t[self.delisted_ix] = int(D * 0.7)

        # Pre-window listings: uniformly over the 20 years before the window, a month clear of it.
        latest = max(1, self.H - 22)
        self.list_day = (
            self.history[rng.integers(0, latest, size=S)] if self.H else np.repeat(self.days[:1], S)
        )
        self.list_day[self.new_ix] = self.days[self.list_t[self.new_ix]]
        self.delist_day = np.full(S, np.datetime64("NaT"), dtype="datetime64[D]")
        self.delist_day[self.delisted_ix] = self.days[self.end_t[self.delisted_ix]]

    # --------------------------------------------------------------- actions
    def _schedule_actions(self) -> None:
        rng, S, D = self.rng, self.S, self.D
        regular = (self.role == "") & (rng.random(S) < 0.85)
        k_max = D // 224 + 2
        phase = rng.integers(1, min(_DAYS_PER_YEAR, D - 1), size=S)
        grid = phase[:, None] + np.arange(k_max)[None, :] * _DAYS_PER_YEAR + rng.integers(-20, 21, (S, k_max))
        grid[:, 0] = phase
        sec = np.repeat(np.arange(S), k_max)
        t = grid.ravel()
        keep = regular[sec] & (t >= 1) & (t < self.end_t[sec])
        sec, t = sec[keep], t[keep]
        n = len(t)
        bonus = np.where(rng.random(n) < 0.12, rng.choice([0.1, 0.2, 0.3, 0.5], n), 0.0)
        transfer = np.where(rng.random(n) < 0.12, rng.choice([0.2, 0.3, 0.4, 0.5, 1.0], n), 0.0)
        cash_yield = rng.uniform(0.004, 0.04, n)
        rights = np.zeros(n)
        discount = np.zeros(n)

        def role_ix(role: str) -> int:
            return int(np.flatnonzero(self.role == role)[0])

        # (security, day, cash yield, bonus, transfer, rights, rights discount)
        special = [
            (role_ix(ROLE_BONUS_TRANSFER), int(D * 0.3), 0.015, 0.2, 0.3, 0.0, 0.0),
            (role_ix(ROLE_CONSECUTIVE_EX), int(D * 0.4), 0.02, 0.0, 0.0, 0.0, 0.0),
            (role_ix(ROLE_CONSECUTIVE_EX), int(D * 0.4) + 1, 0.0, 0.0, 0.4, 0.0, 0.0),
            (role_ix(ROLE_RIGHTS), int(D * 0.5), 0.0, 0.0, 0.0, 0.3, 0.7),
            (role_ix(ROLE_SUSPENDED_EX), int(D * 0.6), 0.025, 0.1, 0.0, 0.0, 0.0),
        ]
        sp = np.array(special, dtype=float)
        self.act_sec = np.concatenate([sec, sp[:, 0].astype(int)])
        self.act_t = np.concatenate([t, sp[:, 1].astype(int)])
        self.act_yield = np.concatenate([cash_yield, sp[:, 2]])
        self.act_bonus = np.concatenate([bonus, sp[:, 3]])
        self.act_transfer = np.concatenate([transfer, sp[:, 4]])
        self.act_rights = np.concatenate([rights, sp[:, 5]])
        self.act_discount = np.concatenate([discount, sp[:, 6]])
        order = np.lexsort((self.act_sec, self.act_t))
        for name in (
            "act_sec",
            "act_t",
            "act_yield",
            "act_bonus",
            "act_transfer",
            "act_rights",
            "act_discount",
        ):
            setattr(self, name, getattr(self, name)[order])
        self.act_bounds = np.searchsorted(self.act_t, np.arange(D + 1))
        self.act_cash = np.zeros(len(self.act_t))
        self.act_valid = np.ones(len(self.act_t), bool)
        self.act_rights_price = np.zeros(len(self.act_t))
        self.susp_ex_t = int(D * 0.6)

    def _suspensions(self) -> None:
        rng, S, D = self.rng, self.S, self.D
        susp = np.zeros((D, S), bool)
        pool = np.flatnonzero(self.role == "")
        spells = max(3, S // 8)
        sec = rng.choice(pool, size=spells)
        length = np.minimum(rng.geometric(0.35, spells), 8)
        start = rng.integers(1, np.maximum(2, self.end_t[sec] - length - 1))
        for s, a, n in zip(sec, start, length):  # a handful of spells
            susp[a : a + n, s] = True
        # The ex-date falls inside a three-day halt; trading resumes two days after it.
        s_ex = int(np.flatnonzero(self.role == ROLE_SUSPENDED_EX)[0])
        susp[self.susp_ex_t - 1 : self.susp_ex_t + 2, s_ex] = True
        t = np.arange(D)[:, None]
        self.alive = (t >= np.maximum(self.list_t, 0)[None, :]) & (t < self.end_t[None, :])
        self.susp = susp & self.alive
        self.traded = self.alive & ~self.susp

    # ---------------------------------------------------------------- prices
    def _limits(self, t: np.ndarray, sec: np.ndarray) -> np.ndarray:
        """Daily limit (fraction) per (day, security) cell; inf where the listing has none."""
        lim = self.limit[sec]
        chinext_old = self.is_chinext[sec] & (self.days[t] < _CHINEXT_20PCT_FROM) & ~self.is_st[sec]
        lim = np.where(chinext_old, 0.10, lim)
        session = t - self.list_t[sec]
        fresh = (self.list_t[sec] >= 0) & (session >= 0)
        lim = np.where(fresh & self.unlimited_ipo[sec] & (session < NO_LIMIT_SESSIONS), np.inf, lim)
        return np.where(fresh & self.is_main[sec] & (session == 0), MAIN_FIRST_DAY_LIMIT, lim)

    def _simulate_prices(self) -> None:
        rng, S, D = self.rng, self.S, self.D
        ref = np.exp(rng.uniform(np.log(3.0), np.log(120.0), S))
        ref[self.role != ""] = np.maximum(ref[self.role != ""], 10.0)  # role cases keep their stock dividends
        ref = round_price(ref)
        self.issue_price = round_price(rng.uniform(12.0, 30.0))
        anchor = ref.copy()
        factor = rng.uniform(1.0, 4.0, S)
        factor[self.new_ix] = 1.0
        shares_mult = np.ones(S)
        dps = np.zeros(S)
        last_div = np.full(S, -10 * _DAYS_PER_YEAR)
        pre = np.full((D, S), np.nan)
        close = np.full((D, S), np.nan)
        self.factor = np.full((D, S), np.nan)
        self.shares_mult = np.ones((D, S), np.float32)
        self.dps = np.zeros((D, S), np.float32)
        secs = np.arange(S)
        t_arange = np.zeros(S, int)
        # A market-wide volatility level per day: calm and turbulent days, as the exchange
        # sees them, so a consistency tolerance that widens on volatile days has both kinds.
        self.day_vol = np.exp(rng.normal(-0.35, 0.35, D))
        for t in range(D):
            if t == self.list_t[self.new_ix]:
                ref[self.new_ix] = anchor[self.new_ix] = self.issue_price
            a0, a1 = self.act_bounds[t], self.act_bounds[t + 1]
            if a1 > a0:
                a = self.act_sec[a0:a1]
                before = ref[a]
                bonus, transfer, rights = (
                    arr[a0:a1] for arr in (self.act_bonus, self.act_transfer, self.act_rights)
                )
                # Companies trading near a yuan do not send or transfer shares; their plan shrinks to cash.
                cheap = before < MIN_PRICE_FOR_STOCK_DIVIDEND
                bonus[cheap] = 0.0
                transfer[cheap] = 0.0
                yields = self.act_yield[a0:a1]
                cash = np.where(
                    (yields > 0) & (before >= 1.0), np.maximum(0.01, round_price(before * yields)), 0.0
                )
                rp = round_price(before * self.act_discount[a0:a1])
                ratio = bonus + transfer + rights
                # A plan left with nothing to distribute is cancelled rather than booked as an empty ex-date.
                valid = (cash > 0) | (ratio > 0)
                self.act_valid[a0:a1] = valid
                self.act_cash[a0:a1], self.act_rights_price[a0:a1] = cash, rp
                a, before, cash, rp, ratio = a[valid], before[valid], cash[valid], rp[valid], ratio[valid]
                ex = ex_reference_price(before, cash, bonus[valid], transfer[valid], rights[valid], rp)
                ref[a] = ex
                factor[a] *= before / ex
                anchor[a] = np.maximum(anchor[a] * ex / before, MIN_ANCHOR_PRICE)
                shares_mult[a] *= 1.0 + ratio
                paid = cash > 0
                dps[a[paid]] = cash[paid] / (1.0 + ratio[paid])
                last_div[a[paid]] = t
            pre[t] = ref
            lim = self._limits(t_arange + t, secs)
            up = np.where(
                np.isfinite(lim), round_price(ref * (1 + np.where(np.isfinite(lim), lim, 0))), np.inf
            )
            down = np.where(
                np.isfinite(lim), round_price(ref * (1 - np.where(np.isfinite(lim), lim, 0))), 0.01
            )
            shock = rng.standard_t(4, S) * self.sigma * self.day_vol[t] / np.sqrt(2.0) - 0.01 * np.log(
                ref / anchor
            )
            if t == self.list_t[self.new_ix]:
                shock[self.new_ix] = 0.6  # first-day pop that only an unlimited listing can print
            c = np.clip(round_price(ref * np.exp(shock)), np.maximum(down, 0.01), up)
            tr = self.traded[t]
            close[t] = np.where(tr, c, np.nan)
            ref = np.where(tr, c, ref)
            self.factor[t] = factor
            self.shares_mult[t] = shares_mult
            # Trailing dividend per current share, dropped a year after payment.
            self.dps[t] = np.where(t - last_div < _DAYS_PER_YEAR, dps, 0.0)
        self.pre, self.close = pre, close
        self.ref0 = self.pre[0].copy()

    # -------------------------------------------------------------- assembly
    def build(self) -> SimulatedMarket:
        self._roster()
        self._schedule_actions()
        self._suspensions()
        self._simulate_prices()
        rng, S, D = self.rng, self.S, self.D

        # Long form over every listed cell, ordered by (day, security) = Tushare's by-date order.
        alive_flat = self.alive.ravel()
        pos = np.flatnonzero(alive_flat)
        t_all, s_all = (ix.astype(np.int32) for ix in np.divmod(pos, S))
        susp_all = self.susp.ravel()[pos]
        pre_all = self.pre.ravel()[pos]
        close_all = self.close.ravel()[pos]
        factor_all = self.factor.ravel()[pos]
        del self.factor  # at 24M cells every released matrix lowers the build's peak
        tr = ~susp_all
        t, s, pre, close = t_all[tr], s_all[tr], pre_all[tr], close_all[tr]
        n = len(t)

        lim = self._limits(t, s)
        finite = np.isfinite(lim)
        up = np.where(finite, round_price(pre * (1 + np.where(finite, lim, 0))), np.inf)
        down = np.maximum(np.where(finite, round_price(pre * (1 - np.where(finite, lim, 0))), 0.01), 0.01)
        sig = self.sigma[s] * self.day_vol[t]
        open_ = np.clip(round_price(pre * np.exp(rng.normal(0, 0.4, n) * sig)), down, up)
        top, bottom = np.maximum(open_, close), np.minimum(open_, close)
        high = np.maximum(np.minimum(up, round_price(top * (1 + np.abs(rng.normal(0, 0.45, n)) * sig))), top)
        low = np.minimum(
            np.maximum(down, round_price(bottom * (1 - np.abs(rng.normal(0, 0.45, n)) * sig))), bottom
        )

        total0 = np.exp(rng.uniform(np.log(8_000), np.log(400_000), S))  # 万股
        total0[self.board == "bse"] /= 20
        float0 = total0 * rng.uniform(0.5, 1.0, S)
        free0 = float0 * rng.uniform(0.5, 1.0, S)
        mult = self.shares_mult.ravel()[pos][tr].astype(np.float64)
        total_share, float_share, free_share = total0[s] * mult, float0[s] * mult, free0[s] * mult
        turnover = np.exp(rng.normal(np.log(0.012), 0.5, S)) * np.where(self.is_st, 2.0, 1.0)
        lots = np.maximum(1, np.rint(float_share * 1e4 * turnover[s] * np.exp(rng.normal(0, 0.4, n)) / 100))
        lots = lots.astype(np.int64)
        shares = lots * 100
        vwap = low + rng.random(n) * (high - low)
        amount_yuan = np.round(shares * vwap, 2)

        day_text = yyyymmdd(self.days)
        code_dtype = pd.CategoricalDtype(self.codes, ordered=True)
        date_dtype = pd.CategoricalDtype(day_text, ordered=True)

        def cat(codes: np.ndarray, dtype: pd.CategoricalDtype) -> pd.Categorical:
            return pd.Categorical.from_codes(codes, dtype=dtype)

        change = np.round(close - pre, 2)
        daily = pd.DataFrame(
            {
                "ts_code": cat(s, code_dtype),
                "trade_date": cat(t, date_dtype),
                "open": open_,
                "high": high,
                "low": low,
                "close": close,
                "pre_close": pre,
                "change": change,
                "pct_chg": np.round(change / pre * 100, 4),
                "vol": lots.astype(np.float64),
                "amount": np.round(amount_yuan / 1000, 3),
            },
            copy=False,  # unconsolidated: no second copy of 24M-row columns
        )

        del lim, finite, up, down, sig, top, bottom, vwap
        daily_basic = self._daily_basic(
            t,
            s,
            close,
            shares,
            total_share,
            float_share,
            free_share,
            pos,
            tr,
            cat(s, code_dtype),
            cat(t, date_dtype),
        )

        # adj_factor: every listed day incl. halts; the new listing's rows lag NEW_LISTING_LAG sessions.
        del total_share, float_share, free_share, mult, shares, self.dps, self.shares_mult
        lagging = (s_all == self.new_ix) & (t_all < self.list_t[self.new_ix] + NEW_LISTING_LAG)
        adj = pd.DataFrame(
            {
                "ts_code": cat(s_all[~lagging], code_dtype),
                "trade_date": cat(t_all[~lagging], date_dtype),
                "adj_factor": np.round(factor_all[~lagging], 3),
            },
            copy=False,  # unconsolidated: no second copy of 24M-row columns
        )
        true_factor = pd.DataFrame(
            {
                "ts_code": cat(s_all, code_dtype),
                "trade_date": cat(t_all, date_dtype),
                "factor": factor_all,
            },
            copy=False,  # unconsolidated: no second copy of 24M-row columns
        )
        suspensions = pd.DataFrame(
            {
                "ts_code": self.codes[s_all[susp_all]],
                "trade_date": day_text[t_all[susp_all]],
            }
        )

        qmt, discrepancy_log = self._qmt(
            t_all,
            s_all,
            susp_all,
            pre_all,
            close_all,
            tr,
            open_,
            high,
            low,
            close,
            lots,
            amount_yuan,
            code_dtype,
        )
        daily, qmt, broken_log = self._break_rows(daily, qmt, code_dtype)

        securities, stock_basic = self._roster_frames()
        market = SimulatedMarket(
            cfg=self.cfg,
            days=pd.DatetimeIndex(self.days.astype("datetime64[ns]")),
            securities=securities,
            stock_basic=stock_basic,
            trade_cal=self._trade_cal(),
            daily=daily,
            adj_factor=adj,
            daily_basic=daily_basic,
            dividend=self._dividend(),
            qmt_daily=qmt,
            actions=self._actions_frame(),
            true_factor=true_factor,
            suspensions=suspensions,
            discrepancy_log=discrepancy_log,
            broken_log=broken_log,
        )
        day_ix = np.arange(D + 1)
        for name in ("daily", "adj_factor", "daily_basic", "true_factor"):
            codes = getattr(market, name)["trade_date"].cat.codes.to_numpy()
            market._bounds[name] = np.searchsorted(codes, day_ix)
        qmt_day = (qmt["time"].to_numpy() + _SHANGHAI_OFFSET_MS) // 86_400_000
        market._bounds["qmt_daily"] = np.searchsorted(qmt_day, self.days.astype(np.int64).tolist() + [2**62])
        return market

    def _daily_basic(
        self, t, s, close, shares, total_share, float_share, free_share, pos, tr, code_col, date_col
    ) -> pd.DataFrame:
        rng, S, D = self.rng, self.S, self.D
        # Fundamentals step once a quarter (~61 sessions); four extra leading quarters feed the static pe/ps.
        quarters = D // 61 + 6
        growth = np.cumsum(rng.normal(0.01, 0.05, (S, quarters)), axis=1)
        pe0 = rng.uniform(8, 60, S)
        earnings_ps0 = np.where(self.is_st, -1, 1) * self.ref0 / pe0
        book_ps0 = self.ref0 / rng.uniform(0.8, 8, S)
        sales_ps0 = self.ref0 / rng.uniform(0.5, 10, S)
        phase = rng.integers(0, 61, S)
        q = (t + phase[s]) // 61 + 4
        mult0 = self.shares_mult.ravel()[pos][tr].astype(np.float64)

        def per_share(base0: np.ndarray, lag: int, elasticity: float = 1.0) -> np.ndarray:
            # At the window's share count, rescaled when bonus/transfer shares dilute it.
            return base0[s] * np.exp(growth[s, q - lag] * elasticity) / mult0

        def ratio(den: np.ndarray) -> np.ndarray:
            return np.where(den > 0, np.round(close / np.where(den > 0, den, 1), 4), np.nan)

        # Columns are computed one at a time so a 24M-row build holds few temporaries.
        cols: dict[str, object] = {
            "ts_code": code_col,
            "trade_date": date_col,
            "close": close.copy(),  # daily shares `close`; broken rows must corrupt only daily
            "turnover_rate": np.round(shares / (float_share * 1e4) * 100, 4),
            "turnover_rate_f": np.round(shares / (free_share * 1e4) * 100, 4),
            "volume_ratio": self._volume_ratio(t, s, shares),
            "pe": ratio(per_share(earnings_ps0, 4)),
            "pe_ttm": ratio(per_share(earnings_ps0, 0)),
            "pb": ratio(per_share(book_ps0, 0, 0.5)),
            "ps": ratio(per_share(sales_ps0, 4)),
            "ps_ttm": ratio(per_share(sales_ps0, 0)),
        }
        dps = self.dps.ravel()[pos][tr].astype(np.float64)
        cols["dv_ratio"] = np.round(dps / close * 100, 4)
        cols["dv_ttm"] = np.round(dps / close * 100, 4)
        del dps
        cols["total_share"] = np.round(total_share, 4)
        cols["float_share"] = np.round(float_share, 4)
        cols["free_share"] = np.round(free_share, 4)
        cols["total_mv"] = np.round(close * total_share, 4)
        cols["circ_mv"] = np.round(close * float_share, 4)
        return pd.DataFrame(cols, copy=False)  # unconsolidated: no second copy of 24M-row columns

    def _volume_ratio(self, t: np.ndarray, s: np.ndarray, shares: np.ndarray) -> np.ndarray:
        """Today's volume over the mean of the previous five traded sessions (null with no history)."""
        cum = np.zeros((self.D, self.S))
        cum[t, s] = shares
        np.cumsum(cum, axis=0, out=cum)
        count = np.zeros((self.D, self.S), np.float32)
        count[t, s] = 1
        np.cumsum(count, axis=0, out=count)

        def before(m: np.ndarray, k: int) -> np.ndarray:
            return np.where(t - k >= 0, m[np.maximum(t - k, 0), s], 0.0)

        past_n = before(count, 1) - before(count, 6)
        past_mean = (before(cum, 1) - before(cum, 6)) / np.maximum(past_n, 1)
        return np.where(past_n > 0, np.round(shares / np.where(past_n > 0, past_mean, 1), 2), np.nan)

    def _qmt(
        self,
        t_all,
        s_all,
        susp_all,
        pre_all,
        close_all,
        tr,
        open_,
        high,
        low,
        close,
        lots,
        amount,
        code_dtype,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        rng = self.rng
        n_all = len(t_all)
        # Halted rows carry the last traded close (or the pre-window reference) in every price field.
        close_mat = self.close.copy()
        close_mat[0] = np.where(np.isnan(close_mat[0]), self.pre[0], close_mat[0])
        filled = pd.DataFrame(close_mat).ffill().to_numpy()
        last_close = filled.ravel()[np.flatnonzero(self.alive.ravel())]
        del filled, close_mat
        cols = {name: np.empty(n_all) for name in ("open", "high", "low", "close", "pre_close", "amount")}
        volume = np.zeros(n_all, np.int64)
        cols["open"][tr], cols["high"][tr], cols["low"][tr], cols["close"][tr] = open_, high, low, close
        cols["pre_close"][tr], cols["amount"][tr] = pre_all[tr], amount
        volume[tr] = lots
        for name in ("open", "high", "low", "close", "pre_close"):
            cols[name][susp_all] = last_close[susp_all]
        cols["amount"][susp_all] = 0.0

        # Discrepancies on traded cells only; stale bars need an earlier traded bar of the same security.
        traded_rows = np.flatnonzero(tr)
        k = int(round(self.cfg.discrepancies.rate * len(traded_rows)))
        hit = np.sort(rng.choice(traded_rows, size=k, replace=False)) if k else np.empty(0, np.int64)
        kind = rng.integers(0, 3, size=k)
        # Previous traded row of the same security: rows are (day, security) ordered, so look up by matrix.
        row_of = np.full(self.close.shape, -1, np.int64)
        row_of.ravel()[np.flatnonzero(self.alive.ravel())[tr]] = traded_rows
        prev_row_mat = pd.DataFrame(np.where(row_of >= 0, row_of, np.nan)).ffill().shift(1).to_numpy()
        prev_row = prev_row_mat[t_all[hit], s_all[hit]]
        del prev_row_mat, row_of
        kind = np.where((kind == 2) & np.isnan(prev_row), 0, kind)
        noise = kind == 0
        if noise.any():
            m = self.cfg.discrepancies.price_noise_max
            u = rng.uniform(0.25 * m, m, noise.sum()) * rng.choice([-1.0, 1.0], noise.sum())
            rows = hit[noise]
            moved = np.maximum(round_price(cols["close"][rows] * (1 + u)), 0.01)
            cols["close"][rows] = moved
            cols["high"][rows] = np.maximum(cols["high"][rows], moved)
            cols["low"][rows] = np.minimum(cols["low"][rows], moved)
        stale = kind == 2
        if stale.any():
            rows, src = hit[stale], prev_row[stale].astype(np.int64)
            for name in ("open", "high", "low", "close", "amount"):
                cols[name][rows] = cols[name][src]
            volume[rows] = volume[src]
        keep = np.ones(n_all, bool)
        keep[hit[kind == 1]] = False

        qmt = pd.DataFrame(
            {
                "stock_code": pd.Categorical.from_codes(s_all[keep], dtype=code_dtype),
                "time": shanghai_midnight_ms(self.days[t_all[keep]]),
                **{name: cols[name][keep] for name in ("open", "high", "low", "close", "pre_close")},
                "volume": volume[keep],
                "amount": cols["amount"][keep],
                "suspend_flag": susp_all[keep].astype(np.int64),
            },
            copy=False,  # unconsolidated: no second copy of 24M-row columns
        )
        log = pd.DataFrame(
            {
                "ts_code": self.codes[s_all[hit]],
                "trade_date": yyyymmdd(self.days[t_all[hit]]),
                "kind": np.array(SimulatedMarket.DISCREPANCY_KINDS, dtype=object)[kind],
            }
        )
        return qmt, log

    def _break_rows(self, daily: pd.DataFrame, qmt: pd.DataFrame, code_dtype: pd.CategoricalDtype):
        """Corrupt the configured upstream rows; unknown codes extend the categorical vocabulary."""
        log = []
        extra_codes = sorted(
            {b.ts_code or "699999.SH" for b in self.cfg.broken_rows if b.kind == "unknown_code"}
            - set(self.codes)
        )
        if extra_codes:
            dtype = pd.CategoricalDtype(sorted(list(self.codes) + extra_codes), ordered=True)
            daily["ts_code"] = daily["ts_code"].cat.set_categories(dtype.categories, ordered=True)
            qmt["stock_code"] = qmt["stock_code"].cat.set_categories(dtype.categories, ordered=True)
        for b in self.cfg.broken_rows:
            day = np.datetime64(b.trade_date, "D")
            if not (self.days == day).any():
                raise ValueError(
                    f"broken row {b.kind} on {b.trade_date}: not a trading day of the market window"
                )
            frame, code_col = (daily, "ts_code") if b.provider == "tushare" else (qmt, "stock_code")
            on_day = (
                (frame["trade_date"] == yyyymmdd(np.array([day]))[0])
                if b.provider == "tushare"
                else (frame["time"] == shanghai_midnight_ms(np.array([day]))[0])
            )
            if b.provider == "qmt":
                on_day &= frame["suspend_flag"] == 0
            candidates = np.flatnonzero(on_day.to_numpy())
            if b.kind == "unknown_code":
                target = candidates[0]
                code = b.ts_code or "699999.SH"
                if code in set(self.codes):
                    raise ValueError(f"broken row unknown_code names {code}, which is a listed security")
            else:
                if b.ts_code is None:
                    target = candidates[len(candidates) // 2]
                else:
                    match = candidates[frame[code_col].to_numpy()[candidates] == b.ts_code]
                    if not len(match):
                        raise ValueError(
                            f"broken row {b.kind}: {b.ts_code} has no {b.provider} bar on {b.trade_date}"
                        )
                    target = match[0]
                code = str(frame[code_col].iloc[target])
            if b.kind == "negative_price":
                frame.iloc[target, frame.columns.get_loc("close")] = -abs(frame["close"].iloc[target])
            elif b.kind == "high_below_low":
                lo_val = frame["low"].iloc[target]
                frame.iloc[target, frame.columns.get_loc("high")] = round(lo_val * 0.97, 2)
            else:
                row = frame.iloc[[target]].copy()
                row[code_col] = pd.Categorical([code], dtype=frame[code_col].dtype)
                insert = target + 1
                frame = pd.concat([frame.iloc[:insert], row, frame.iloc[insert:]], ignore_index=True)
                if b.provider == "tushare":
                    daily = frame
                else:
                    qmt = frame
            log.append((b.provider, b.kind, code, b.trade_date.strftime("%Y%m%d")))
        return daily, qmt, pd.DataFrame(log, columns=["provider", "kind", "ts_code", "trade_date"])

    def _roster_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        boards = [BOARDS[i] for i in self.board_ix]
        list_text = yyyymmdd(self.list_day)
        delist_text = yyyymmdd(self.delist_day)
        securities = pd.DataFrame(
            {
                "ts_code": self.codes,
                "name": self.names,
                "exchange": [b.exchange for b in boards],
                "board": self.board,
                "market": [b.market for b in boards],
                "is_st": self.is_st,
                "price_limit_pct": self.limit * 100,
                "list_date": list_text,
                "delist_date": delist_text,
                "role": self.role,
            }
        )
        rng = self.rng
        stock_basic = pd.DataFrame(
            {
                "ts_code": self.codes,
                "symbol": [c[:6] for c in self.codes],
                "name": self.names,
                "area": rng.choice(_AREAS, self.S),
                "industry": rng.choice(_INDUSTRIES, self.S),
                "market": securities["market"],
                "exchange": securities["exchange"],
                "list_status": np.where(securities["delist_date"].notna(), "D", "L"),
                "list_date": list_text,
                "delist_date": delist_text,
            }
        )
        return securities, stock_basic

    def _trade_cal(self) -> pd.DataFrame:
        cal = pd.date_range(self.cfg.start_date, self.cfg.end_date, freq="D").values.astype("datetime64[D]")
        is_open = np.isin(cal, self.days)
        # pretrade_date: the last open day strictly before each calendar day.
        prev_ix = np.searchsorted(self.all_days, cal, side="left") - 1
        pretrade = np.where(prev_ix >= 0, self.all_days[np.maximum(prev_ix, 0)], np.datetime64("NaT"))
        return pd.DataFrame(
            {
                "exchange": "SSE",
                "cal_date": yyyymmdd(cal),
                "is_open": is_open.astype(np.int64),
                "pretrade_date": yyyymmdd(pretrade),
            }
        )

    def _actions_frame(self) -> pd.DataFrame:
        v = self.act_valid
        return pd.DataFrame(
            {
                "ts_code": self.codes[self.act_sec[v]],
                "ex_date": yyyymmdd(self.days[self.act_t[v]]),
                "cash": self.act_cash[v],
                "bonus": self.act_bonus[v],
                "transfer": self.act_transfer[v],
                "rights": self.act_rights[v],
                "rights_price": self.act_rights_price[v],
            }
        )

    def _dividend(self) -> pd.DataFrame:
        """预案 → 股东大会通过 → 实施 rows per dividend action; rights issues are not dividends."""
        is_div = (self.act_rights == 0) & self.act_valid
        sec, t = self.act_sec[is_div], self.act_t[is_div]
        g = self.H + t  # index into all_days
        # Announcement offsets in trading days before the ex-date; the consecutive pair shares none.
        plan, agm, imp = (self.all_days[np.maximum(g - k, 0)] for k in (40, 20, 4))
        record = self.all_days[g - 1]
        ex = self.all_days[g]
        # end_date: the last quarter-end at least a month before the plan; the later of a
        # consecutive pair reports an earlier quarter so (ts_code, end_date) stays unique.
        anchor = pd.DatetimeIndex(plan.astype("datetime64[ns]")) - pd.Timedelta(days=30)
        end = (anchor.to_period("Q") - 1).to_timestamp(how="end").values.astype("datetime64[D]")
        frame = pd.DataFrame({"sec": sec, "t": t, "end": end})
        clash = frame.duplicated(["sec", "end"], keep="first").to_numpy()
        while clash.any():
            quarter_back = (
                pd.DatetimeIndex(frame.loc[clash, "end"].values.astype("datetime64[ns]")).to_period("Q") - 1
            )
            frame.loc[clash, "end"] = quarter_back.to_timestamp(how="end").values.astype("datetime64[D]")
            clash = frame.duplicated(["sec", "end"], keep="first").to_numpy()
        end = frame["end"].to_numpy().astype("datetime64[D]")
        bo, co = self.act_bonus[is_div], self.act_transfer[is_div]
        cash_tax = self.act_cash[is_div]
        has_stock = (bo + co) > 0
        base = {
            "ts_code": self.codes[sec],
            "end_date": yyyymmdd(end),
            "stk_div": np.round(bo + co, 4),
            "stk_bo_rate": bo,
            "stk_co_rate": co,
            "cash_div": np.round(cash_tax * 0.9, 4),
            "cash_div_tax": cash_tax,
        }
        nat = np.full(len(sec), np.datetime64("NaT"), dtype="datetime64[D]")
        stages = []
        for proc, ann, final in (("预案", plan, False), ("股东大会通过", agm, False), ("实施", imp, True)):
            stages.append(
                pd.DataFrame(
                    {
                        **base,
                        "ann_date": yyyymmdd(ann),
                        "div_proc": proc,
                        "record_date": yyyymmdd(record if final else nat),
                        "ex_date": yyyymmdd(ex if final else nat),
                        "pay_date": yyyymmdd(ex if final else nat),
                        "div_listdate": yyyymmdd(np.where(has_stock, ex, nat) if final else nat),
                        "imp_ann_date": yyyymmdd(imp if final else nat),
                    }
                )
            )
        out = pd.concat(stages, ignore_index=True)
        out = out.sort_values(["ts_code", "end_date", "ann_date"], kind="stable").reset_index(drop=True)
        return out[list(SimulatedMarket.DIVIDEND_COLUMNS)]
