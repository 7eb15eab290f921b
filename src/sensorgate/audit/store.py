"""SQL for the audit trail. Functions take a Connection and never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sensorgate.audit.models import audit_events


def add_event(conn: sa.Connection, values: dict[str, Any]) -> None:
    conn.execute(audit_events.insert().values(**values))


def events(conn: sa.Connection, credential_id: int, start: datetime, end: datetime, limit: int) -> list[Any]:
    """A credential's events in [start, end), oldest first."""
    return list(
        conn.execute(
            sa.select(audit_events)
            .where(audit_events.c.credential_id == credential_id, audit_events.c.at >= start, audit_events.c.at < end)
            .order_by(audit_events.c.at, audit_events.c.id)
            .limit(limit)
        ).all()
    )
