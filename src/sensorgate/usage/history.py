"""Usage over the last 30 or 90 UTC days, for the console's usage pages: per day, the requests served, the attempts
refused (by reason), the data points returned and the errors, for an organization's keys or for one key, and the
keys with the most requests and the most refusals.

Days are summed in SQL from the daily tables (requests, points and errors; refusals per reason), so the work is a
few grouped queries over at most a row per key and day, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from sensorgate.credentials import store as credentials_store
from sensorgate.credentials.plans import DEFAULT_PLAN, Plan, effective_plan, organization_plan, plans_of
from sensorgate.credentials.store import KeyReach
from sensorgate.kit.errors import BadRequest
from sensorgate.usage import store
from sensorgate.usage.models import REFUSALS
from sensorgate.usage.report import MAX_KEYS

PERIODS = (30, 90)  # the days a page may show
TOP = 10  # keys in each top list


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    requests: int = 0
    refused: int = 0
    points: int = 0
    errors: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    busiest: int = 0  # the most requests one key made that day


@dataclass(frozen=True, slots=True)
class KeyTotal:
    key: int
    name: str
    kind: str
    requests: int
    refused: int
    revoked: bool


@dataclass(frozen=True, slots=True)
class UsageHistory:
    days: list[Day]  # every day of the period, oldest first, zeros included
    reasons: list[str]  # the refusal reasons that occurred, in REFUSALS order
    total: Day  # the period's sums (its `day` is the first day)
    keys: int  # keys counted
    truncated: bool  # more keys than MAX_KEYS: the first MAX_KEYS by id are counted
    top_requests: list[KeyTotal]
    top_refused: list[KeyTotal]
    plan: Plan  # the organization's plan (what a key without limits of its own gets), or the one key's


def parse_days(text: str | None) -> int:
    """`days=30` (the default) or `days=90`; anything else is a 400."""
    if not text:
        return PERIODS[0]
    if text not in {str(p) for p in PERIODS}:
        raise BadRequest(f"days: give 30 or 90, not {text[:20]!r}", field="days")
    return int(text)


def _history(conn: sa.Connection, rows: list[Any], days: int, today: date) -> UsageHistory:
    first = today - timedelta(days=days - 1)
    ids = [r.id for r in rows]
    by_day = store.totals_by_day(conn, ids, first, today) if ids else {}
    refusals = store.refusals_by_day(conn, ids, first, today) if ids else {}
    reasons: dict[date, dict[str, int]] = {}
    for (day, reason), n in refusals.items():
        reasons.setdefault(day, {})[reason] = n
    series = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        requests, refused, points, errors, busiest = by_day.get(day, (0, 0, 0, 0, 0))
        series.append(Day(day, requests, refused, points, errors, reasons.get(day, {}), busiest))
    seen = {reason for _, reason in refusals}
    total_reasons = {r: sum(d.by_reason.get(r, 0) for d in series) for r in REFUSALS if r in seen}
    total = Day(
        first,
        sum(d.requests for d in series),
        sum(d.refused for d in series),
        sum(d.points for d in series),
        sum(d.errors for d in series),
        total_reasons,
        max((d.busiest for d in series), default=0),
    )
    per_key = store.totals_by_credential(conn, ids, first, today) if ids else {}
    totals = [KeyTotal(r.id, r.name, r.kind, *per_key.get(r.id, (0, 0)), r.revoked_at is not None) for r in rows]
    top_requests = sorted((t for t in totals if t.requests), key=lambda t: (-t.requests, t.key))[:TOP]
    top_refused = sorted((t for t in totals if t.refused), key=lambda t: (-t.refused, t.key))[:TOP]
    return UsageHistory(series, list(total_reasons), total, len(rows), False, top_requests, top_refused, DEFAULT_PLAN)


def organization_history(
    conn: sa.Connection, visible: KeyReach, organization_id: int, days: int, today: date
) -> UsageHistory:
    """The keys of this organization the caller may see that were alive at some moment of the period."""
    first = today - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    rows = credentials_store.keys_alive(
        conn, visible, start, start + timedelta(days=days), MAX_KEYS + 1, organization_id
    )
    found = _history(conn, rows[:MAX_KEYS], days, today)
    plan = effective_plan(None, organization_plan(conn, organization_id))
    return replace(found, truncated=len(rows) > MAX_KEYS, plan=plan)


def key_history(conn: sa.Connection, key_id: int, days: int, today: date) -> UsageHistory:
    """One key's days, with its effective plan; the caller has already been shown the key (its access checked)."""
    row = credentials_store.credential(conn, key_id)
    if row is None:
        return _history(conn, [], days, today)
    found = _history(conn, [row], days, today)
    return replace(found, plan=plans_of(conn, [key_id])[key_id])
