"""Writing points: upsert them, then refresh the rollups and latest values they touch."""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.measurements import store
from sensorgate.measurements.arrivals import Arrival
from sensorgate.measurements.store import HOUR_MS


def write_points(conn: sa.Connection, rows: dict[tuple[int, int], float], arrival: Arrival) -> int:
    """Upsert points numbered under the batch's arrival, refresh rollups and latest values; return how many
    points are new."""
    spans: dict[int, list[int]] = {}
    for sid, t in rows:
        span = spans.setdefault(sid, [t, t])
        if t < span[0]:
            span[0] = t
        elif t > span[1]:
            span[1] = t
    before = _count(conn, spans)
    ordered = sorted(rows.items())
    numbers = arrival.number(conn, len(ordered))
    store.upsert_points(
        conn, [(sid, t, value, token, n) for ((sid, t), value), (token, n) in zip(ordered, numbers, strict=True)]
    )
    new = _count(conn, spans) - before
    store.refresh_rollups(conn, {(sid, t - t % HOUR_MS) for sid, t in rows})
    newest: dict[int, tuple[int, float]] = {}
    for (sid, t), value in rows.items():
        if sid not in newest or t >= newest[sid][0]:
            newest[sid] = (t, value)
    store.upsert_latest(conn, newest)
    return new


def _count(conn: sa.Connection, spans: dict[int, list[int]]) -> int:
    return sum(store.count_points(conn, sid, low, high) for sid, (low, high) in spans.items())
