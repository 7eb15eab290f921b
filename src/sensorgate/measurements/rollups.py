"""Hourly and daily rollups, recomputed at ingest for every bucket a batch touched, in the same transaction.

Recomputing a touched bucket from its points (at most an hour of them) is always right, also when a point
replaces another, where updating min or max in place would not be.
"""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.db.bulk import executemany

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

_HOUR_SQL = """
INSERT INTO rollups_hour (series_id, bucket, count, min, max, sum, first, last, first_t, last_t)
SELECT series_id, ?, count(*), min(value), max(value), sum(value),
       (SELECT value FROM points f WHERE f.series_id = ? AND f.t >= ? AND f.t < ? ORDER BY f.t ASC LIMIT 1),
       (SELECT value FROM points l WHERE l.series_id = ? AND l.t >= ? AND l.t < ? ORDER BY l.t DESC LIMIT 1),
       min(t), max(t)
FROM points WHERE series_id = ? AND t >= ? AND t < ?
GROUP BY series_id
ON CONFLICT (series_id, bucket) DO UPDATE SET count = excluded.count, min = excluded.min, max = excluded.max,
    sum = excluded.sum, first = excluded.first, last = excluded.last, first_t = excluded.first_t,
    last_t = excluded.last_t
"""

_DAY_SQL = """
INSERT INTO rollups_day (series_id, bucket, count, min, max, sum, first, last, first_t, last_t)
SELECT series_id, ?, sum(count), min(min), max(max), sum(sum),
       (SELECT first FROM rollups_hour f WHERE f.series_id = ? AND f.bucket >= ? AND f.bucket < ?
        ORDER BY f.bucket ASC LIMIT 1),
       (SELECT last FROM rollups_hour l WHERE l.series_id = ? AND l.bucket >= ? AND l.bucket < ?
        ORDER BY l.bucket DESC LIMIT 1),
       min(first_t), max(last_t)
FROM rollups_hour WHERE series_id = ? AND bucket >= ? AND bucket < ?
GROUP BY series_id
ON CONFLICT (series_id, bucket) DO UPDATE SET count = excluded.count, min = excluded.min, max = excluded.max,
    sum = excluded.sum, first = excluded.first, last = excluded.last, first_t = excluded.first_t,
    last_t = excluded.last_t
"""


def _params(series_id: int, start: int, end: int) -> tuple[int, ...]:
    window = (series_id, start, end)
    return (start, *window, *window, *window)


def refresh(conn: sa.Connection, touched: set[tuple[int, int]]) -> None:
    """Recompute the rollups of (series id, hour start) pairs, then of the UTC days holding them."""
    hours = sorted(touched)
    executemany(conn, _HOUR_SQL, [_params(sid, hour, hour + HOUR_MS) for sid, hour in hours])
    days = sorted({(sid, hour - hour % DAY_MS) for sid, hour in hours})
    executemany(conn, _DAY_SQL, [_params(sid, day, day + DAY_MS) for sid, day in days])
