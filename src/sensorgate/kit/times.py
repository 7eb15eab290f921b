"""Times, durations and time zones: reading them at the API edge, writing them, and the current time.

Inside the service a time is an integer count of epoch milliseconds (UTC). On the wire it is ISO 8601 UTC with
a Z and millisecond precision; callers may send ISO 8601 or integer epoch seconds (docs/api.md).
Every parser raises ValueError with a message that names the field, which callers turn into a 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from sensorgate.kit.errors import BadRequest

MIN_TIME_MS = 0
MAX_TIME_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z: the last instant a 4-digit year can write

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY_MS = 86_400_000
_MAX_EPOCH_SECONDS = MAX_TIME_MS // 1000

# RFC 3339 profile of ISO 8601, plus a plain date. The basic format (20261122T0350Z) is left out on purpose:
# a bare digit string already means epoch seconds, so "20261122" could not be read as a date anyway.
_ISO_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
    r"([Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?",
    re.ASCII,
)
_EPOCH_SECONDS = re.compile(r"-?[0-9]{1,20}", re.ASCII)


def parse_time(text: str, field: str = "time") -> int:
    """Read ISO 8601 (no offset means UTC; a plain date means midnight UTC) or epoch seconds; return epoch ms."""
    fast = _common_iso(text)
    return fast if fast is not None else _any_time(text, field)


def _any_time(text: str, field: str) -> int:
    """parse_time's general path: every shape it takes, and every error it gives."""
    if _EPOCH_SECONDS.fullmatch(text):
        return _from_epoch_seconds(text, field)
    match = _ISO_TIME.fullmatch(text)
    if match is None:
        raise ValueError(_not_a_time(text, field))
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        days = date(int(year), int(month), int(day)).toordinal() - _EPOCH_ORDINAL
    except ValueError as exc:
        raise ValueError(f"{field}: not a valid date: {_show(text)} ({exc})") from None
    h, m, s = int(hour or 0), int(minute or 0), int(second or 0)
    if h > 23 or m > 59 or s > 59:
        raise ValueError(f"{field}: not a valid time of day: {_show(text)} (hours 00-23, minutes and seconds 00-59)")
    # Truncate, never round: rounding 23:59:59.9999 up would move the time to the next day.
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    ms = days * _DAY_MS + ((h * 60 + m) * 60 + s) * 1000 + millis - _offset_ms(offset, text, field)
    return _in_range(ms, text, field)


# A backfill may carry 100,000 times, nearly all in the two shapes clients write: 2026-11-22T03:50:15Z and
# 2026-11-22T03:50:15.123Z. For those, datetime.fromisoformat (C) does the reading, at a tenth of the cost of the
# regular expression and date arithmetic below. Anything else, and anything it refuses or that lies before 1970,
# takes the general path, which gives the errors.
_ONE_MS = timedelta(milliseconds=1)


def _common_iso(text: str) -> int | None:
    """Epoch ms of a UTC time in one of the two common shapes, or None for the general path to judge."""
    length = len(text)
    if not (
        (length == 20 or (length == 24 and text[19] == "."))
        and text[-1] == "Z"
        and text[10] == "T"
        and text.isascii()  # fromisoformat would take other scripts' digits
    ):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    ms = (parsed - _EPOCH) // _ONE_MS
    return ms if ms >= MIN_TIME_MS else None


def _from_epoch_seconds(text: str, field: str) -> int:
    seconds = int(text)
    if seconds < 0:
        raise ValueError(f"{field}: epoch seconds must not be negative (before 1970): {_show(text)}")
    if seconds > _MAX_EPOCH_SECONDS:
        # The usual cause is epoch milliseconds sent where seconds are expected.
        raise ValueError(f"{field}: {_show(text)} is after the year 9999; send epoch seconds, not milliseconds")
    return seconds * 1000


def _offset_ms(offset: str | None, text: str, field: str) -> int:
    if offset is None or offset in ("Z", "z"):
        return 0
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"{field}: UTC offset out of range in {_show(text)}")
    magnitude = (hours * 60 + minutes) * 60_000
    return -magnitude if offset[0] == "-" else magnitude


def _in_range(ms: int, text: str, field: str) -> int:
    if ms < MIN_TIME_MS:
        raise ValueError(f"{field}: {_show(text)} is before 1970-01-01T00:00:00Z")
    if ms > MAX_TIME_MS:
        raise ValueError(f"{field}: {_show(text)} is after 9999-12-31T23:59:59.999Z")
    return ms


def _not_a_time(text: str, field: str) -> str:
    message = f"{field}: not an ISO 8601 time or epoch seconds: {_show(text)}"
    # An unencoded '+' in a URL query arrives as a space, which turns "+01:00" into " 01:00".
    cut = text.rfind(" ")
    if cut > 0 and _ISO_TIME.fullmatch(text[:cut] + "+" + text[cut + 1 :]):
        message += "; a '+' in a URL query must be written as %2B"
    return message


