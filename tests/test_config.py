"""The business configuration: validation errors name the problem; deployments agree with it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from argus.config import REPO_ROOT, ConfigError, load_config


def _write(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load((REPO_ROOT / "config" / "argus.yml").read_text())
    mutate(raw)
    path = tmp_path / "argus.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_default_configuration_loads():
    config = load_config()
    assert config.source_priority.market_data[0] == "qmt"
    assert config.dbt_vars()["argus"]["consistency"]["close_rel_tol"] == config.consistency.close_rel_tol


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c["source_priority"].update(market_data=["qmt", "qmt"]), "source_priority.market_data"),
        (lambda c: c["source_priority"].update(market_data=["bloomberg"]), "source_priority.market_data"),
        (lambda c: c["consistency"].update(close_rel_tol=2), "consistency.close_rel_tol"),
        (lambda c: c["market"].update(end_date="2022-01-01"), "end_date"),
        (lambda c: c["market"].update(as_of="2030-01-01"), "as_of"),
        (lambda c: c.update(surprise=1), "surprise"),
    ],
)
def test_invalid_configuration_names_the_field(tmp_path, mutate, message):
    with pytest.raises(ConfigError, match=message):
        load_config(_write(tmp_path, mutate))


def test_missing_configuration_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yml")


def test_deployment_schedule_matches_configuration():
    config = load_config()
    deployment = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())["deployments"][0]
    schedule = deployment["schedules"][0]
    assert (schedule["cron"], schedule["timezone"]) == (config.schedule.cron, config.schedule.timezone)
    assert deployment["entrypoint"] == "flows/daily.py:argus_daily"
