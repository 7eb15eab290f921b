"""Alembic environment. The caller hands over an open connection in ``config.attributes``."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext

import sensorgate.models  # noqa: F401  (registers every table on the metadata)
from sensorgate.db.metadata import UtcDateTime, metadata

# Any number taken from nowhere else: two servers migrating one PostgreSQL at once take turns.
MIGRATION_LOCK_ID = 7_146_305_901


def render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write UtcDateTime as a plain timezone-aware DateTime, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    connection: sa.Connection | None = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("sensorgate migrations run through sensorgate.db.migrate, which passes a connection")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
        context.run_migrations()


run_migrations_online()