def _show(text: str) -> str:
    return repr(text[:80])


# Formatting sits on the hot path of every measurement response, so it avoids datetime objects: a day's date
# prefix is cached and the time of day is put together from precomputed digit strings. About 0.3 µs a call.
_TWO_DIGITS = [f"{i:02d}" for i in range(60)]
_THREE_DIGITS = [f"{i:03d}" for i in range(1000)]
_HOUR_MINUTE = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
_DAY_PREFIXES: dict[int, str] = {}
_MAX_CACHED_DAYS = 4096


def day_prefix(day: int) -> str:
    """'2026-11-22T' for a day counted from 1970-01-01, cached."""
    prefix = _DAY_PREFIXES.get(day)
    if prefix is None:
        if len(_DAY_PREFIXES) >= _MAX_CACHED_DAYS:
            _DAY_PREFIXES.clear()
        prefix = _DAY_PREFIXES[day] = date.fromordinal(_EPOCH_ORDINAL + day).isoformat() + "T"
    return prefix


def format_time(ms: int) -> str:
    """Render epoch ms as ISO 8601 UTC, e.g. 2026-11-22T03:50:15.123Z."""
    day, rest = divmod(ms, _DAY_MS)
    prefix = _DAY_PREFIXES.get(day) or day_prefix(day)
    minute, rest = divmod(rest, 60_000)
    second, millis = divmod(rest, 1000)
    return prefix + _HOUR_MINUTE[minute] + _TWO_DIGITS[second] + "." + _THREE_DIGITS[millis] + "Z"


WHOLE_HOURS = [f"{h:02d}:00:00.000Z" for h in range(24)]


