"""The engine and the one way services reach the database: ``await db.read(fn, ...)`` and
``await db.write(fn, ...)``, each one transaction.

On SQLite a call takes microseconds, so it runs on the event loop: a hop to a thread would cost more than
the query. On PostgreSQL a call waits on the network, so it runs in a worker thread and the loop stays free.
Services take a Connection, flush through it and never commit; these wrappers commit or roll back.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy import event

P = ParamSpec("P")
T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 5000
# Key in Connection.info that tells the SQLite begin hook which BEGIN to issue.
BEGIN_MODE = "sensorgate_begin_mode"


def create_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    # pre_ping replaces connections that died while PostgreSQL restarted, so the service recovers alone.
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_recycle=1800)


def ping(conn: sa.Connection) -> None:
    """The cheapest statement that proves the database answers (for /health)."""
    conn.execute(sa.text("SELECT 1"))


def _sqlite_engine(url: str) -> sa.Engine:
    database = sa.make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event below issue BEGIN, instead of pysqlite's own guesswork.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A writer takes the write lock at BEGIN, so two writers never both read-then-write and deadlock.
        # Straight to the driver: SQLAlchemy's statement machinery would cost more than the BEGIN itself.
        mode = connection.info.get(BEGIN_MODE, "DEFERRED")
        connection.connection.driver_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]

    return engine


class Database:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.inline = self.dialect == "sqlite"
        # SQLite calls made from the event loop run one at a time to completion, so they can share one
        # connection and skip the pool's checkout and checkin on every request.
        self._loop_connection: sa.Connection | None = None

    async def read(self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self.inline:
            return self._on_loop_connection("DEFERRED", fn, *args, **kwargs)
        return await anyio.to_thread.run_sync(partial(self.read_sync, fn, *args, **kwargs))

    async def write(self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self.inline:
            return self._on_loop_connection("IMMEDIATE", fn, *args, **kwargs)
        return await anyio.to_thread.run_sync(partial(self.write_sync, fn, *args, **kwargs))

    def read_sync(self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """For threads and the CLI: a pooled connection, one transaction."""
        with self.engine.connect() as connection:
            return _transaction(connection, "DEFERRED", fn, *args, **kwargs)

    def write_sync(self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        with self.engine.connect() as connection:
            return _transaction(connection, "IMMEDIATE", fn, *args, **kwargs)

    def _on_loop_connection(
        self, mode: str, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        connection = self._loop_connection
        if connection is None or connection.closed or connection.invalidated:
            connection = self._loop_connection = self.engine.connect()
        return _transaction(connection, mode, fn, *args, **kwargs)

    def dispose(self) -> None:
        if self._loop_connection is not None:
            self._loop_connection.close()
            self._loop_connection = None
        self.engine.dispose()


def _transaction(
    connection: sa.Connection,
    mode: str,
    fn: Callable[Concatenate[sa.Connection, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    connection.info[BEGIN_MODE] = mode
    with connection.begin():
        return fn(connection, *args, **kwargs)
