"""SQL for the audit trail. Functions take a Connection and never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sensorgate.audit.models import audit_events


def add_event(conn: sa.Connection, values: dict[str, Any]) -> None:
    conn.execute(audit_events.insert().values(**values))


def events(
    conn: sa.Connection, credential_id: int, start: datetime, end: datetime, limit: int, *, action: str | None = None
) -> list[Any]:
    """A credential's events in [start, end), oldest first; `action`: only those."""
    where = sa.and_(audit_events.c.credential_id == credential_id, audit_events.c.at >= start, audit_events.c.at < end)
    if action is not None:
        where = sa.and_(where, audit_events.c.action == action)
    return list(
        conn.execute(
            sa.select(audit_events).where(where).order_by(audit_events.c.at, audit_events.c.id).limit(limit)
        ).all()
    )
