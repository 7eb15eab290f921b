"""A key's log: its lifecycle events and its use per minute (and refusals), in time order, as JSON or CSV.

Lifecycle events come from the audit trail (audit/); uses and refusals from the per-minute usage rows, which the
usage recorder writes in batches, so the latest second of use may not show yet.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa

from sensorgate.audit import store as audit_store
from sensorgate.auth.principal import Principal
from sensorgate.auth.scopes import Scope
from sensorgate.credentials.service import readable_key
from sensorgate.kit.errors import BadRequest
from sensorgate.kit.times import iso, parse_time
from sensorgate.usage import store as usage_store
from sensorgate.usage.models import USED

DEFAULT_SPAN = timedelta(days=1)
MAX_SPAN = timedelta(days=31)
MAX_ENTRIES = 10_000
# What a log line can be, in the order a filter offers them.
EVENTS = (
    "created",
    "edited",
    "reissued",
    "renewed",
    "revoked",
    "deleted",
    "secrets_purged",
    "token_issued",
    "token_revoked",
    "used",
    "refused",
)
CSV_COLUMNS = ("time", "event", "count", "lastAt", "reason", "ip", "userAgent", "actorUser", "actorKey", "details")


class LogEntry(msgspec.Struct, rename="camel", omit_defaults=True):
    """One line of the log.

    `used` and `refused` lines sum one minute: `time` is the minute, `lastAt` the last sighting in it, with
    the last address and user agent seen.
    """

    time: str
    event: str  # created, edited, reissued, renewed, revoked, deleted, secrets_purged, used, refused
    count: int | None = None
    last_at: str | None = None
    reason: str | None = None  # of a refusal: revoked, expired, address, scope, limit, ...
    ip: str | None = None
    user_agent: str | None = None
    actor_user: int | None = None
    actor_key: int | None = None
    details: dict[str, Any] | None = None


class KeyLog(msgspec.Struct, rename="camel"):
    key: int
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")
    items: list[LogEntry]


def window(start: str | None, end: str | None, now: datetime) -> tuple[datetime, datetime]:
    """[from, to) of a log request: the last day by default, at most MAX_SPAN."""
    try:
        upper = _parse(end, "to") if end else now
        lower = _parse(start, "from") if start else upper - DEFAULT_SPAN
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    if lower >= upper:
        raise BadRequest("from must be before to")
    if upper - lower > MAX_SPAN:
        raise BadRequest(f"a log covers at most {MAX_SPAN.days} days; narrow from/to")
    return lower, upper


def _parse(text: str, field: str) -> datetime:
    return datetime.fromtimestamp(parse_time(text, field) / 1000, UTC)


def read_log(
    conn: sa.Connection, principal: Principal, key_id: int, start: datetime, end: datetime, event: str | None = None
) -> KeyLog:
    """The log of one key: the caller's own to see, or audit:read on a key reading itself or the keys it made.
    `event`: only lines of that kind (one of EVENTS)."""
    readable_key(conn, principal, key_id, Scope.AUDIT_READ)
    if event is not None and event not in EVENTS:
        raise BadRequest(f"event is one of {', '.join(EVENTS)}")
    events, minutes = [], []
    if event not in ("used", "refused"):
        events = audit_store.events(conn, key_id, start, end, MAX_ENTRIES + 1, action=event)
    if event is None or event in ("used", "refused"):
        used = None if event is None else event == "used"
        minutes = usage_store.minutes(conn, key_id, start, end, MAX_ENTRIES + 1, used=used)
    if len(events) + len(minutes) > MAX_ENTRIES:
        raise BadRequest(f"this range holds more than {MAX_ENTRIES:,} log entries; narrow from/to")
    # A minute's uses sort by their last sighting, so that "created" comes before the first use of a new key
    # and "revoked" before the refusals that follow it, even within one minute.
    timed = [(row.at, _event_entry(row)) for row in events]
    timed += [(row.last_at, _usage_entry(row)) for row in minutes]
    timed.sort(key=lambda item: item[0])
    return KeyLog(key=key_id, start=iso(start), end=iso(end), items=[entry for _, entry in timed])


def _event_entry(row: Any) -> LogEntry:
    return LogEntry(
        time=iso(row.at),
        event=row.action,
        ip=row.ip,
        user_agent=row.user_agent,
        actor_user=row.actor_user_id,
        actor_key=row.actor_credential_id,
        details=dict(row.details) or None,
    )


def _usage_entry(row: Any) -> LogEntry:
    used = row.outcome == USED
    return LogEntry(
        time=iso(row.minute),
        event="used" if used else "refused",
        count=row.count,
        last_at=iso(row.last_at),
        reason=None if used else row.outcome,
        ip=row.last_ip,
        user_agent=row.last_user_agent,
    )


def to_csv(log: KeyLog) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in log.items:
        details = msgspec.json.encode(entry.details).decode() if entry.details else ""
        writer.writerow(
            [
                entry.time,
                entry.event,
                _cell(entry.count),
                _cell(entry.last_at),
                _cell(entry.reason),
                _cell(entry.ip),
                _cell(entry.user_agent),
                _cell(entry.actor_user),
                _cell(entry.actor_key),
                _cell(details),
            ]
        )
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    # A user agent is whatever the caller sent; a spreadsheet must not run it as a formula.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