def format_hour(ms: int) -> str:
    """format_time for a whole UTC hour (an hourly rollup's start), in about half the time."""
    day, rest = divmod(ms, _DAY_MS)
    return day_prefix(day) + WHOLE_HOURS[rest // 3_600_000]


@dataclass(frozen=True, slots=True)
class Duration:
    """An ISO 8601 duration, split into the parts that stretch differently on a calendar.

    Months vary in length and a calendar day in a time zone may last 23 or 25 hours, so months and days are
    kept apart from the part that is always the same length (hours, minutes, seconds).
    """

    months: int = 0  # years * 12 + months
    days: int = 0  # weeks * 7 + days
    ms: int = 0  # hours, minutes and seconds

    def __str__(self) -> str:
        years, months = divmod(self.months, 12)
        text = "P"
        text += f"{years}Y" if years else ""
        text += f"{months}M" if months else ""
        if self.days and not self.months and not self.ms and self.days % 7 == 0:
            text += f"{self.days // 7}W"
        elif self.days:
            text += f"{self.days}D"
        if self.ms:
            minutes, millis = divmod(self.ms, 60_000)
            hours, minutes = divmod(minutes, 60)
            text += "T"
            text += f"{hours}H" if hours else ""
            text += f"{minutes}M" if minutes else ""
            if millis:
                seconds = f"{millis // 1000}.{millis % 1000:03d}".rstrip("0").rstrip(".")
                text += f"{seconds}S"
        return text if text != "P" else "PT0S"


_DURATION_PART = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?([A-Z])", re.ASCII)
_DATE_DESIGNATORS = "YMWD"
_TIME_DESIGNATORS = "HMS"
_MAX_NUMBER_DIGITS = 9  # 999,999,999 of anything is far past any sensible duration and keeps arithmetic small
_UNIT_MS = {"H": 3_600_000, "M": 60_000, "S": 1000}


def parse_duration(text: str, field: str = "duration") -> Duration:
    """Read an ISO 8601 duration PnYnMnWnDTnHnMnS (only seconds may have a fraction, to the millisecond)."""
    upper = text.upper()
    if "-" in upper:
        raise ValueError(f"{field}: a duration must not be negative: {_show(text)}")
    if not upper.startswith("P"):
        raise ValueError(f"{field}: not an ISO 8601 duration: {_show(text)} (for example PT15M, PT1H, P1D, P1M)")
    date_part, has_t, time_part = upper[1:].partition("T")
    if has_t and not time_part:
        raise ValueError(f"{field}: 'T' must be followed by hours, minutes or seconds in {_show(text)}")
    if not date_part and not time_part:
        raise ValueError(f"{field}: the duration {_show(text)} has no parts (for example PT1H or P1D)")
    dates = _duration_parts(date_part, _DATE_DESIGNATORS, text, field)
    times = _duration_parts(time_part, _TIME_DESIGNATORS, text, field)
    duration = Duration(
        months=_whole(dates, "Y", text, field) * 12 + _whole(dates, "M", text, field),
        days=_whole(dates, "W", text, field) * 7 + _whole(dates, "D", text, field),
        ms=_whole(times, "H", text, field) * _UNIT_MS["H"]
        + _whole(times, "M", text, field) * _UNIT_MS["M"]
        + _seconds_ms(times, text, field),
    )
    if duration == Duration():
        raise ValueError(f"{field}: the duration {_show(text)} is zero; it must be longer than that")
    return duration


def _duration_parts(segment: str, designators: str, text: str, field: str) -> dict[str, tuple[str, str | None]]:
    """Split one side of the 'T' into {designator: (whole digits, fraction digits)}, checking order."""
    parts: dict[str, tuple[str, str | None]] = {}
    position, last_index = 0, -1
    while position < len(segment):
        match = _DURATION_PART.match(segment, position)
        if match is None:
            raise ValueError(
                f"{field}: not an ISO 8601 duration: {_show(text)} (expected a number then a designator"
                f" at {segment[position:]!r})"
            )
        whole, fraction, designator = match.groups()
        if designator not in designators:
            raise ValueError(_misplaced(designator, designators, text, field))
        index = designators.index(designator)
        if index <= last_index:
            raise ValueError(f"{field}: the parts of {_show(text)} must come in the order Y, M, W, D, T, H, M, S")
        if len(whole) > _MAX_NUMBER_DIGITS:
            raise ValueError(f"{field}: the number before '{designator}' in {_show(text)} is too large")
        parts[designator] = (whole, fraction)
        last_index, position = index, match.end()
    return parts


def _misplaced(designator: str, designators: str, text: str, field: str) -> str:
    if designator in _TIME_DESIGNATORS and designators == _DATE_DESIGNATORS:
        return f"{field}: '{designator}' belongs after the 'T' in {_show(text)} (for example PT1{designator})"
    if designator in _DATE_DESIGNATORS and designators == _TIME_DESIGNATORS:
        return f"{field}: '{designator}' belongs before the 'T' in {_show(text)} (for example P1{designator})"
    return f"{field}: unknown designator '{designator}' in {_show(text)}; use Y, M, W, D, and after 'T' H, M, S"


def _whole(parts: dict[str, tuple[str, str | None]], designator: str, text: str, field: str) -> int:
    whole, fraction = parts.get(designator, ("0", None))
    if fraction is not None:
        raise ValueError(f"{field}: only seconds may have a fraction in {_show(text)}")
    return int(whole)


def _seconds_ms(parts: dict[str, tuple[str, str | None]], text: str, field: str) -> int:
    whole, fraction = parts.get("S", ("0", None))
    fraction = fraction or ""
    if fraction[3:].strip("0"):
        raise ValueError(f"{field}: seconds finer than a millisecond in {_show(text)}")
    return int(whole) * 1000 + int(fraction[:3].ljust(3, "0"))


@cache
def _zone_keys() -> dict[str, str]:
    # Read once: listing the zone database walks the filesystem (about 50 ms). Only real zone names pass,
    # which also keeps paths and non-zone files of the zone directory out of ZoneInfo. Lower-case keys let
    # "europe/berlin" find "Europe/Berlin"; no two IANA names differ only in case.
    return {key.lower(): key for key in available_timezones()}


def parse_tz(name: str = "UTC", field: str = "tz") -> ZoneInfo:
    """Return the IANA time zone called name (case-insensitive), or raise ValueError."""
    key = _zone_keys().get(name.lower())
    if key is None:
        raise ValueError(
            f"{field}: unknown time zone {_show(name)}; use an IANA name such as 'UTC', 'Europe/Berlin' or "
            "'America/New_York'"
        )
    return ZoneInfo(key)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime) -> str:
    """Render a datetime as 2026-11-22T03:50:15.123Z, the same way as epoch-ms times (format_time)."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return format_time((aware - _EPOCH) // timedelta(milliseconds=1))


def parse_iso(text: str) -> datetime:
    """The inverse of iso(): an aware UTC datetime."""
    return datetime.fromisoformat(text)  # Python 3.11 reads the trailing Z


DEFAULT_WINDOW_MS = 24 * 3_600_000


def time_window(from_: str | None, to: str | None, last: str | None, now_ms: int) -> tuple[int, int]:
    """The window [start, end) in epoch ms of a request's `from`, `to` and `last` (an ISO 8601 duration counted
    back from `to`), the last 24 hours by default. `to` is exclusive, so that consecutive windows tile: a point on
    a boundary belongs to the later window only. Without `to`, the window ends now, a point at this very
    millisecond included. Bad input is a BadRequest that names the parameter."""
    try:
        until = parse_time(to, "to") if to else now_ms
        end = until if to else now_ms + 1
        if from_ and last:
            raise BadRequest("give either from or last, not both")
        if from_:
            start = parse_time(from_, "from")
        elif last:
            duration = parse_duration(last, "last")
            if duration.months:
                raise BadRequest("last takes weeks, days, hours, minutes or seconds (no months or years)")
            start = until - duration.days * 86_400_000 - duration.ms
        else:
            start = until - DEFAULT_WINDOW_MS
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    if start >= end:
        raise BadRequest("from must be before to")
    return start, end
