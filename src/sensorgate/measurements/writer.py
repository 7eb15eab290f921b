"""Writing points: upsert them, then refresh the rollups and latest values they touch."""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.db.bulk import executemany, fetchall
from sensorgate.measurements import rollups


def write_points(conn: sa.Connection, rows: dict[tuple[int, int], float]) -> int:
    """Upsert points, refresh rollups and latest values; return how many points are new."""
    spans: dict[int, list[int]] = {}
    for sid, t in rows:
        span = spans.setdefault(sid, [t, t])
        if t < span[0]:
            span[0] = t
        elif t > span[1]:
            span[1] = t
    before = _count(conn, spans)
    executemany(
        conn,
        "INSERT INTO points (series_id, t, value) VALUES (?, ?, ?) "
        "ON CONFLICT (series_id, t) DO UPDATE SET value = excluded.value",
        [(sid, t, value) for (sid, t), value in rows.items()],
    )
    new = _count(conn, spans) - before
    rollups.refresh(conn, {(sid, t - t % rollups.HOUR_MS) for sid, t in rows})
    newest: dict[int, tuple[int, float]] = {}
    for (sid, t), value in rows.items():
        if sid not in newest or t >= newest[sid][0]:
            newest[sid] = (t, value)
    executemany(
        conn,
        "INSERT INTO latest (series_id, t, value) VALUES (?, ?, ?) "
        "ON CONFLICT (series_id) DO UPDATE SET t = excluded.t, value = excluded.value WHERE excluded.t >= latest.t",
        [(sid, t, value) for sid, (t, value) in newest.items()],
    )
    return new


def _count(conn: sa.Connection, spans: dict[int, list[int]]) -> int:
    total = 0
    for sid, (low, high) in spans.items():
        total += fetchall(
            conn, "SELECT count(*) FROM points WHERE series_id = ? AND t >= ? AND t <= ?", (sid, low, high)
        )[0][0]
    return total
