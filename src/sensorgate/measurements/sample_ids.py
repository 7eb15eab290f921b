"""SQL for samples by arrival id (arrivals.py): a series' samples in a window with their ids, the samples the
caller reaches after an id, and the first id of a time. Functions take a Connection and never commit.

Only sealed arrivals have a seq, and a batch's rows appear with its commit, so every row read here has its id.
"""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa

from sensorgate.auth.principal import Principal
from sensorgate.auth.scopes import Scope
from sensorgate.db.bulk import fetchall
from sensorgate.measurements.arrivals import PER_ARRIVAL, sample_id, split
from sensorgate.sensors.scope import reach_sql

_REACHED = (
    "JOIN series s ON s.id = p.series_id JOIN sensors sn ON sn.id = s.sensor_id "
    "JOIN workspaces w ON w.id = sn.workspace_id"
)


class IdSample(NamedTuple):
    id: int
    series_id: int
    sensor_id: int
    t: int
    value: float


def in_window(conn: sa.Connection, series_id: int, start: int, end: int, limit: int) -> list[IdSample]:
    """A series' samples with start <= t < end, oldest first, at most `limit`. The caller checked the reach."""
    rows = fetchall(
        conn,
        "SELECT a.seq, p.arrival_n, p.t, p.value, s.sensor_id FROM points p JOIN arrivals a ON a.id = p.arrival_id "
        "JOIN series s ON s.id = p.series_id "
        "WHERE p.series_id = ? AND p.t >= ? AND p.t < ? ORDER BY p.t LIMIT ?",
        (series_id, start, end, limit),
    )
    return [IdSample(sample_id(r[0], r[1]), series_id, r[4], r[2], r[3]) for r in rows]


def after(conn: sa.Connection, principal: Principal, after_id: int, limit: int) -> list[IdSample]:
    """The samples the caller reads with an id above `after_id`, by id, at most `limit`."""
    seq, n = split(after_id)
    where, params = reach_sql(principal, Scope.DATA_READ)
    rows = fetchall(
        conn,
        "SELECT a.seq, p.arrival_n, p.series_id, s.sensor_id, p.t, p.value FROM arrivals a "  # noqa: S608 (placeholders only)
        f"JOIN points p ON p.arrival_id = a.id {_REACHED} "
        f"WHERE a.seq >= ? AND (a.seq > ? OR p.arrival_n > ?) AND {where} "
        "ORDER BY a.seq, p.arrival_n LIMIT ?",
        [seq, seq, n, *params, limit],
    )
    return [IdSample(sample_id(r[0], r[1]), r[2], r[3], r[4], r[5]) for r in rows]


def newest_up_to(conn: sa.Connection, principal: Principal, up_to: int) -> IdSample | None:
    """The caller's sample with the largest id not above `up_to`."""
    seq, n = split(up_to)
    where, params = reach_sql(principal, Scope.DATA_READ)
    rows = fetchall(
        conn,
        "SELECT a.seq, p.arrival_n, p.series_id, s.sensor_id, p.t, p.value FROM arrivals a "  # noqa: S608 (placeholders only)
        f"JOIN points p ON p.arrival_id = a.id {_REACHED} "
        f"WHERE a.seq <= ? AND (a.seq < ? OR p.arrival_n <= ?) AND {where} "
        "ORDER BY a.seq DESC, p.arrival_n DESC LIMIT 1",
        [seq, seq, n, *params],
    )
    return IdSample(sample_id(rows[0][0], rows[0][1]), *rows[0][2:]) if rows else None


def first_id_from(conn: sa.Connection, principal: Principal, t: int) -> int | None:
    """The smallest id among the caller's samples timed at or after t."""
    where, params = reach_sql(principal, Scope.DATA_READ)
    rows = fetchall(
        conn,
        f"SELECT MIN(a.seq * {PER_ARRIVAL} + p.arrival_n) FROM points p JOIN arrivals a ON a.id = p.arrival_id "  # noqa: S608 (placeholders only)
        f"{_REACHED} WHERE p.t >= ? AND {where}",
        [t, *params],
    )
    return None if rows[0][0] is None else int(rows[0][0])


def newest_sealed(conn: sa.Connection) -> int:
    """The largest id any committed batch can hold: every later batch seals a larger seq."""
    seq = fetchall(conn, "SELECT seq FROM arrival_clock WHERE id = 1")[0][0]
    return sample_id(int(seq), PER_ARRIVAL - 1)


def sensor_of(conn: sa.Connection, series_id: int) -> int | None:
    """The sensor of a series, whoever may read it: the caller's reach is checked on the sensor."""
    rows = fetchall(conn, "SELECT sensor_id FROM series WHERE id = ?", (series_id,))
    return int(rows[0][0]) if rows else None


def newest_of(conn: sa.Connection, series_id: int) -> IdSample | None:
    """A series' newest sample by time. The caller checked the reach."""
    rows = fetchall(
        conn,
        "SELECT a.seq, p.arrival_n, p.t, p.value, s.sensor_id FROM points p JOIN arrivals a ON a.id = p.arrival_id "
        "JOIN series s ON s.id = p.series_id WHERE p.series_id = ? ORDER BY p.t DESC LIMIT 1",
        (series_id,),
    )
    return IdSample(sample_id(rows[0][0], rows[0][1]), series_id, rows[0][4], rows[0][2], rows[0][3]) if rows else None
