"""INSERT ... ON CONFLICT, which SQLAlchemy spells per dialect: one helper, so stores need not choose."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def insert(conn: sa.Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An insert into `table` that takes .on_conflict_do_nothing() and .on_conflict_do_update()."""
    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)
