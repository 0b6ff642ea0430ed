"""Where the warehouse lives: `ARGUS_DATABASE_URL`, else an embedded PostgreSQL.

The embedded server (the `pgserver` package) keeps its data in `.argus/pgdata`,
listens only on a Unix socket, is started on demand and left running so the next
command, `psql` or `dbt` reuses it.
"""

from __future__ import annotations

import os
import shlex
import sys
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from argus.config import STATE_DIR, ArgusConfig

EMBEDDED_DATABASE = "argus"
PGDATA = STATE_DIR / "pgdata"
TRUST_PLACEHOLDER = "unused-by-trust-auth"


class DatabaseError(RuntimeError):
    """The warehouse database cannot be reached or prepared."""


@dataclass(frozen=True)
class ConnectionInfo:
    """One database, spelt the way each tool in the chain wants it."""

    host: str
    port: int
    user: str
    dbname: str
    password: str = ""
    embedded: bool = False

    @property
    def is_socket(self) -> bool:
        return self.host.startswith("/")

    def conninfo(self) -> str:
        """libpq / psycopg / psql connection string."""
        parts = {"host": self.host, "port": self.port, "user": self.user, "dbname": self.dbname}
        if self.password:
            parts["password"] = self.password
        return " ".join(f"{k}={shlex.quote(str(v))}" for k, v in parts.items())

    def _userinfo(self) -> str:
        user = quote(self.user, safe="")
        return f"{user}:{quote(self.password, safe='')}" if self.password else user

    def url(self) -> str:
        """A postgresql:// URL, the form ARGUS_DATABASE_URL takes."""
        if self.is_socket:
            return f"postgresql://{self._userinfo()}@/{self.dbname}?host={quote(self.host, safe='/')}&port={self.port}"
        return f"postgresql://{self._userinfo()}@{self.host}:{self.port}/{self.dbname}"

    def dlt_url(self) -> str:
        """dlt takes a socket directory URL-encoded in the host position.

        dlt refuses credentials without a password, so a placeholder stands in where the
        server trusts the connection (the embedded server, a local trust-auth server): the
        server never asks for it.
        """
        userinfo = self._userinfo() if self.password else f"{quote(self.user, safe='')}:{TRUST_PLACEHOLDER}"
        return f"postgresql://{userinfo}@{quote(self.host, safe='')}:{self.port}/{self.dbname}"

    def sqlalchemy_url(self) -> str:
        """Great Expectations (SQLAlchemy) wants `localhost` and the socket as a query arg."""
        if self.is_socket:
            return (
                f"postgresql+psycopg2://{self._userinfo()}@localhost:{self.port}/{self.dbname}"
                f"?host={quote(self.host, safe='/')}"
            )
        return f"postgresql+psycopg2://{self._userinfo()}@{self.host}:{self.port}/{self.dbname}"

    def libpq_env(self) -> dict[str, str]:
        env = {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGDATABASE": self.dbname,
        }
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def with_database(self, dbname: str) -> ConnectionInfo:
        return replace(self, dbname=dbname)

    def connect(self, **kwargs) -> psycopg.Connection:
        try:
            return psycopg.connect(self.conninfo(), **kwargs)
        except psycopg.OperationalError as exc:
            raise DatabaseError(f"cannot connect to {self.describe()}: {exc}") from exc

    def describe(self) -> str:
        where = f"socket {self.host}" if self.is_socket else f"{self.host}:{self.port}"
        kind = "embedded PostgreSQL" if self.embedded else "PostgreSQL"
        return f"{kind} at {where}, database {self.dbname}"


def _from_url(url: str) -> ConnectionInfo:
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise DatabaseError(f"ARGUS_DATABASE_URL is not a PostgreSQL URL: {exc}") from exc
    return ConnectionInfo(
        host=parts.get("host") or "localhost",
        port=int(parts.get("port") or 5432),
        user=parts.get("user") or os.environ.get("USER", "postgres"),
        dbname=parts.get("dbname") or "postgres",
        password=parts.get("password") or "",
    )


def _pgserver():
    # pgserver warns about a missing XDG_RUNTIME_DIR on headless machines; it falls back to /tmp.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
        import pgserver._commands
    return pgserver


def _embedded_server():
    pgserver = _pgserver()
    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    try:
        return pgserver.get_server(PGDATA, cleanup_mode=None)
    except Exception as exc:
        log = PGDATA / "log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no server log)"
        raise DatabaseError(f"embedded PostgreSQL in {PGDATA} did not start: {exc}\n{tail}") from exc


def _embedded_info() -> ConnectionInfo:
    server = _embedded_server()
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir) if info.socket_dir else str(PGDATA)
    return ConnectionInfo(host=socket_dir, port=int(info.port or 5432), user="postgres",
                          dbname=EMBEDDED_DATABASE, embedded=True)


def embedded_running() -> bool:
    pid_file = PGDATA / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().split("\n", 1)[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def connection_info(create: bool = True) -> ConnectionInfo:
    """The warehouse connection; starts the embedded server and creates its database if needed."""
    url = os.environ.get("ARGUS_DATABASE_URL")
    info = _from_url(url) if url else _embedded_info()
    if create and info.embedded:
        ensure_database(info)
    return info


def ensure_database(info: ConnectionInfo) -> None:
    with info.with_database("postgres").connect(autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (info.dbname,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(info.dbname)))


def drop_database(info: ConnectionInfo) -> None:
    with info.with_database("postgres").connect(autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(info.dbname)))


def stop_embedded() -> bool:
    if not embedded_running():
        return False
    # As root, pgserver runs the server as its own system user; pg_ctl must run as that user too.
    _pgserver()._commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA,
                                 user="pgserver" if os.geteuid() == 0 else None)
    return True


def psql_binary() -> str:
    return str(_pgserver()._commands.POSTGRES_BIN_PATH / "psql")


def shell_env(info: ConnectionInfo, config: ArgusConfig) -> dict[str, str]:
    """What `eval "$(argus db env)"` exports so psql, dbt and dlt reach this database."""
    from argus.dbt import dbt_env  # argus.dbt builds on this module

    venv_bin = str(Path(sys.executable).parent)
    env = dbt_env(info, config)
    env["DESTINATION__POSTGRES__CREDENTIALS"] = info.dlt_url()
    env["PATH"] = os.pathsep.join([venv_bin, str(Path(psql_binary()).parent)]) + os.pathsep + "${PATH}"
    return env


def render_exports(env: dict[str, str]) -> str:
    lines = []
    for key, value in env.items():
        if key == "PATH":
            prefix = value.removesuffix(os.pathsep + "${PATH}")
            lines.append(f'export PATH={shlex.quote(prefix)}:"$PATH"')
        else:
            lines.append(f"export {key}={shlex.quote(value)}")
    return "\n".join(lines)
