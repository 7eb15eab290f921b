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


def create_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    # pre_ping replaces connections that died while PostgreSQL restarted, so the service recovers alone.
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, pool_recycle=1800)


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
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Database:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.inline = self.dialect == "sqlite"

    async def read(self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._call(partial(self.read_sync, fn, *args, **kwargs))

    async def write(self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._call(partial(self.write_sync, fn, *args, **kwargs))

    def read_sync(self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        with self.engine.connect() as connection, connection.begin():
            return fn(connection, *args, **kwargs)

    def write_sync(self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        with self.engine.connect() as connection:
            connection.execution_options(sqlite_begin="IMMEDIATE")
            with connection.begin():
                return fn(connection, *args, **kwargs)

    async def _call(self, call: Callable[[], T]) -> T:
        if self.inline:
            return call()
        return await anyio.to_thread.run_sync(call)

    def dispose(self) -> None:
        self.engine.dispose()
