"""Alarm evaluation at ingest, backfill included, in the batch's transaction.

Each (rule, series) walks the batch's new points in time order. The condition must hold on every point
for `hold_seconds` (measured by point times) before an alarm is raised at the point that completes the
hold; the first point where it no longer holds resolves it. Points older than the newest one a rule has
already seen on a series are not evaluated again: alarms follow the series forward in time.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from sensorgate.alarms import store


def breached(rule: Any, value: float) -> bool:
    if rule.condition == "above":
        return bool(value > rule.threshold)
    if rule.condition == "below":
        return bool(value < rule.threshold)
    return bool(value < rule.low or value > rule.high)


def evaluate(conn: sa.Connection, rows: dict[tuple[int, int], float]) -> None:
    """Evaluate every rule that watches a series written in this batch."""
    by_series: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (series_id, t), value in rows.items():
        by_series[series_id].append((t, value))
    pairs = store.rules_watching(conn, list(by_series))
    for pair in pairs:
        _walk(conn, pair, sorted(by_series[pair.series_id]))


def _walk(conn: sa.Connection, rule: Any, points: list[tuple[int, float]]) -> None:
    state = store.state(conn, rule.id, rule.series_id)
    breach_since = state.breach_since if state else None
    event_id = state.event_id if state else None
    last_t = state.last_t if state else None
    hold_ms = rule.hold_seconds * 1000
    for t, value in points:
        if last_t is not None and t <= last_t:
            continue
        last_t = t
        if breached(rule, value):
            breach_since = t if breach_since is None else breach_since
            if event_id is None and t - breach_since >= hold_ms:
                event_id = store.raise_alarm(conn, rule.id, rule.series_id, rule.series_sensor, t, value)
        else:
            breach_since = None
            if event_id is not None:
                store.resolve_alarm(conn, event_id, t)
                event_id = None
    if last_t is None:
        return
    values = {"breach_since": breach_since, "last_t": last_t, "event_id": event_id}
    store.save_state(conn, rule.id, rule.series_id, values, new=state is None)
