"""SQL for points, rollups and latest values, and for the series a read or a write names. Functions take a
Connection and never commit.

The hot statements go straight to the driver (db/bulk.py) with `?` placeholders: building them with SQLAlchemy
cost more than running them. Times are epoch milliseconds; a window is [start, end).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from sensorgate.accounts.models import workspaces
from sensorgate.auth.principal import Principal
from sensorgate.auth.scopes import Scope
from sensorgate.db.bulk import executemany, fetchall
from sensorgate.sensors.models import sensors, series, virtual_inputs
from sensorgate.sensors.scope import reach, reach_sql

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
MAX_SERIES = 10_000  # series one read may resolve to
Row = Any


# The series a request names.


def readable_series(
    conn: sa.Connection, principal: Principal, sensor_ids: list[int], metrics: list[str]
) -> list[tuple[int, int, str, str, int, str]]:
    """(series id, sensor id, metric, unit, sensor interval, sensor serial or name) of the named sensors' series the
    caller reads."""
    where, params = reach_sql(principal, Scope.DATA_READ)
    if sensor_ids:
        where += f" AND s.sensor_id IN ({','.join('?' * len(sensor_ids))})"
        params += sensor_ids
    if metrics:
        where += f" AND s.metric IN ({','.join('?' * len(metrics))})"
        params += metrics
    return [
        (row[0], row[1], row[2], row[3], row[4], row[5] or row[6])
        for row in fetchall(
            conn,
            "SELECT s.id, s.sensor_id, s.metric, s.unit, sn.interval, sn.serial, sn.name FROM series s "  # noqa: S608 (placeholders only)
            "JOIN sensors sn ON sn.id = s.sensor_id JOIN workspaces w ON w.id = sn.workspace_id "
            f"WHERE {where} ORDER BY s.id LIMIT {MAX_SERIES}",
            params,
        )
    ]


def sensor_readable(conn: sa.Connection, principal: Principal, sensor_id: int) -> bool:
    return (
        conn.execute(
            sa.select(sensors.c.id)
            .join(workspaces, workspaces.c.id == sensors.c.workspace_id)
            .where(sensors.c.id == sensor_id, reach(principal, Scope.DATA_READ))
        ).first()
        is not None
    )


def writable_series(conn: sa.Connection, principal: Principal, sensor_ids: set[int]) -> list[Row]:
    """The real (not virtual) series of these sensors that the caller may write, with their units."""
    return list(
        conn.execute(
            sa.select(series.c.id, series.c.sensor_id, series.c.metric, series.c.unit, series.c.input_unit)
            .join(sensors, sensors.c.id == series.c.sensor_id)
            .join(workspaces, workspaces.c.id == sensors.c.workspace_id)
            .where(sensors.c.id.in_(sensor_ids), series.c.expression.is_(None), reach(principal, Scope.DATA_WRITE))
        ).all()
    )


def touch_last_seen(conn: sa.Connection, newest: dict[int, int]) -> None:
    """Move each sensor's last_seen forward to its newest point time, never back."""
    executemany(
        conn,
        "UPDATE sensors SET last_seen = ? WHERE id = ? AND (last_seen IS NULL OR last_seen < ?)",
        [(t, sensor, t) for sensor, t in sorted(newest.items())],
    )


def touch_last_seen_of_series(conn: sa.Connection, newest: dict[int, int]) -> None:
    """touch_last_seen, for the sensors of these series."""
    executemany(
        conn,
        "UPDATE sensors SET last_seen = ? WHERE id = (SELECT sensor_id FROM series WHERE id = ?) "
        "AND (last_seen IS NULL OR last_seen < ?)",
        [(t, series_id, t) for series_id, t in sorted(newest.items())],
    )


# Points.


def count_points(conn: sa.Connection, series_id: int, low: int, high: int) -> int:
    """Points of a series with low <= t <= high."""
    found = fetchall(
        conn, "SELECT count(*) FROM points WHERE series_id = ? AND t >= ? AND t <= ?", (series_id, low, high)
    )
    return int(found[0][0])


