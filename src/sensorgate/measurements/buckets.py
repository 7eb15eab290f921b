"""Bucket edges for aggregates: which instants (epoch ms) start and end each bucket of a range.

There are three kinds of bucket, told apart by the duration's parts:
- fixed (hours, minutes, seconds only): always the same length and aligned to the UTC epoch whatever the zone,
  so PT15M buckets start at :00, :15, :30 and :45 UTC. This holds for PT24H too: a fixed bucket never follows
  a zone; ask for P1D to get calendar days.
- days (days and weeks only): start at local midnight in the zone, so a day may last 23 or 25 hours.
  Multi-day buckets count from a fixed local date so that the same bucket always covers the same days, whatever
  range is asked for: whole weeks (P1W, P2W, P14D) from Monday 1969-12-29, where ISO week 1 of 1970 starts,
  so weeks start on Monday; any other length (P3D) from 1970-01-01.
- months (months and years only): start at local midnight on the 1st. Months count from January 1970,
  so P3M gives calendar quarters, P6M half years and P1Y calendar years.

A local midnight that does not exist (clocks jump from 00:00 to 01:00, as in America/Santiago or America/Havana)
is replaced by the first instant of that day; a midnight that happens twice counts the first time.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum

from sensorgate.kit.times import MAX_TIME_MS, Duration, parse_duration

MAX_BUCKETS = 10_000
MIN_FIXED_MS = 60_000
MAX_DAYS = 366
MAX_MONTHS = 12

_HOUR_MS = 3_600_000
_DAY_MS = 86_400_000
_MAX_FIXED_MS = MAX_DAYS * _DAY_MS
# Edges stop at the end of year 9999, the last time the API can write; a bucket reaching further is cut there.
_END_MS = MAX_TIME_MS + 1
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_WEEK_ANCHOR_ORDINAL = date(1969, 12, 29).toordinal()
_MAX_ORDINAL = date.max.toordinal()


class BucketKind(StrEnum):
    FIXED = "fixed"  # size in milliseconds
    DAYS = "days"  # size in calendar days
    MONTHS = "months"  # size in calendar months


@dataclass(frozen=True, slots=True)
class Bucket:
    kind: BucketKind
    size: int

    @classmethod
    def from_duration(cls, duration: Duration, field: str = "bucket") -> Bucket:
        """Check that the duration can be a bucket (PT1M up to P1Y, one kind of part) and return it."""
        if duration.months:
            if duration.days or duration.ms:
                raise ValueError(
                    f"{field}: {duration} mixes months or years with days or times; use months or years alone "
                    "(such as P1M) or days alone (such as P45D)"
                )
            _check_not_longer_than_a_year(duration.months > MAX_MONTHS, duration, field)
            return cls(BucketKind.MONTHS, duration.months)
        if duration.days:
            if duration.ms:
                as_time = Duration(ms=duration.days * _DAY_MS + duration.ms)
                raise ValueError(
                    f"{field}: {duration} mixes days or weeks with hours, minutes or seconds; use days alone "
                    f"(such as P{duration.days}D) or a time alone (such as {as_time})"
                )
            _check_not_longer_than_a_year(duration.days > MAX_DAYS, duration, field)
            return cls(BucketKind.DAYS, duration.days)
        if duration.ms < MIN_FIXED_MS:
            raise ValueError(f"{field}: {duration} is shorter than the minimum of PT1M")
        if duration.ms % 1000:
            raise ValueError(f"{field}: {duration} is not a whole number of seconds")
        _check_not_longer_than_a_year(duration.ms > _MAX_FIXED_MS, duration, field)
        return cls(BucketKind.FIXED, duration.ms)

    @property
    def duration(self) -> Duration:
        if self.kind is BucketKind.MONTHS:
            return Duration(months=self.size)
        if self.kind is BucketKind.DAYS:
            return Duration(days=self.size)
        return Duration(ms=self.size)

    def __str__(self) -> str:
        return str(self.duration)


def _check_not_longer_than_a_year(too_long: bool, duration: Duration, field: str) -> None:
    if too_long:
        raise ValueError(f"{field}: {duration} is longer than the maximum of P1Y (also written P12M or P366D)")


def parse_bucket(text: str, field: str = "bucket") -> Bucket:
    """Read a bucket such as PT15M, PT1H, P1D, P1W, P1M or P1Y."""
    return Bucket.from_duration(parse_duration(text, field), field)


def boundaries(bucket: Bucket, start_ms: int, end_ms: int, tz: tzinfo, max_buckets: int = MAX_BUCKETS) -> list[int]:
    """Return the n+1 sorted edges of the n buckets that cover [start_ms, end_ms).

    The first edge starts the bucket holding start_ms, the last but one is before end_ms and the last ends the
    final bucket, at or after end_ms. tz matters only for day and month buckets.
    """
    if not 0 <= start_ms < end_ms <= _END_MS:
        raise ValueError("the time range must be non-empty, with its start before its end, from 1970 to 9999")
    if bucket.kind is BucketKind.FIXED:
        return _fixed_edges(bucket.size, start_ms, end_ms, max_buckets)
    if bucket.kind is BucketKind.DAYS:
        starts = _day_starts(bucket.size, start_ms, tz)
    else:
        starts = _month_starts(bucket.size, start_ms, tz)
    return _collect(starts, start_ms, end_ms, max_buckets)


def _too_many(max_buckets: int) -> ValueError:
    return ValueError(f"the range holds more than {max_buckets} buckets; use a larger bucket or a shorter range")


def _fixed_edges(size: int, start_ms: int, end_ms: int, max_buckets: int) -> list[int]:
    first = start_ms - start_ms % size
    count = -(-(end_ms - first) // size)
    if count > max_buckets:
        raise _too_many(max_buckets)
    edges = list(range(first, first + (count + 1) * size, size))
    edges[-1] = min(edges[-1], _END_MS)
    return edges


def _collect(starts: Iterator[int], start_ms: int, end_ms: int, max_buckets: int) -> list[int]:
    """Keep the bucket starts from the one holding start_ms through the first one at or after end_ms."""
    edges: list[int] = []
    for edge in starts:
        if edge <= start_ms:
            # The generator begins a bucket early, because the local date is not monotonic where clocks go back
            # across midnight; the last start at or before start_ms is the bucket that holds it.
            edges = [edge]
            continue
        if edge <= edges[-1]:
            continue  # a day the zone skipped entirely (Pacific/Apia, 2011-12-30) has no instants, so no bucket
        edges.append(edge)
        if len(edges) - 1 > max_buckets:
            raise _too_many(max_buckets)
        if edge >= end_ms:
            break
    edges[-1] = min(edges[-1], _END_MS)
    return edges


def _day_starts(size: int, start_ms: int, tz: tzinfo) -> Iterator[int]:
    anchor = _WEEK_ANCHOR_ORDINAL if size % 7 == 0 else _EPOCH_ORDINAL
    local = _local_date(start_ms, tz).toordinal()
    ordinal = anchor + ((local - anchor) // size - 1) * size
    while ordinal <= _MAX_ORDINAL:
        yield local_midnight(date.fromordinal(ordinal), tz)
        ordinal += size
    yield _END_MS


def _month_starts(size: int, start_ms: int, tz: tzinfo) -> Iterator[int]:
    local = _local_date(start_ms, tz)
    index = ((local.year - 1970) * 12 + local.month - 1) // size * size - size
    while (year := 1970 + index // 12) <= date.max.year:
        yield local_midnight(date(year, index % 12 + 1, 1), tz)
        index += size
    yield _END_MS


def _local_date(ms: int, tz: tzinfo) -> date:
    # Offsets are whole seconds, so flooring to the second cannot change the local date.
    return datetime.fromtimestamp(ms // 1000, tz).date()


def local_midnight(day: date, tz: tzinfo) -> int:
    """Return the first instant (epoch ms) of a local calendar day."""
    wall = datetime(day.year, day.month, day.day)
    # fold=0 and fold=1 agree unless midnight falls in a transition: repeated (clocks went back) or missing.
    first = int(wall.replace(tzinfo=tz).timestamp())
    second = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    if first == second:
        return first * 1000
    low, high = min(first, second), max(first, second)
    if datetime.fromtimestamp(low, tz).replace(tzinfo=None) == wall:
        return low * 1000  # a repeated midnight: the day starts at the first one
    # A missing midnight: the day starts at the transition, which lies in [low, high]. zoneinfo does not expose
    # transitions, so find the first second whose local date is this day (or later, if the whole day is skipped).
    while low < high:
        middle = (low + high) // 2
        if _local_date(middle * 1000, tz) >= day:
            high = middle
        else:
            low = middle + 1
    return low * 1000


def bucket_index(edges: list[int], t_ms: int) -> int:
    """Return i such that edges[i] <= t_ms < edges[i + 1]."""
    index = bisect_right(edges, t_ms) - 1
    if not 0 <= index < len(edges) - 1:
        raise ValueError(f"the time {t_ms} ms lies outside the buckets")
    return index


def hour_aligned(edges: list[int]) -> bool:
    """True when every edge is an exact UTC hour, so each bucket is a union of hourly rollups."""
    return all(edge % _HOUR_MS == 0 for edge in edges)
