"""History: points of one or more series in a time window, a page at a time, with keyset cursors.

Items are ordered by series, then time, which is the order of the points' primary key: a page is one
index range scan, however long the window.
"""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.auth.principal import Principal
from sensorgate.kit.errors import BadRequest
from sensorgate.kit.times import format_time
from sensorgate.measurements import cursor as cursors
from sensorgate.measurements import store
from sensorgate.measurements.schemas import HistoryOut, PointOut
from sensorgate.measurements.series_access import ReadSeries, resolve

MAX_LIMIT = 10_000


def history(
    conn: sa.Connection,
    principal: Principal,
    *,
    sensor_ids: list[int],
    metrics: list[str],
    unit: str | None,
    span: tuple[int, int],
    descending: bool,
    limit: int,
    cursor: str | None,
    cursor_key: bytes,
    series: list[ReadSeries] | None = None,
) -> HistoryOut:
    """`series`: already resolved by the caller (a dialect that picks series by kind); else the series of
    `sensor_ids` and `metrics`, checked against what the caller reaches."""
    if series is None:
        if not sensor_ids:
            raise BadRequest("sensor is required: one or more sensor ids, comma-separated")
        series = resolve(conn, principal, sensor_ids, metrics, unit)
    by_id = {s.series_id: s for s in series}
    digest = cursors.query_digest(list(by_id))
    after: tuple[int, int] | None = None
    start, end = span
    if cursor:
        position = cursors.decode(cursor, cursor_key)
        if position.query != digest:
            raise BadRequest("this cursor belongs to another query; repeat the query it came from")
        start, end, descending = position.start, position.end, position.descending
        after = (position.series_id, position.t)
    rows = store.points_page(conn, list(by_id), start, end, descending, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [_point(by_id[series_id], t, value) for series_id, t, value in rows]
    following = None
    if more:
        last_series, last_t, _ = rows[-1]
        following = cursors.encode(cursors.Cursor(start, end, descending, last_series, last_t, digest), cursor_key)
    return HistoryOut(items=items, next=following)


def _point(target: ReadSeries, t: int, value: float) -> PointOut:
    return PointOut(target.sensor_id, target.metric, format_time(t), target.convert(value) if target.convert else value)
