"""The `ops` schema: the record of every ingest run."""

from __future__ import annotations

import datetime as dt

from argus.db import ConnectionInfo

DDL = """
create schema if not exists ops;
create table if not exists ops.ingest_runs (
    run_id      text        not null,
    provider    text        not null,
    resource    text        not null,
    load_id     text,
    rows        bigint      not null default 0,
    status      text        not null check (status in ('running', 'succeeded', 'failed')),
    started_at  timestamptz not null,
    finished_at timestamptz,
    error       text,
    primary key (run_id, provider, resource)
);
"""


def ensure_schema(info: ConnectionInfo) -> None:
    with info.connect(autocommit=True) as conn:
        conn.execute(DDL)


def record_start(info: ConnectionInfo, run_id: str, provider: str, resources: list[str],
                 started_at: dt.datetime) -> None:
    with info.connect() as conn:
        conn.cursor().executemany(
            """insert into ops.ingest_runs (run_id, provider, resource, status, started_at)
               values (%s, %s, %s, 'running', %s)
               on conflict (run_id, provider, resource)
               do update set status = 'running', started_at = excluded.started_at,
                             finished_at = null, error = null, rows = 0""",
            [(run_id, provider, resource, started_at) for resource in resources],
        )


def record_finish(info: ConnectionInfo, run_id: str, provider: str, rows: dict[str, int],
                  load_id: str | None, error: str | None) -> None:
    status = "failed" if error else "succeeded"
    with info.connect() as conn:
        conn.cursor().executemany(
            """update ops.ingest_runs
                  set status = %s, rows = %s, load_id = %s, error = %s, finished_at = now()
                where run_id = %s and provider = %s and resource = %s""",
            [(status, count, load_id, error, run_id, provider, resource) for resource, count in rows.items()],
        )