def upsert_points(conn: sa.Connection, rows: dict[tuple[int, int], float]) -> None:
    """Insert points; one that exists gets the new value, so a retried batch is harmless.

    Every write of a batch (points here, then rollups, latest values and sensors) goes in key order: two batches
    over the same rows then lock them in the same order, and cannot deadlock on PostgreSQL."""
    executemany(
        conn,
        "INSERT INTO points (series_id, t, value) VALUES (?, ?, ?) "
        "ON CONFLICT (series_id, t) DO UPDATE SET value = excluded.value",
        [(sid, t, value) for (sid, t), value in sorted(rows.items())],
    )


def upsert_latest(conn: sa.Connection, newest: dict[int, tuple[int, float]]) -> None:
    """Each series' newest point, unless the table already holds a newer one."""
    executemany(
        conn,
        "INSERT INTO latest (series_id, t, value) VALUES (?, ?, ?) "
        "ON CONFLICT (series_id) DO UPDATE SET t = excluded.t, value = excluded.value WHERE excluded.t >= latest.t",
        [(sid, t, value) for sid, (t, value) in sorted(newest.items())],
    )


def points_page(
    conn: sa.Connection,
    series_ids: list[int],
    start: int,
    end: int,
    descending: bool,
    after: tuple[int, int] | None,
    limit: int,
) -> list[tuple[int, int, float]]:
    """(series, t, value) in [start, end), by series then time, after the key `after` (a history cursor)."""
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


def sample_times(
    conn: sa.Connection, series_ids: list[int], start: int, end: int, descending: bool, offset: int, limit: int
) -> list[int]:
    """The distinct times in [start, end) at which any of these series has a point, in order, from `offset`.

    The first offset + limit times of all the series are among the first offset + limit of each one, so each
    series is read by its index for that many rows only, not for the whole window."""
    # Only our own words and placeholders go into the statement.
    order = " DESC" if descending else ""
    each = "SELECT t FROM points WHERE series_id = ? AND t >= ? AND t < ? ORDER BY t" + order + " LIMIT ?"  # noqa: S608
    union = " UNION ALL ".join(f"SELECT t FROM ({each}) s{i}" for i in range(len(series_ids)))  # noqa: S608
    sql = f"SELECT DISTINCT t FROM ({union}) u ORDER BY t{order} LIMIT ? OFFSET ?"  # noqa: S608
    params: list[int] = [value for sid in series_ids for value in (sid, start, end, offset + limit)]
    return [row[0] for row in fetchall(conn, sql, [*params, limit, offset])]


def points_between(conn: sa.Connection, series_ids: list[int], start: int, end: int) -> list[tuple[int, int, float]]:
    """(series, t, value) of these series in [start, end), by time then series."""
    marks = ",".join("?" * len(series_ids))
    sql = (
        f"SELECT series_id, t, value FROM points WHERE series_id IN ({marks}) AND t >= ? AND t < ? "  # noqa: S608
        "ORDER BY t, series_id"
    )
    return [(r[0], r[1], r[2]) for r in fetchall(conn, sql, [*series_ids, start, end])]


def points_of(conn: sa.Connection, series_id: int, low: int, high: int) -> list[tuple[int, float]]:
    """(t, value) of one series with low <= t <= high, in time order."""
    rows = fetchall(
        conn, "SELECT t, value FROM points WHERE series_id = ? AND t >= ? AND t <= ? ORDER BY t", (series_id, low, high)
    )
    return [(row[0], row[1]) for row in rows]


def latest_of(conn: sa.Connection, series_ids: list[int]) -> list[tuple[int, int, float]]:
    """(series, t, value) of each series' newest point, by series.

    Through the driver: building, compiling and expanding a Core IN of up to 10,000 ids cost more than the query
    (bench/README.md, latest values)."""
    if not series_ids:
        return []
    marks = ",".join("?" * len(series_ids))
    return fetchall(
        conn,
        f"SELECT series_id, t, value FROM latest WHERE series_id IN ({marks}) ORDER BY series_id",  # noqa: S608 (placeholders only)
        series_ids,
    )


# Rollups. Recomputing a touched bucket from its points (at most an hour of them) is always right, also when a
# point replaces another, where updating min or max in place would not be.

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


def _bucket_params(series_id: int, start: int, end: int) -> tuple[int, ...]:
    window = (series_id, start, end)
    return (start, *window, *window, *window)


