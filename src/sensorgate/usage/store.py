"""SQL for usage counters. Every write adds to what is there, so processes flushing at once never lose a count."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sensorgate.credentials.models import credentials
from sensorgate.db.upsert import insert
from sensorgate.usage.models import (
    USED,
    credential_refusals_daily,
    credential_scope_usage,
    credential_usage,
    credential_usage_daily,
)

if TYPE_CHECKING:
    from sensorgate.usage.recorder import DayKey, Key, ScopeKey, Tally


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def add_usage(
    conn: sa.Connection,
    taken: dict[Key, Tally],
    results: dict[DayKey, list[int]] | None = None,
    scopes: dict[ScopeKey, int] | None = None,
) -> None:
    """Add minutes of uses and refusals, days of [points, errors] and days of scope uses to what the tables hold."""
    results, scopes = results or {}, scopes or {}
    ids = sorted({key[0] for key in taken} | {key[0] for key in results} | {key[0] for key in scopes})
    # A credential may be gone (its organization deleted) since it was counted; its counts go with it.
    alive = set(conn.execute(sa.select(credentials.c.id).where(credentials.c.id.in_(ids))).scalars())
    minutes = []
    days: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # requests, refused, points, errors
    last_used: dict[int, datetime] = {}
    reasons: dict[tuple[int, date, str], int] = defaultdict(int)
    # In key order: two processes upserting the same rows then lock them in the same order, and cannot deadlock.
    for (credential_id, minute, outcome), tally in sorted(taken.items()):
        if credential_id not in alive:
            continue
        last_at = datetime.fromtimestamp(tally.last_at, UTC)
        minutes.append(
            {
                "credential_id": credential_id,
                "minute": datetime.fromtimestamp(minute * 60, UTC),
                "outcome": outcome,
                "count": tally.count,
                "last_at": last_at,
                "last_ip": tally.last_ip,
                # PostgreSQL text cannot hold NUL; one such agent must not block every count behind it.
                "last_user_agent": (tally.last_user_agent or "")[:300].replace("\x00", "") or None,
            }
        )
        day = days[(credential_id, last_at.date())]
        if outcome == USED:
            day[0] += tally.count
            last_used[credential_id] = max(last_at, last_used.get(credential_id, last_at))
        else:
            day[1] += tally.count
            reasons[(credential_id, last_at.date(), outcome)] += tally.count
    for (credential_id, epoch_day), (points, errors) in results.items():
        if credential_id in alive:
            day = days[(credential_id, date.fromordinal(EPOCH_ORDINAL + epoch_day))]
            day[2] += points
            day[3] += errors
    if minutes:
        _upsert_minutes(conn, minutes)
    if days:
        _upsert_days(
            conn,
            [
                {"credential_id": c, "day": d, "requests": r, "refused": f, "points": p, "errors": e}
                for (c, d), (r, f, p, e) in sorted(days.items())
            ],
        )
    if reasons:
        _upsert_reasons(conn, reasons)
    scope_rows = [
        {"credential_id": c, "day": date.fromordinal(EPOCH_ORDINAL + d), "scope": s, "count": n}
        for (c, d, s), n in sorted(scopes.items())
        if c in alive
    ]
    if scope_rows:
        statement = insert(conn, credential_scope_usage)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    credential_scope_usage.c.credential_id,
                    credential_scope_usage.c.day,
                    credential_scope_usage.c.scope,
                ],
                set_={"count": credential_scope_usage.c.count + statement.excluded.count},
            ),
            scope_rows,
        )
    for credential_id, at in sorted(last_used.items()):
        conn.execute(
            credentials.update()
            .where(
                credentials.c.id == credential_id,
                sa.or_(credentials.c.last_used_at.is_(None), credentials.c.last_used_at < at),
            )
            .values(last_used_at=at)
        )


def _upsert_minutes(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    table = credential_usage
    statement = insert(conn, table)
    newer = statement.excluded.last_at >= table.c.last_at
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.credential_id, table.c.minute, table.c.outcome],
        set_={
            "count": table.c.count + statement.excluded.count,
            # Two processes may flush the same minute in either order: keep the later sighting.
            "last_at": sa.case((newer, statement.excluded.last_at), else_=table.c.last_at),
            "last_ip": sa.case((newer, statement.excluded.last_ip), else_=table.c.last_ip),
            "last_user_agent": sa.case((newer, statement.excluded.last_user_agent), else_=table.c.last_user_agent),
        },
    )
    conn.execute(statement, rows)


def _upsert_reasons(conn: sa.Connection, reasons: dict[tuple[int, date, str], int]) -> None:
    table = credential_refusals_daily
    statement = insert(conn, table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.credential_id, table.c.day, table.c.reason],
        set_={"count": table.c.count + statement.excluded.count},
    )
    rows = [{"credential_id": c, "day": d, "reason": r, "count": n} for (c, d, r), n in sorted(reasons.items())]
    conn.execute(statement, rows)


def _upsert_days(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    table = credential_usage_daily
    statement = insert(conn, table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.credential_id, table.c.day],
        set_={
            "requests": table.c.requests + statement.excluded.requests,
            "refused": table.c.refused + statement.excluded.refused,
            "points": table.c.points + statement.excluded.points,
            "errors": table.c.errors + statement.excluded.errors,
        },
    )
    conn.execute(statement, rows)


def minutes(
    conn: sa.Connection, credential_id: int, start: datetime, end: datetime, limit: int, *, used: bool | None = None
) -> list[Any]:
    """A credential's per-minute rows in [start, end), oldest first; `used`: only uses (True) or refusals (False)."""
    where = sa.and_(
        credential_usage.c.credential_id == credential_id,
        credential_usage.c.minute >= start,
        credential_usage.c.minute < end,
    )
    if used is not None:
        where = sa.and_(where, (credential_usage.c.outcome == USED) if used else (credential_usage.c.outcome != USED))
    return list(
        conn.execute(
            sa.select(credential_usage)
            .where(where)
            .order_by(credential_usage.c.minute, credential_usage.c.outcome)
            .limit(limit)
        ).all()
    )


