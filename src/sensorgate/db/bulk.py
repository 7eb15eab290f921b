"""Driver-level executemany for bulk work, where SQLAlchemy's per-row machinery would cost more than the SQL.

Statements are written with `?` placeholders; PostgreSQL's driver (psycopg) wants `%s`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def placeholders(conn: sa.Connection, sql: str) -> str:
    return sql if conn.dialect.name == "sqlite" else sql.replace("?", "%s")


def executemany(conn: sa.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        conn.exec_driver_sql(placeholders(conn, sql), list(rows))


def fetchall(conn: sa.Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """Rows as the driver returns them (tuples), on the connection's open transaction.

    This skips SQLAlchemy's Result and Row objects, which cost more than the query on a hot read.
    """
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(placeholders(conn, sql), tuple(params))
        return list(cursor.fetchall())
    finally:
        cursor.close()
