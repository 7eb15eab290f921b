"""Calls per key per day, next to the key's own limits (the plan's defaults arrive with rate limiting)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa

from sensorgate.credentials import store as credentials_store
from sensorgate.credentials.models import credentials
from sensorgate.kit.errors import BadRequest
from sensorgate.usage import store

MAX_KEYS = 1000
KEPT_DAYS = 400


class KeyUsage(msgspec.Struct, rename="camel"):
    key: int
    name: str
    kind: str
    requests: int
    refused: int
    daily_limit: int | None  # null: no daily quota of its own
    limits: dict[str, Any] | None
    revoked: bool


class UsageReport(msgspec.Struct, rename="camel"):
    date: str
    items: list[KeyUsage]


def parse_day(text: str | None, now: datetime) -> date:
    """A UTC day: today by default; not in the future, nor older than usage is kept."""
    today = now.astimezone(UTC).date()
    if not text:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"date: expected YYYY-MM-DD, got {text[:40]!r}") from None
    if day > today:
        raise BadRequest("date: that day has not happened yet")
    if day < today - timedelta(days=KEPT_DAYS):
        raise BadRequest(f"date: daily usage is kept {KEPT_DAYS} days")
    return day


def usage_report(conn: sa.Connection, visible: sa.ColumnElement[bool], day: date) -> UsageReport:
    """Every key the caller may see that was alive on that day, with its counts (zero when unused)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    alive = sa.and_(
        visible,
        credentials.c.created_at < start + timedelta(days=1),
        sa.or_(credentials.c.revoked_at.is_(None), credentials.c.revoked_at >= start),
    )
    rows = credentials_store.credentials_where(conn, alive, MAX_KEYS)
    totals = store.day_totals(conn, [r.id for r in rows], day) if rows else {}
    items = []
    for row in rows:
        requests, refused = totals.get(row.id, (0, 0))
        limits = dict(row.limits) if row.limits else None
        items.append(
            KeyUsage(
                key=row.id,
                name=row.name,
                kind=row.kind,
                requests=requests,
                refused=refused,
                daily_limit=(limits or {}).get("daily"),
                limits=limits,
                revoked=row.revoked_at is not None,
            )
        )
    return UsageReport(date=day.isoformat(), items=items)
