"""Times on the wire are ISO 8601 UTC with a Z and millisecond precision (API.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sensorgate.kit.timeparse import format_time

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime) -> str:
    """Render as 2026-11-22T03:50:15.123Z, the same way as epoch-ms times (kit/timeparse.format_time)."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return format_time((aware - _EPOCH) // timedelta(milliseconds=1))
