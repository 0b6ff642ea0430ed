"""Shared fixtures: a real PostgreSQL database per test session.

`ARGUS_DATABASE_URL` names the server when set; otherwise the embedded server in
`.argus/pgdata` is started. Either way the tests work in a database of their own
that is dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import yaml

from argus import db
from argus.config import ArgusConfig, load_config

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def server() -> db.ConnectionInfo:
    return db.connection_info()


@pytest.fixture(scope="session")
def database(server: db.ConnectionInfo):
    """A fresh database that in-process flows, dbt and dlt use through ARGUS_DATABASE_URL."""
    info = server.with_database(f"argus_test_{uuid.uuid4().hex[:10]}")
    db.ensure_database(info)
    previous = os.environ.get("ARGUS_DATABASE_URL")
    os.environ["ARGUS_DATABASE_URL"] = info.url()
    yield info
    if previous is None:
        os.environ.pop("ARGUS_DATABASE_URL", None)
    else:
        os.environ["ARGUS_DATABASE_URL"] = previous
    db.drop_database(info)


@pytest.fixture(scope="session")
def base_config() -> ArgusConfig:
    return load_config()


def _write_config(config: ArgusConfig, folder: Path) -> Path:
    path = folder / "argus.yml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    return path


@pytest.fixture(scope="session")
def write_config():
    """Write a configuration file for a flow run (flows take a path, as the CLI does)."""
    return _write_config


@pytest.fixture(scope="session")
def real_data() -> Path:
    if not REAL_DATA.is_dir():
        pytest.fail(f"real market samples are missing: expected them in {REAL_DATA}")
    return REAL_DATA
