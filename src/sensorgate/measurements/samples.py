"""Samples: the points of several series grouped by time, one sample per instant holding the value of each
series that has a point then. A vendor that stores one message per uplink (Akenza) answers in samples; /v1's
history pages series by series instead, so it keeps its own reads.

Paging is by position (skip and limit), as those vendors page, newest first by default. A window with a fixed
end keeps the positions stable while new points arrive.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from sensorgate.kit.errors import BadRequest
from sensorgate.measurements import store
from sensorgate.measurements.series_access import ReadSeries

MAX_SAMPLES = 10_000
MAX_SKIP = 10_000_000  # an OFFSET walks the rows it skips: past this, narrow the window instead


@dataclass(frozen=True, slots=True)
class Sample:
    t: int  # epoch ms
    values: dict[str, float]  # metric -> value, in the unit its series is served in


def samples(
    conn: sa.Connection,
    series: list[ReadSeries],
    span: tuple[int, int],
    skip: int,
    limit: int,
    descending: bool = True,
) -> list[Sample]:
    """The samples of `series` (resolved, so already checked against the caller's reach) in [start, end)."""
    if not 1 <= limit <= MAX_SAMPLES:
        raise BadRequest(f"limit must be between 1 and {MAX_SAMPLES:,}")
    if not 0 <= skip <= MAX_SKIP:
        raise BadRequest(f"skip must be between 0 and {MAX_SKIP:,}; to read further back, narrow the time window")
    if not series:
        return []
    by_id = {s.series_id: s for s in series}
    ids = list(by_id)
    times = store.sample_times(conn, ids, span[0], span[1], descending, skip, limit)
    if not times:
        return []
    # The times are consecutive among the window's distinct times, so every point between the first and the last
    # belongs to one of them.
    grouped: dict[int, dict[str, float]] = {t: {} for t in times}
    for series_id, t, value in store.points_between(conn, ids, min(times), max(times) + 1):
        target = by_id[series_id]
        grouped[t][target.metric] = target.convert(value) if target.convert else value
    return [Sample(t, values) for t, values in grouped.items()]


def latest_sample(conn: sa.Connection, series: list[ReadSeries]) -> Sample | None:
    """The newest sample, read from each series' latest value: a series has a point at the newest instant only
    if that point is its own latest."""
    by_id = {s.series_id: s for s in series}
    rows = store.latest_of(conn, list(by_id)) if by_id else []
    if not rows:
        return None
    newest = max(t for _, t, _ in rows)
    values = {}
    for series_id, t, value in rows:
        if t == newest:
            target = by_id[series_id]
            values[target.metric] = target.convert(value) if target.convert else value
    return Sample(newest, values)
