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

from sensorgate.alarms.models import alarm_events, alarm_rules, alarm_states
from sensorgate.sensors.models import sensors, series


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
    pairs = conn.execute(
        sa.select(alarm_rules, series.c.id.label("series_id"), series.c.sensor_id.label("series_sensor"))
        .join(sensors, sensors.c.workspace_id == alarm_rules.c.workspace_id)
        .join(series, sa.and_(series.c.sensor_id == sensors.c.id, series.c.metric == alarm_rules.c.metric))
        .where(
            series.c.id.in_(list(by_series)),
            sa.or_(alarm_rules.c.sensor_id.is_(None), alarm_rules.c.sensor_id == sensors.c.id),
            sa.or_(alarm_rules.c.device_group_id.is_(None), alarm_rules.c.device_group_id == sensors.c.device_group_id),
        )
    ).all()
    for pair in pairs:
        _walk(conn, pair, sorted(by_series[pair.series_id]))


def _walk(conn: sa.Connection, rule: Any, points: list[tuple[int, float]]) -> None:
    state = conn.execute(
        sa.select(alarm_states).where(alarm_states.c.rule_id == rule.id, alarm_states.c.series_id == rule.series_id)
    ).first()
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
                event_id = conn.execute(
                    alarm_events.insert()
                    .values(
                        rule_id=rule.id,
                        series_id=rule.series_id,
                        sensor_id=rule.series_sensor,
                        raised_at=t,
                        value=value,
                    )
                    .returning(alarm_events.c.id)
                ).scalar_one()
        else:
            breach_since = None
            if event_id is not None:
                conn.execute(alarm_events.update().where(alarm_events.c.id == event_id).values(resolved_at=t))
                event_id = None
    if last_t is None:
        return
    values = {"breach_since": breach_since, "last_t": last_t, "event_id": event_id}
    if state is None:
        conn.execute(alarm_states.insert().values(rule_id=rule.id, series_id=rule.series_id, **values))
    else:
        conn.execute(
            alarm_states.update()
            .where(alarm_states.c.rule_id == rule.id, alarm_states.c.series_id == rule.series_id)
            .values(**values)
        )
