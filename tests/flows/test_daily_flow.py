"""End to end on a small simulated market: extract → bronze → silver → gold → gates → export."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from argus.config import ConfigError
from expectations.gates import GateFailed
from flows.daily import argus_daily


def _frame(info, query: str, params=()) -> pd.DataFrame:
    with info.connect() as conn:
        cur = conn.execute(query, params)
        return pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description])


def test_rows_per_layer(flow_runs, database):
    market = flow_runs.market
    rows = flow_runs.advanced.layer_rows
    assert rows["raw_tushare"]["daily"] == len(market.daily)
    assert rows["bronze"]["brz_tushare__daily"] == len(market.daily)
    assert rows["raw_qmt"]["daily_bars"] == len(market.qmt_daily)
    # Gold covers every listed open day: traded days plus suspensions.
    expected_gold = len(market.true_factor)
    assert rows["gold"]["fct_daily_bar"] == expected_gold
    suspended = _frame(database, "select count(*) as n from gold.fct_daily_bar where is_suspended")["n"][0]
    assert suspended == len(market.suspensions)


def test_gold_keys_are_unique(database):
    dupes = _frame(database, """select ts_code, trade_date from gold.fct_daily_bar
                                group by 1, 2 having count(*) > 1""")
    assert dupes.empty


def test_close_source_follows_priority(flow_runs, database):
    gold = _frame(database, "select ts_code, trade_date, close_source, is_suspended from gold.fct_daily_bar")
    traded = gold[~gold["is_suspended"]]
    assert set(traded["close_source"]) == {"qmt", "tushare"}
    missing = flow_runs.market.discrepancy_log.query("kind == 'missing_day'")
    assert len(missing) > 0
    keyed = traded.assign(trade_date=pd.to_datetime(traded["trade_date"]).dt.strftime("%Y%m%d"))
    merged = missing.astype(str).merge(keyed, on=["ts_code", "trade_date"])
    assert len(merged) == len(missing)
    assert set(merged["close_source"]) == {"tushare"}
    # QMT ranks first for market data, so it wins wherever it has a bar.
    assert (traded["close_source"] == "qmt").mean() > 0.9


def test_factor_matches_the_market_truth(flow_runs, database):
    gold = _frame(database, "select ts_code, trade_date, adj_factor, adj_factor_source from gold.fct_daily_bar")
    gold["trade_date"] = pd.to_datetime(gold["trade_date"]).dt.strftime("%Y%m%d")
    truth = flow_runs.market.true_factor.astype({"ts_code": str, "trade_date": str})
    merged = truth.merge(gold, on=["ts_code", "trade_date"], validate="one_to_one")
    assert len(merged) == len(truth)
    rel = (merged["adj_factor"] / merged["factor"] - 1).abs()
    assert rel.max() < flow_runs.config.adjustment.factor_rel_tol
    # The new listing's first days have no Tushare factor yet: they are derived from pre_close.
    assert set(merged["adj_factor_source"]) == {"tushare", "derived"}


def test_hfq_is_continuous_across_ex_dates(flow_runs, database):
    bars = _frame(database, """
        select ts_code, trade_date, close, pre_close, close_hfq, close_source, pre_close_source
          from gold.fct_daily_bar where not is_suspended order by ts_code, trade_date""")
    bars["prev_close_hfq"] = bars.groupby("ts_code")["close_hfq"].shift()
    bars["trade_date"] = pd.to_datetime(bars["trade_date"]).dt.strftime("%Y%m%d")
    noisy = flow_runs.market.discrepancy_log.astype(str)[["ts_code", "trade_date"]]
    bars = bars.merge(noisy.assign(noisy=True), on=["ts_code", "trade_date"], how="left")
    clean = bars[bars["noisy"].isna() & bars["prev_close_hfq"].notna()]
    ex = flow_runs.market.actions.astype(str)[["ts_code", "ex_date"]].rename(columns={"ex_date": "trade_date"})
    on_ex = clean.merge(ex, on=["ts_code", "trade_date"])
    assert len(on_ex) >= 5
    hfq_return = on_ex["close_hfq"] / on_ex["prev_close_hfq"]
    real_return = on_ex["close"] / on_ex["pre_close"]
    np.testing.assert_allclose(hfq_return, real_return, rtol=2e-3)
    # Raw prices jump on ex-dates; hfq prices do not jump beyond the day's price limit.
    everyday = clean["close_hfq"] / clean["prev_close_hfq"] - 1
    assert everyday.abs().max() < 0.31


def test_advancing_one_day_loads_only_that_day(flow_runs):
    market = flow_runs.market
    last_day = market.days[-1].strftime("%Y%m%d")
    assert flow_runs.first.as_of == market.days[-2].date().isoformat()
    bars_that_day = int((market.daily["trade_date"] == last_day).sum())
    assert 0 < flow_runs.advanced.extracted_rows["tushare"] < 4 * bars_that_day + 50


def test_second_run_changes_nothing(flow_runs):
    assert flow_runs.repeated.extracted_rows == {"tushare": 0, "qmt": 0}
    assert flow_runs.fingerprint_after_repeat == flow_runs.fingerprint_before_repeat
    assert flow_runs.repeated.layer_rows["gold"] == flow_runs.advanced.layer_rows["gold"]


def test_summary_reports_every_stage(flow_runs):
    summary = flow_runs.advanced
    assert list(summary.gates) == ["bronze", "silver", "gold"]
    assert all(outcome.startswith("passed (") for outcome in summary.gates.values())
    for stage in ("extract tushare", "extract qmt", "dbt bronze", "gate gold", "export qlib"):
        assert summary.stage_seconds[stage] >= 0
    text = summary.render()
    assert "fct_daily_bar" in text and summary.snapshot in text


def test_broken_upstream_rows_are_quarantined_not_published(flow_runs, database):
    rejected = _frame(database, """
        select ts_code, trade_date::text as trade_date, reason
          from quarantine.qtn_rejected_rows where provider = 'tushare' and entity = 'daily'""")
    log = flow_runs.market.broken_log
    assert len(rejected) == len(log)
    reasons = dict(zip(rejected["ts_code"] + "@" + rejected["trade_date"], rejected["reason"]))
    for row in log.itertuples():
        key = f"{row.ts_code}@{pd.Timestamp(row.trade_date).date()}"
        assert key in reasons, f"{row.kind} row {key} not quarantined"
        expected = {"negative_price": "price", "unknown_code": "unknown", "high_below_low": "high below low"}
        assert expected[row.kind] in reasons[key]
    gold = _frame(database, "select * from gold.fct_daily_bar where not is_suspended")
    assert (gold["close"] > 0).all() and (gold["high"] >= gold["low"]).all()
    unknown = log.query("kind == 'unknown_code'")["ts_code"].iloc[0]
    assert unknown not in set(gold["ts_code"])
    for kind in ("negative_price", "high_below_low"):
        bad = log.query("kind == @kind").iloc[0]
        row = gold[(gold["ts_code"] == bad.ts_code)
                   & (pd.to_datetime(gold["trade_date"]) == pd.Timestamp(bad.trade_date))]
        assert len(row) == 1
        # The fused bar came from QMT; Tushare's broken value never reached gold.
        assert row["close_source"].iloc[0] == "qmt"


def test_snapshot_loads_the_way_rd_agent_reads_it(flow_runs, database):
    from pathlib import Path

    folder = Path(flow_runs.advanced.snapshot)
    for frame in (pd.read_hdf(folder / "daily_pv.h5", key="data"), pd.read_hdf(folder / "daily_pv.h5")):
        assert list(frame.index.names) == ["datetime", "instrument"]
        assert list(frame.columns) == ["$open", "$close", "$high", "$low", "$volume", "$factor"]
        assert set(frame.dtypes) == {np.dtype("float32")}
        assert frame.index.is_monotonic_increasing and frame.index.is_unique
        assert isinstance(frame.index.get_level_values("datetime")[0], pd.Timestamp)
        assert frame.index.get_level_values("instrument").str.match(r"^(SH|SZ|BJ)\d{6}$").all()
    gold_rows = _frame(database, "select count(*) as n from gold.qlib_daily_pv")["n"][0]
    assert len(frame) == gold_rows
    # $close / $factor is the traded price.
    gold = _frame(database, """select 'SH' || left(ts_code, 6) as instrument, trade_date, close
                                 from gold.fct_daily_bar where ts_code like '6%%' and not is_suspended""")
    sample = gold.iloc[len(gold) // 2]
    row = frame.loc[(pd.Timestamp(sample.trade_date), sample.instrument)]
    assert row["$close"] / row["$factor"] == pytest.approx(sample.close, rel=1e-5)
    lines = (folder / "instruments" / "all.txt").read_text().splitlines()
    assert all(len(line.split("\t")) == 3 for line in lines)
    calendar = (folder / "calendars" / "day.txt").read_text().split()
    assert calendar == sorted(set(calendar)) and calendar[-1] == flow_runs.advanced.as_of
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["rows"] == len(frame) and meta["fields"] == list(frame.columns)
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".tmp-")]


def test_failing_critical_gate_stops_the_flow_before_export(flow_runs, tmp_path, write_config):
    # With no rejects tolerated, the quarantined rows fail the bronze gate.
    strict = flow_runs.config.model_copy(update={
        "gates": flow_runs.config.gates.model_copy(update={"max_reject_ratio": 0.0}),
        "export": flow_runs.config.export.model_copy(update={"qlib_dir": tmp_path / "qlib"}),
    })
    with pytest.raises(GateFailed, match="reject"):
        argus_daily(config_path=str(write_config(strict, tmp_path)))
    assert not (tmp_path / "qlib").exists()


def test_bad_configuration_fails_with_a_clear_error(tmp_path):
    bad = tmp_path / "argus.yml"
    bad.write_text("market: {seed: 1}\n")
    with pytest.raises(ConfigError, match="market.start_date"):
        argus_daily(config_path=str(bad))


def test_extract_is_retried_as_configured(flow_runs, tmp_path, write_config, monkeypatch):
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import TaskRunSort

    from argus.config import QmtProvider, TushareProvider

    # Nothing listens on these ports: every extract attempt fails, and each is retried.
    monkeypatch.setenv("ARGUS_TEST_TOKEN", "test-token")
    unreachable = flow_runs.config.model_copy(update={
        "providers": flow_runs.config.providers.model_copy(update={
            "tushare": TushareProvider(url="http://127.0.0.1:9/dataapi", token_env="ARGUS_TEST_TOKEN"),
            "qmt": QmtProvider(url="http://127.0.0.1:9"),
        }),
        "extract": flow_runs.config.extract.model_copy(update={"retries": 2, "retry_delay_seconds": 0}),
    })
    state = argus_daily(config_path=str(write_config(unreachable, tmp_path)), return_state=True)
    assert state.is_failed()
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id])),
            sort=TaskRunSort.EXPECTED_START_TIME_ASC, limit=50,
        )
    extract_runs = [run for run in runs if run.name.startswith("extract")]
    assert len(extract_runs) == 1
    assert extract_runs[0].run_count == 3


def test_snapshot_calendar_and_instruments_load_in_qlib(flow_runs, database):
    from pathlib import Path

    import qlib
    from qlib.data import D

    folder = Path(flow_runs.advanced.snapshot)
    qlib.init(provider_uri=str(folder), region="cn", kernels=1)
    expected_days = [d.date().isoformat() for d in flow_runs.market.days]
    assert [str(d.date()) for d in D.calendar()] == expected_days
    codes = _frame(database, "select qlib_instrument from gold.dim_security order by 1")["qlib_instrument"]
    assert D.list_instruments(D.instruments("all"), as_list=True) == codes.tolist()


def test_daily_fact_table_is_partitioned(database):
    with database.connect() as conn:
        if conn.execute("select 1 from pg_extension where extname = 'timescaledb'").fetchone():
            hypertables = conn.execute(
                "select count(*) from timescaledb_information.hypertables"
                " where hypertable_schema = 'gold' and hypertable_name = 'fct_daily_bar'").fetchone()[0]
            assert hypertables == 1
            return
        kind = conn.execute("select relkind from pg_class where oid = 'gold.fct_daily_bar'::regclass").fetchone()[0]
        partitions = conn.execute(
            "select count(*) from pg_inherits where inhparent = 'gold.fct_daily_bar'::regclass").fetchone()[0]
    assert kind == "p" and partitions >= 2


def test_benchmark_baseline_copies_every_raw_row(flow_runs, database):
    from argus.bench import copy_baseline, render

    seconds, rows = copy_baseline(database)
    raw = flow_runs.repeated.layer_rows
    assert rows == sum(raw["raw_tushare"].values()) + sum(raw["raw_qmt"].values())
    assert seconds > 0
    table = render(flow_runs.repeated, seconds, rows, securities=20, years=0.25)
    assert "dbt silver" in table and "x COPY" in table
    with database.connect() as conn:
        leftover = conn.execute("select 1 from pg_namespace where nspname = 'bench_copy'").fetchone()
    assert leftover is None
