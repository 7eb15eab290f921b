"""History: points of one or more series in a time window, a page at a time, with keyset cursors.

Items are ordered by series, then time, which is the order of the points' primary key: a page is one
index range scan, however long the window.
"""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.auth.principal import Principal
from sensorgate.db.bulk import fetchall
from sensorgate.kit.errors import BadRequest
from sensorgate.kit.times import format_time, parse_duration, parse_time
from sensorgate.measurements import cursor as cursors
from sensorgate.measurements.schemas import HistoryOut, PointOut
from sensorgate.measurements.series_access import ReadSeries, resolve

DEFAULT_WINDOW_MS = 24 * 3_600_000
MAX_LIMIT = 10_000


def window(from_: str | None, to: str | None, last: str | None, now_ms: int) -> tuple[int, int]:
    """[start, end) in epoch ms. `last` counts back from `to` (default: now)."""
    try:
        end = parse_time(to, "to") + 1 if to else now_ms + 1
        if from_ and last:
            raise BadRequest("give either from or last, not both")
        if from_:
            start = parse_time(from_, "from")
        elif last:
            duration = parse_duration(last, "last")
            if duration.months:
                raise BadRequest("last takes weeks, days, hours, minutes or seconds (no months or years)")
            start = end - 1 - duration.days * 86_400_000 - duration.ms
        else:
            start = end - 1 - DEFAULT_WINDOW_MS
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    if start >= end:
        raise BadRequest("from must be before to")
    return start, end


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
    digest = cursors.query_digest(list(by_id))
    after: tuple[int, int] | None = None
    start, end = span
    if cursor:
        position = cursors.decode(cursor, cursor_key)
        if position.query != digest:
            raise BadRequest("this cursor belongs to another query; repeat the query it came from")
        start, end, descending = position.start, position.end, position.descending
        after = (position.series_id, position.t)
    rows = _page(conn, list(by_id), start, end, descending, after, limit + 1)
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


def _page(
    conn: sa.Connection,
    series_ids: list[int],
    start: int,
    end: int,
    descending: bool,
    after: tuple[int, int] | None,
    limit: int,
) -> list[tuple[int, int, float]]:
    if not series_ids:
        return []
    marks = ",".join("?" * len(series_ids))
    sql = f"SELECT series_id, t, value FROM points WHERE series_id IN ({marks}) AND t >= ? AND t < ?"  # noqa: S608
    params: list[int] = [*series_ids, start, end]
    if after is not None:
        sql += " AND (series_id > ? OR (series_id = ? AND t " + ("<" if descending else ">") + " ?))"
        params += [after[0], after[0], after[1]]
    sql += " ORDER BY series_id, t" + (" DESC" if descending else "") + " LIMIT ?"
    params.append(limit)
    return [(r[0], r[1], r[2]) for r in fetchall(conn, sql, params)]
