"""Calls per key per day, next to the key's effective plan and, for today, what it used of its limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa

from sensorgate.credentials import store as credentials_store
from sensorgate.credentials.plans import effective_plan, plans_of
from sensorgate.credentials.store import KeyReach
from sensorgate.kit.errors import BadRequest
from sensorgate.usage import store
from sensorgate.usage.limits import CredentialLimiter

MAX_KEYS = 1000
KEPT_DAYS = 400


class KeyUsage(msgspec.Struct, rename="camel"):
    key: int
    name: str
    kind: str
    requests: int
    refused: int
    points: int  # data points in the day's 200 answers
    errors: int  # requests let through that answered 4xx or 5xx
    daily_limit: int | None  # the effective daily quota; null: none
    limits: dict[str, Any] | None  # the key's own override, as created
    revoked: bool
    plan: dict[str, Any]  # the effective limits: {requests, window, daily}
    # Counted by the rate limiter, for today's report only (null otherwise, or when limits are off): requests in
    # the current window, and today's count against the daily quota (null without one).
    window_used: int | None = None
    daily_used: int | None = None
    public_id: str | None = None  # a signing key's or OAuth client's; null for an API key


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


def usage_report(conn: sa.Connection, visible: KeyReach, day: date) -> UsageReport:
    """Every key the caller may see that was alive on that day, with its counts (zero when unused)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    rows = credentials_store.keys_alive(conn, visible, start, start + timedelta(days=1), MAX_KEYS)
    ids = [r.id for r in rows]
    totals = store.day_totals(conn, ids, day) if rows else {}
    plans = plans_of(conn, ids) if rows else {}
    items = []
    for row in rows:
        requests, refused, points, errors = totals.get(row.id, (0, 0, 0, 0))
        limits = dict(row.limits) if row.limits else None
        plan = plans[row.id]
        items.append(
            KeyUsage(
                key=row.id,
                name=row.name,
                kind=row.kind,
                requests=requests,
                refused=refused,
                points=points,
                errors=errors,
                daily_limit=plan.daily,
                limits=limits,
                revoked=row.revoked_at is not None,
                plan=plan.as_json(),
                public_id=row.public_id,
            )
        )
    return UsageReport(date=day.isoformat(), items=items)


async def add_counts(report: UsageReport, limiter: CredentialLimiter, today: date) -> UsageReport:
    """Today's report gets each live key's counts from the rate limiter; other days have no window to show."""
    if report.date != today.isoformat():
        return report
    for item in report.items:
        if item.revoked:
            continue
        counts = await limiter.counts(item.key, effective_plan(item.plan, None))
        if counts is not None:
            item.window_used, item.daily_used = counts.window_used, counts.daily_used
    return report