def day_totals(conn: sa.Connection, credential_ids: list[int], day: date) -> dict[int, tuple[int, int, int, int]]:
    """(requests, refused, points, errors) per credential on a UTC day."""
    rows = conn.execute(
        sa.select(credential_usage_daily).where(
            credential_usage_daily.c.credential_id.in_(credential_ids), credential_usage_daily.c.day == day
        )
    )
    return {row.credential_id: (row.requests, row.refused, row.points, row.errors) for row in rows}


def credential_ids(conn: sa.Connection) -> list[int]:
    return list(conn.execute(sa.select(credentials.c.id).order_by(credentials.c.id)).scalars())


def delete_before(
    conn: sa.Connection, minute_cutoff: datetime, day_cutoff: date, credential_ids: list[int]
) -> tuple[int, int]:
    """Drop these credentials' per-minute rows older than one cutoff and per-day rows older than the other.

    Credential by credential, so each delete is a range of the primary key instead of a table scan.
    """
    minutes_deleted = days_deleted = 0
    for credential_id in credential_ids:
        minutes_deleted += conn.execute(
            credential_usage.delete().where(
                credential_usage.c.credential_id == credential_id, credential_usage.c.minute < minute_cutoff
            )
        ).rowcount
        days_deleted += conn.execute(
            credential_usage_daily.delete().where(
                credential_usage_daily.c.credential_id == credential_id, credential_usage_daily.c.day < day_cutoff
            )
        ).rowcount
        for table in (credential_scope_usage, credential_refusals_daily):
            conn.execute(table.delete().where(table.c.credential_id == credential_id, table.c.day < day_cutoff))
    return minutes_deleted, days_deleted


def scopes_used(conn: sa.Connection, credential_ids: list[int], since: date) -> dict[int, set[str]]:
    """The scopes each credential exercised on or after `since` (UTC day)."""
    found: dict[int, set[str]] = {i: set() for i in credential_ids}
    if not credential_ids:
        return found
    rows = conn.execute(
        sa.select(credential_scope_usage.c.credential_id, credential_scope_usage.c.scope)
        .where(credential_scope_usage.c.credential_id.in_(credential_ids), credential_scope_usage.c.day >= since)
        .distinct()
    )
    for row in rows:
        found[row.credential_id].add(row.scope)
    return found


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def totals_by_day(
    conn: sa.Connection, credential_ids: list[int], first: date, last: date
) -> dict[date, tuple[int, int, int, int, int]]:
    """(requests, refused, points, errors) per UTC day in [first, last], summed over these credentials, and the
    most requests one of them made that day (what a per-key daily quota is measured against)."""
    table = credential_usage_daily
    rows = conn.execute(
        sa.select(
            table.c.day,
            sa.func.sum(table.c.requests),
            sa.func.sum(table.c.refused),
            sa.func.sum(table.c.points),
            sa.func.sum(table.c.errors),
            sa.func.max(table.c.requests),
        )
        .where(table.c.credential_id.in_(credential_ids), table.c.day >= first, table.c.day <= last)
        .group_by(table.c.day)
    )
    return {_as_date(day): (int(r), int(f), int(p), int(e), int(m)) for day, r, f, p, e, m in rows}


def totals_by_credential(
    conn: sa.Connection, credential_ids: list[int], first: date, last: date
) -> dict[int, tuple[int, int]]:
    """(requests, refused) per credential over the UTC days [first, last]."""
    table = credential_usage_daily
    rows = conn.execute(
        sa.select(table.c.credential_id, sa.func.sum(table.c.requests), sa.func.sum(table.c.refused))
        .where(table.c.credential_id.in_(credential_ids), table.c.day >= first, table.c.day <= last)
        .group_by(table.c.credential_id)
    )
    return {int(c): (int(r), int(f)) for c, r, f in rows}


def refusals_by_day(
    conn: sa.Connection, credential_ids: list[int], first: date, last: date
) -> dict[tuple[date, str], int]:
    """Refused attempts per (UTC day, reason) in [first, last], summed over these credentials."""
    table = credential_refusals_daily
    rows = conn.execute(
        sa.select(table.c.day, table.c.reason, sa.func.sum(table.c.count))
        .where(table.c.credential_id.in_(credential_ids), table.c.day >= first, table.c.day <= last)
        .group_by(table.c.day, table.c.reason)
    )
    return {(_as_date(d), str(reason)): int(n) for d, reason, n in rows}
