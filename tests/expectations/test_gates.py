"""The layer gates against a real PostgreSQL: clean data passes, each kind of breakage is named."""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg
import pytest

from argus.config import ArgusConfig, GatesConfig
from argus.db import ConnectionInfo
from expectations.gates import GateFailed, GateResult, enforce, run_gate
from expectations.suites import build_all, expectation_counts


def _failure(result: GateResult, rule_id: str):
    matching = [f for f in result.failures if f.rule_id == rule_id]
    assert matching, f"{rule_id} did not fail; failures: {[f.rule_id for f in result.failures]}"
    return matching[0]


KEYS = ("ts_code", "trade_date", "instrument", "datetime", "model", "exchange", "cal_date")


def _row_keys(failure) -> set[str]:
    """The failing rows as 'key key', from whichever key columns the relation has."""
    return {" ".join(str(row[k]) for k in KEYS if k in row) for row in failure.rows}


@pytest.mark.parametrize("layer", ["bronze", "silver", "gold"])
def test_clean_market_passes_every_rule(layer: str, market: psycopg.Connection, warehouse: ConnectionInfo,
                                        config: ArgusConfig, gx_project: Path) -> None:
    result = enforce(run_gate(layer, warehouse, config, project_root=gx_project))
    assert result.passed
    assert result.failures == ()
    assert result.evaluated == expectation_counts()[layer] >= 12


def test_bronze_high_below_low_on_a_valid_row_fails_naming_the_row(
        market: psycopg.Connection, warehouse: ConnectionInfo, config: ArgusConfig, gx_project: Path) -> None:
    market.execute("update bronze.brz_tushare__daily set high = low - 1 "
                   "where ts_code = '600519.SH' and trade_date = '2024-01-03'")
    market.commit()

    result = run_gate("bronze", warehouse, config, project_root=gx_project)

    assert not result.passed
    failure = _failure(result, "brz.tushare_daily.high_ge_low")
    assert failure.severity == "critical"
    assert failure.table == "bronze.brz_tushare__daily"
    assert failure.columns == ("high", "low")
    assert failure.unexpected_count == 1
    assert _row_keys(failure) == {"600519.SH 2024-01-03"}
    with pytest.raises(GateFailed) as raised:
        enforce(result)
    message = str(raised.value)
    assert "brz.tushare_daily.high_ge_low" in message
    assert "ts_code=600519.SH, trade_date=2024-01-03" in message


def test_bronze_rejected_row_is_exempt_from_row_rules_but_counts_against_the_reject_ratio(
        market: psycopg.Connection, warehouse: ConnectionInfo, config: ArgusConfig, gx_project: Path) -> None:
    market.execute("update bronze.brz_tushare__daily set high = low - 1, _reject_reason = 'high below low' "
                   "where ts_code = '600519.SH' and trade_date = '2024-01-03'")
    market.commit()

    strict = run_gate("bronze", warehouse, config, project_root=gx_project)
    # 1 of 7 rows rejected is far above the configured 1%.
    assert [f.rule_id for f in strict.failures] == ["brz.reject_ratio_within_gate"]
    assert _row_keys(strict.failures[0]) == {"brz_tushare__daily"}

    lenient = config.model_copy(update={"gates": GatesConfig(max_reject_ratio=0.2, min_close_consistency=0.95)})
    assert run_gate("bronze", warehouse, lenient, project_root=gx_project).failures == ()


def test_bronze_unknown_code_on_a_valid_row_is_sampled_from_the_sql_rule(
        market: psycopg.Connection, warehouse: ConnectionInfo, config: ArgusConfig, gx_project: Path) -> None:
    market.execute("update bronze.brz_tushare__adj_factor set ts_code = '688999.SH' "
                   "where ts_code = '300750.SZ' and trade_date = '2024-01-02'")
    market.commit()

    result = run_gate("bronze", warehouse, config, project_root=gx_project)

    failure = _failure(result, "brz.adj_factor.ts_code_known")
    assert failure.expectation_type == "unexpected_rows_expectation"
    assert failure.unexpected_count == 1
    assert _row_keys(failure) == {"688999.SH 2024-01-02"}
    assert not result.passed


def test_silver_consistency_share_below_the_gate_names_the_day(
        market: psycopg.Connection, warehouse: ConnectionInfo, config: ArgusConfig, gx_project: Path) -> None:
    market.execute("update silver.slv_close_consistency set rel_diff = 0.02, is_consistent = false "
                   "where ts_code = '600519.SH' and trade_date = '2024-01-05'")
    market.commit()

    result = run_gate("silver", warehouse, config, project_root=gx_project)

    failure = _failure(result, "slv.close_consistency_share_within_gate")
    assert _row_keys(failure) == {"2024-01-05"}
    assert {f.rule_id for f in result.failures} == {"slv.close_consistency_share_within_gate"}


def test_a_warning_is_reported_without_failing_the_gate(
        market: psycopg.Connection, warehouse: ConnectionInfo, config: ArgusConfig, gx_project: Path) -> None:
    market.execute("update silver.slv_valuation_daily set pb = -1 "
                   "where ts_code = '300750.SZ' and trade_date = '2024-01-02'")
    market.commit()

    result = enforce(run_gate("silver", warehouse, config, project_root=gx_project))

    assert result.passed and result.failed_critical == 0 and result.failed_warning == 1
    assert _row_keys(_failure(result, "slv.valuation_daily.pb_positive")) == {"300750.SZ 2024-01-02"}


