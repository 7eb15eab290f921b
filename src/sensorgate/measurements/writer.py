"""Writing points: upsert them, then refresh the rollups and latest values they touch."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from sensorgate.measurements import store
from sensorgate.measurements.arrivals import Arrival, seal
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
    numbered: list[tuple[int, int, float, int, int]] = []
    done = 0
    for token, first, count in numbers:
        part = ordered[done : done + count]
        numbered += [(sid, t, value, token, n) for n, ((sid, t), value) in enumerate(part, first)]
        done += count
    store.upsert_points(conn, numbered)
    store.insert_spans(conn, _runs(ordered, numbers, Counter(sid for sid, _ in rows)))
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


def _runs(
    ordered: list[tuple[tuple[int, int], float]], numbers: list[tuple[int, int, int]], per_series: Counter[int]
) -> list[tuple[int, int, int, int, int, int]]:
    """(token, first n, count, series, first t, last t): each series' points are one run of numbers under a
    token, as `ordered` is by (series, t); a series that crosses into the next token is two."""
    runs: list[tuple[int, int, int, int, int, int]] = []
    if not numbers:
        return runs
    at, which = 0, 0
    token, first, room = numbers[0]
    for sid in sorted(per_series):
        left = per_series[sid]
        while left:
            if not room:
                which += 1
                token, first, room = numbers[which]
            take = min(left, room)
            runs.append((token, first, take, sid, ordered[at][0][1], ordered[at + take - 1][0][1]))
            at, first, room, left = at + take, first + take, room - take, left - take
    return runs


def write_batch(conn: sa.Connection, rows: dict[tuple[int, int], float]) -> int:
    """write_points as one sealed arrival of its own, for a writer outside ingest (a benchmark's bulk load): the
    points get their ids when the transaction commits, as an ingest batch's do."""
    arrival = Arrival()
    new = write_points(conn, rows, arrival)
    seal(conn, arrival)
    return new
