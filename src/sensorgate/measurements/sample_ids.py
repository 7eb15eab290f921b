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
)  # for queries over points aliased p


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


SPANS_PAGE = 500  # spans read at a time while filling a batch


def _spans(
    conn: sa.Connection, principal: Principal, seq: int, n: int, descending: bool
) -> list[tuple[int, int, int, int, int, int, int, int]]:
    """(seq, token, n_first, n_count, series, sensor, t_min, t_max) of the caller's spans holding a number past
    (seq, n), by number (or before it, descending)."""
    where, params = reach_sql(principal, Scope.DATA_READ)
    if descending:
        past, order = "a.seq <= ? AND (a.seq < ? OR sp.n_first <= ?)", "DESC"
    else:
        past, order = "a.seq >= ? AND (a.seq > ? OR sp.n_first + sp.n_count > ?)", "ASC"
    return [
        tuple(row)
        for row in fetchall(
            conn,
            "SELECT a.seq, a.id, sp.n_first, sp.n_count, sp.series_id, s.sensor_id, sp.t_min, sp.t_max "  # noqa: S608 (placeholders only)
            "FROM arrivals a JOIN arrival_spans sp ON sp.arrival_id = a.id "
            "JOIN series s ON s.id = sp.series_id JOIN sensors sn ON sn.id = s.sensor_id "
            f"JOIN workspaces w ON w.id = sn.workspace_id WHERE {past} AND {where} "
            f"ORDER BY a.seq {order}, sp.n_first {order} LIMIT {SPANS_PAGE}",
            [seq, seq, n, *params],
        )
    ]


def _in_span(conn: sa.Connection, span: tuple[int, ...], n: int, limit: int, descending: bool) -> list[IdSample]:
    """The span's points still under its arrival, numbered past n (before n, descending)."""
    seq, token, _, _, series_id, sensor_id, t_min, t_max = span
    compare, order = ("<=", "DESC") if descending else (">", "ASC")
    rows = fetchall(
        conn,
        "SELECT arrival_n, t, value FROM points WHERE series_id = ? AND t >= ? AND t <= ? "  # noqa: S608 (no input)
        f"AND arrival_id = ? AND arrival_n {compare} ? ORDER BY t {order} LIMIT ?",
        (series_id, t_min, t_max, token, n, limit),
    )
    return [IdSample(sample_id(seq, r[0]), series_id, sensor_id, r[1], r[2]) for r in rows]


def after(conn: sa.Connection, principal: Principal, after_id: int, limit: int) -> list[IdSample]:
    """The samples the caller reads with an id above `after_id`, by id, at most `limit`."""
    seq, n = split(after_id)
    found: list[IdSample] = []
    while len(found) < limit:
        spans = _spans(conn, principal, seq, n, descending=False)
        for span in spans:
            past = n if span[0] == seq else -1
            found += _in_span(conn, span, past, limit - len(found), descending=False)
            if len(found) >= limit:
                break
        if len(spans) < SPANS_PAGE:
            break
        seq, n = spans[-1][0], spans[-1][2] + spans[-1][3] - 1  # on from the last span read
    return found


def newest_up_to(conn: sa.Connection, principal: Principal, up_to: int) -> IdSample | None:
    """The caller's sample with the largest id not above `up_to`."""
    seq, n = split(up_to)
    while True:
        spans = _spans(conn, principal, seq, n, descending=True)
        for span in spans:
            found = _in_span(conn, span, n if span[0] == seq else PER_ARRIVAL, 1, descending=True)
            if found:
                return found[0]
        if len(spans) < SPANS_PAGE:
            return None
        seq, n = spans[-1][0], spans[-1][2] - 1


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