def test_gold_duplicate_key_fails(market: psycopg.Connection, warehouse: ConnectionInfo, config: ArgusConfig,
                                  gx_project: Path) -> None:
    market.execute("insert into gold.fct_daily_bar select * from gold.fct_daily_bar "
                   "where ts_code = '600519.SH' and trade_date = '2024-01-04'")
    market.commit()

    result = run_gate("gold", warehouse, config, project_root=gx_project)

    failure = _failure(result, "fct.daily_bar.key_unique")
    assert failure.unexpected_count == 1
    assert _row_keys(failure) == {"600519.SH 2024-01-04"}
    assert failure.rows[0]["copies"] == 2
    assert not result.passed


def test_gold_bad_qlib_instrument_fails_naming_the_security(
        market: psycopg.Connection, warehouse: ConnectionInfo, config: ArgusConfig, gx_project: Path) -> None:
    market.execute("update gold.dim_security set qlib_instrument = 'sh600519' where ts_code = '600519.SH'")
    market.commit()

    result = run_gate("gold", warehouse, config, project_root=gx_project)

    assert _row_keys(_failure(result, "dim.security.qlib_instrument_format")) == {"600519.SH"}
    assert _row_keys(_failure(result, "dim.security.qlib_instrument_matches_ts_code")) == {"600519.SH"}
    # The Qlib view still says SH600519, which no longer names a security.
    assert _failure(result, "qlib.daily_pv.instrument_in_dim_security").unexpected_count == 4
    assert not result.passed


def test_gold_hfq_off_the_factor_and_prices_on_a_suspended_day_fail(
        market: psycopg.Connection, warehouse: ConnectionInfo, config: ArgusConfig, gx_project: Path) -> None:
    market.execute("update gold.fct_daily_bar set close_hfq = close_hfq * 1.01 "
                   "where ts_code = '600519.SH' and trade_date = '2024-01-02'")
    market.execute("update gold.fct_daily_bar set close = 161 "
                   "where ts_code = '300750.SZ' and trade_date = '2024-01-04'")
    market.commit()

    result = run_gate("gold", warehouse, config, project_root=gx_project)

    hfq = _failure(result, "fct.daily_bar.hfq_is_raw_times_factor")
    # The suspended day now has a close but no close_hfq: also off the identity.
    assert _row_keys(hfq) == {"600519.SH 2024-01-02", "300750.SZ 2024-01-04"}
    assert _row_keys(_failure(result, "fct.daily_bar.suspended_has_no_close")) == {"300750.SZ 2024-01-04"}


def test_calendar_out_of_order_links_fail(market: psycopg.Connection, warehouse: ConnectionInfo,
                                          config: ArgusConfig, gx_project: Path) -> None:
    market.execute("update gold.dim_trade_calendar set day_index = 205 where trade_date = '2024-01-04'")
    market.execute("update gold.dim_trade_calendar set prev_trade_date = '2024-01-02' where trade_date = '2024-01-04'")
    market.commit()

    result = run_gate("gold", warehouse, config, project_root=gx_project)

    assert _row_keys(_failure(result, "dim.trade_calendar.day_index_consecutive")) == {"2024-01-04", "2024-01-05"}
    assert _row_keys(_failure(result, "dim.trade_calendar.prev_links_previous_row")) == {"2024-01-04"}


def test_a_missing_table_fails_the_gate_instead_of_passing_silently(
        market: psycopg.Connection, warehouse: ConnectionInfo, config: ArgusConfig, gx_project: Path) -> None:
    market.execute("alter table silver.slv_corporate_actions rename to slv_corporate_actions_gone")
    market.commit()
    try:
        result = run_gate("silver", warehouse, config, project_root=gx_project)
    finally:
        market.execute("alter table silver.slv_corporate_actions_gone rename to slv_corporate_actions")
        market.commit()

    missing = [f for f in result.failures if f.table == "silver.slv_corporate_actions"]
    assert missing and all(f.error for f in missing)
    assert not result.passed


def test_building_twice_changes_no_committed_file(warehouse: ConnectionInfo, gx_project: Path) -> None:
    def snapshot() -> dict[str, str]:
        return {str(p.relative_to(gx_project)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in (gx_project / "gx").rglob("*") if p.is_file() and "uncommitted" not in p.parts}

    before = snapshot()
    build_all(warehouse, gx_project)
    assert snapshot() == before
    config_text = (gx_project / "gx" / "great_expectations.yml").read_text()
    assert "${ARGUS_GX_CONNECTION}" in config_text and "postgresql+psycopg2://" not in config_text


def test_validation_results_are_pruned_to_the_configured_count(
        market: psycopg.Connection, warehouse: ConnectionInfo, config: ArgusConfig, gx_project: Path) -> None:
    keep_one = config.model_copy(update={"gates": config.gates.model_copy(update={"keep_validation_runs": 1})})
    for _ in range(2):
        run_gate("gold", warehouse, keep_one, project_root=gx_project)
    run_folders = list((gx_project / "gx" / "uncommitted" / "validations").glob("gold/*/*"))
    assert run_folders
    assert all(len([p for p in folder.iterdir() if p.is_dir()]) == 1 for folder in run_folders)