def refresh_rollups(conn: sa.Connection, touched: Iterable[tuple[int, int]]) -> None:
    """Recompute the rollups of (series id, hour start) pairs, then of the UTC days holding them."""
    hours = sorted(touched)
    executemany(conn, _HOUR_SQL, [_bucket_params(sid, hour, hour + HOUR_MS) for sid, hour in hours])
    days = sorted({(sid, hour - hour % DAY_MS) for sid, hour in hours})
    executemany(conn, _DAY_SQL, [_bucket_params(sid, day, day + DAY_MS) for sid, day in days])


# Aggregates read one of three tables; `table` is always one of these names, never the caller's text.

SOURCES = ("points", "rollups_hour", "rollups_day")


def _columns(table: str) -> tuple[str, str]:
    """(time column, aggregate columns) of a source table."""
    assert table in SOURCES
    if table == "points":
        return "t", "count(*), min(value), max(value), sum(value)"
    return "bucket", "sum(count), min(min), max(max), sum(sum)"


def hourly_rollups(conn: sa.Connection, series_ids: list[int], start: int, end: int) -> list[Any]:
    """(series, bucket, count, min, max, sum) of the hourly rollups in [start, end), by series then hour."""
    marks = ",".join("?" * len(series_ids))
    return fetchall(
        conn,
        f"SELECT series_id, bucket, count, min, max, sum FROM rollups_hour WHERE series_id IN ({marks}) "  # noqa: S608
        "AND bucket >= ? AND bucket < ? ORDER BY series_id, bucket",
        [*series_ids, start, end],
    )


def grouped(conn: sa.Connection, table: str, series_ids: list[int], start: int, end: int, size: int) -> list[Any]:
    """(series, bucket index, count, min, max, sum) per fixed-size bucket counted from `start`."""
    time, columns = _columns(table)
    marks = ",".join("?" * len(series_ids))
    sql = (
        f"SELECT series_id, ({time} - ?) / ? AS b, {columns} FROM {table} "  # noqa: S608 (names are ours)
        f"WHERE series_id IN ({marks}) AND {time} >= ? AND {time} < ? GROUP BY series_id, b"
    )
    return fetchall(conn, sql, [start, size, *series_ids, start, end])


def count_between(conn: sa.Connection, table: str, series_ids: list[int], start: int, end: int) -> int:
    time, _ = _columns(table)
    marks = ",".join("?" * len(series_ids))
    sql = f"SELECT count(*) FROM {table} WHERE series_id IN ({marks}) AND {time} >= ? AND {time} < ?"  # noqa: S608
    return int(fetchall(conn, sql, [*series_ids, start, end])[0][0])


def cells_between(conn: sa.Connection, table: str, series_ids: list[int], start: int, end: int) -> list[Any]:
    """(series, time, count, min, max, sum) of each row in [start, end): a point counts as a cell of one."""
    time, _ = _columns(table)
    marks = ",".join("?" * len(series_ids))
    columns = "series_id, t, 1, value, value, value" if table == "points" else "series_id, bucket, count, min, max, sum"
    sql = f"SELECT {columns} FROM {table} WHERE series_id IN ({marks}) AND {time} >= ? AND {time} < ?"  # noqa: S608
    return fetchall(conn, sql, [*series_ids, start, end])


# Virtual series.


def virtual_links(conn: sa.Connection, written: set[int]) -> list[Row]:
    """Every input of each virtual series that reads one of the written series, with its expression."""
    readers = sa.select(virtual_inputs.c.series_id).where(virtual_inputs.c.input_series_id.in_(written))
    return list(
        conn.execute(
            sa.select(
                virtual_inputs.c.series_id,
                virtual_inputs.c.name,
                virtual_inputs.c.input_series_id,
                series.c.expression,
                sensors.c.interval,
            )
            .join(series, series.c.id == virtual_inputs.c.series_id)
            .join(sensors, sensors.c.id == series.c.sensor_id)
            .where(virtual_inputs.c.series_id.in_(readers))
        ).all()
    )


def longest_interval(conn: sa.Connection, series_ids: list[int]) -> int | None:
    """The longest reporting interval among the sensors of these series, in seconds."""
    value = conn.execute(
        sa.select(sa.func.max(sensors.c.interval))
        .join(series, series.c.sensor_id == sensors.c.id)
        .where(series.c.id.in_(series_ids))
    ).scalar()
    return None if value is None else int(value)
