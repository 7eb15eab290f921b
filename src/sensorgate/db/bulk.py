"""Driver-level executemany for bulk work, where SQLAlchemy's per-row machinery would cost more than the SQL.

Statements are written with `?` placeholders; PostgreSQL's driver (psycopg) wants `%s`, and reads a literal `%`
only as `%%`. A `?` must therefore never appear in a statement but as a placeholder (use a bound value instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa


def placeholders(conn: sa.Connection, sql: str) -> str:
    return sql if conn.dialect.name == "sqlite" else _psycopg(sql)


@lru_cache(maxsize=1024)  # the hot statements repeat; rewriting costs more than a lookup
def _psycopg(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


def executemany(conn: sa.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        conn.exec_driver_sql(placeholders(conn, sql), list(rows))


def fetchall(conn: sa.Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """Rows as the driver returns them (tuples), on the connection's open transaction.

    This skips SQLAlchemy's Result and Row objects, which cost more than the query on a hot read.
    """
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    statement = placeholders(conn, sql)
    try:
        cursor.execute(statement, tuple(params))
        return list(cursor.fetchall())
    except conn.dialect.loaded_dbapi.Error as exc:
        # Raised as SQLAlchemy would raise it, so the error handler treats a raw read like any other: a NUL
        # byte in PostgreSQL text is the client's 400, a database that went away is a 503.
        raise sa.exc.DBAPIError.instance(statement, params, exc, conn.dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()
