"""Virtual series: values computed from other series of the workspace, materialized when inputs arrive.

At each time an input has a point, every other input contributes its newest value at or before that time,
if it is no older than twice its sensor's reporting interval (at most a day); otherwise no value is made.
Virtual series read real series only, so materializing never cascades.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

import sqlalchemy as sa

from sensorgate.measurements import store
from sensorgate.measurements.arrivals import Arrival
from sensorgate.measurements.writer import write_points
from sensorgate.sensors.expressions import parse

MAX_LOOKBACK_MS = 24 * 3_600_000


def materialize(
    conn: sa.Connection, written: set[int], low: int, high: int, arrival: Arrival
) -> dict[tuple[int, int], float]:
    """Compute and write the virtual points the written series feed; return them."""
    links = store.virtual_links(conn, written)
    inputs: dict[int, dict[str, int]] = defaultdict(dict)
    expression_of: dict[int, str] = {}
    for link in links:
        inputs[link.series_id][link.name] = link.input_series_id
        expression_of[link.series_id] = link.expression
    rows: dict[tuple[int, int], float] = {}
    for virtual_id, names in inputs.items():
        rows.update(_compute(conn, virtual_id, expression_of[virtual_id], names, low, high))
    if rows:
        write_points(conn, rows, arrival)
    return rows


def _compute(
    conn: sa.Connection, virtual_id: int, expression: str, names: dict[str, int], low: int, high: int
) -> dict[tuple[int, int], float]:
    compiled = parse(expression, allowed_names=set(names))
    lookback = _lookback(conn, list(names.values()))
    history: dict[str, tuple[list[int], list[float]]] = {}
    for name, input_id in names.items():
        points = store.points_of(conn, input_id, low - lookback, high)
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
    longest = store.longest_interval(conn, input_ids)
    return min(2 * int(longest or 300) * 1000, MAX_LOOKBACK_MS)
