"""Run dbt in-process against the warehouse with the business settings as vars."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from argus.config import DBT_PROJECT_DIR, ArgusConfig
from argus.db import ConnectionInfo

# Each flow stage builds one medallion layer (models and their tests).
STAGE_SELECTORS = {
    "bronze": ["path:models/bronze", "path:models/quarantine"],
    "silver": ["path:models/silver"],
    "gold": ["path:models/gold"],
}


class DbtStageFailed(RuntimeError):
    """A model or a blocking test failed; the message lists which and why."""


@dataclass(frozen=True)
class DbtStageResult:
    stage: str
    models: int
    tests: int
    warnings: int


def dbt_env(info: ConnectionInfo, config: ArgusConfig) -> dict[str, str]:
    """What dbt needs in its environment: the connection for profiles.yml and the settings."""
    env = info.libpq_env()
    env["ARGUS_DBT_VARS"] = json.dumps(config.dbt_vars()["argus"])
    env["DBT_PROFILES_DIR"] = str(DBT_PROJECT_DIR)
    # Warehouses often have no internet: dbt must not try to send usage events.
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


def invoke(args: list[str], info: ConnectionInfo, config: ArgusConfig):
    from dbt.cli.main import dbtRunner

    # dbt resolves profiles.yml env_var() calls from the process environment.
    os.environ.update(dbt_env(info, config))
    if not info.password:
        os.environ.pop("PGPASSWORD", None)
    return dbtRunner().invoke(
        [
            *args,
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--vars", json.dumps(config.dbt_vars()),
        ]
    )


def build_stage(stage: str, info: ConnectionInfo, config: ArgusConfig) -> DbtStageResult:
    # Cautious: a test that also reads a later layer waits for the stage that builds that layer.
    outcome = invoke(
        ["build", "--select", *STAGE_SELECTORS[stage], "--indirect-selection", "cautious", "--quiet"], info, config
    )
    results = list(getattr(outcome.result, "results", None) or [])
    failures = [r for r in results if r.status in ("error", "fail")]
    if not outcome.success or failures:
        detail = "; ".join(f"{r.node.unique_id}: {r.message}" for r in failures) or str(outcome.exception)
        raise DbtStageFailed(f"dbt build of {stage} failed: {detail}")
    kinds = [r.node.resource_type for r in results]
    return DbtStageResult(
        stage=stage,
        models=kinds.count("model"),
        tests=kinds.count("test"),
        warnings=sum(1 for r in results if r.status == "warn"),
    )
