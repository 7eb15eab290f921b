"""Virtual series: values computed from other series of the workspace, materialized when inputs arrive.

At each time an input has a point, every other input contributes its newest value at or before that time,
if it is no older than twice its sensor's reporting interval (at most a day); otherwise no value is made.
Virtual series read real series only, so materializing never cascades.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

import sqlalchemy as sa

from sensorgate.db.bulk import fetchall
from sensorgate.measurements.writer import write_points
from sensorgate.sensors.expressions import parse
from sensorgate.sensors.models import sensors, series, virtual_inputs

MAX_LOOKBACK_MS = 24 * 3_600_000


def materialize(conn: sa.Connection, written: set[int], low: int, high: int) -> dict[tuple[int, int], float]:
    """Compute and write the virtual points the written series feed; return them."""
    readers = sa.select(virtual_inputs.c.series_id).where(virtual_inputs.c.input_series_id.in_(written))
    links = conn.execute(
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
    inputs: dict[int, dict[str, int]] = defaultdict(dict)
    expression_of: dict[int, str] = {}
    for link in links:
        inputs[link.series_id][link.name] = link.input_series_id
        expression_of[link.series_id] = link.expression
    rows: dict[tuple[int, int], float] = {}
    for virtual_id, names in inputs.items():
        rows.update(_compute(conn, virtual_id, expression_of[virtual_id], names, low, high))
    if rows:
        write_points(conn, rows)
    return rows


def _compute(
    conn: sa.Connection, virtual_id: int, expression: str, names: dict[str, int], low: int, high: int
) -> dict[tuple[int, int], float]:
    compiled = parse(expression, allowed_names=set(names))
    lookback = _lookback(conn, list(names.values()))
    history: dict[str, tuple[list[int], list[float]]] = {}
    for name, input_id in names.items():
        points = fetchall(
            conn,
            "SELECT t, value FROM points WHERE series_id = ? AND t >= ? AND t <= ? ORDER BY t",
            (input_id, low - lookback, high),
        )
        history[name] = ([p[0] for p in points], [p[1] for p in points])
    times = sorted({t for ts, _ in history.values() for t in ts if low <= t <= high})
    out: dict[tuple[int, int], float] = {}
    for t in times:
        values: dict[str, float] = {}
        for name, (ts, vs) in history.items():
            at = bisect.bisect_right(ts, t) - 1
            if at < 0 or t - ts[at] > lookback:
                break
            values[name] = vs[at]
        else:
            result = compiled.evaluate(values)
            if result is not None:
                out[(virtual_id, t)] = result
    return out


def _lookback(conn: sa.Connection, input_ids: list[int]) -> int:
    longest = conn.execute(
        sa.select(sa.func.max(sensors.c.interval))
        .join(series, series.c.sensor_id == sensors.c.id)
        .where(series.c.id.in_(input_ids))
    ).scalar()
    return min(2 * int(longest or 300) * 1000, MAX_LOOKBACK_MS)
