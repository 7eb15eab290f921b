"""History: points of one or more series in a time window, a page at a time, with keyset cursors.

Items are ordered by series, then time, which is the order of the points' primary key: a page is one
index range scan, however long the window.
"""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.auth.principal import Principal
from sensorgate.kit.errors import BadRequest
from sensorgate.kit.times import format_times
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
) -> HistoryOut:
    if not sensor_ids:
        raise BadRequest("sensor is required: one or more sensor ids, comma-separated")
    targets = resolve(conn, principal, sensor_ids, metrics, unit)
    by_id = {s.series_id: s for s in targets}
    rows, following = page(conn, targets, span, descending, limit, cursor, cursor_key)
    texts = format_times([row[1] for row in rows])
    items = []
    for (series_id, _, value), text in zip(rows, texts, strict=True):
        target = by_id[series_id]
        convert = target.convert
        items.append(PointOut(target.sensor_id, target.metric, text, convert(value) if convert else value))
    return HistoryOut(items=items, next=following)


def page(
    conn: sa.Connection,
    series: list[ReadSeries],
    span: tuple[int, int],
    descending: bool,
    limit: int,
    cursor: str | None,
    cursor_key: bytes,
) -> tuple[list[tuple[int, int, float]], str | None]:
    """One page of (series id, epoch ms, canonical value) of series already checked against the caller, and the
    cursor to the next page (None at the end). History answers it as points; a dialect in its own shape."""
    digest = cursors.query_digest([s.series_id for s in series])
    after: tuple[int, int] | None = None
    start, end = span
    if cursor:
        position = cursors.decode(cursor, cursor_key)
        if position.query != digest:
            raise BadRequest("this cursor belongs to another query; repeat the query it came from")
        start, end, descending = position.start, position.end, position.descending
        after = (position.series_id, position.t)
    rows = store.points_page(conn, [s.series_id for s in series], start, end, descending, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    following = None
    if more:
        last_series, last_t, _ = rows[-1]
        following = cursors.encode(cursors.Cursor(start, end, descending, last_series, last_t, digest), cursor_key)
    return rows, following
