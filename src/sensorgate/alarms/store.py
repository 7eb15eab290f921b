"""SQL for alarm rules, their state on each series, and the alarms they raise. Functions never commit."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from sensorgate.accounts.models import workspaces
from sensorgate.alarms.models import alarm_events, alarm_rules, alarm_states
from sensorgate.sensors.models import device_groups, sensors, series

Row = Any


def _rule_query(where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(alarm_rules, device_groups.c.name.label("group_name"))
        .join(workspaces, workspaces.c.id == alarm_rules.c.workspace_id)
        .outerjoin(device_groups, device_groups.c.id == alarm_rules.c.device_group_id)
        .where(where)
        .order_by(alarm_rules.c.id)
    )


def rules(conn: sa.Connection, where: sa.ColumnElement[bool], limit: int) -> list[Row]:
    """Rules matching `where` (over alarm_rules and workspaces), by id, each with its device group's name."""
    return list(conn.execute(_rule_query(where).limit(limit)).all())


def rule(conn: sa.Connection, where: sa.ColumnElement[bool], rule_id: int) -> Row | None:
    return conn.execute(_rule_query(sa.and_(alarm_rules.c.id == rule_id, where))).first()


def rule_by_id(conn: sa.Connection, rule_id: int) -> Row:
    return conn.execute(_rule_query(alarm_rules.c.id == rule_id)).one()


def seen_by_group(where: sa.ColumnElement[bool], group_id: int | None) -> sa.ColumnElement[bool]:
    """Narrow `where` to the rules that watch a device group's sensors: rules on one of them, rules on the group,
    and workspace-wide rules (which watch every sensor). No group: `where` as it is."""
    if group_id is None:
        return where
    return sa.and_(
        where,
        sa.or_(
            alarm_rules.c.device_group_id == group_id,
            alarm_rules.c.sensor_id.in_(sa.select(sensors.c.id).where(sensors.c.device_group_id == group_id)),
            sa.and_(alarm_rules.c.sensor_id.is_(None), alarm_rules.c.device_group_id.is_(None)),
        ),
    )


def count_rules_beside(conn: sa.Connection, workspace_id: int) -> int:
    """The rules of every workspace of the organization that holds this workspace."""
    organization = sa.select(workspaces.c.organization_id).where(workspaces.c.id == workspace_id).scalar_subquery()
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(alarm_rules)
            .join(workspaces, workspaces.c.id == alarm_rules.c.workspace_id)
            .where(workspaces.c.organization_id == organization)
        ).scalar_one()
    )


def insert_rule(conn: sa.Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(alarm_rules.insert().values(**values).returning(alarm_rules.c.id)).scalar_one())


def delete_rule(conn: sa.Connection, rule_id: int) -> None:
    conn.execute(alarm_rules.delete().where(alarm_rules.c.id == rule_id))


def alarms(
    conn: sa.Connection,
    seen: sa.ColumnElement[bool],
    *,
    active_only: bool,
    start: int | None,
    end: int | None,
    limit: int,
    sensor_id: int | None = None,
) -> list[Row]:
    """Alarms on the sensors matching `seen` (and only on `sensor_id`'s, given one), newest first: open ones, or
    those active at some instant of [start, end)."""
    query = (
        sa.select(alarm_events, alarm_rules.c.name.label("rule_name"), alarm_rules.c.severity, alarm_rules.c.metric)
        .join(alarm_rules, alarm_rules.c.id == alarm_events.c.rule_id)
        .join(sensors, sensors.c.id == alarm_events.c.sensor_id)
        .join(workspaces, workspaces.c.id == sensors.c.workspace_id)
        .where(seen)
    )
    if sensor_id is not None:
        query = query.where(alarm_events.c.sensor_id == sensor_id)
    if active_only:
        query = query.where(alarm_events.c.resolved_at.is_(None))
    if start is not None and end is not None:
        # Active at some instant of [start, end): raised before its end, resolved after its start (an alarm is
        # active from the point that raised it up to, not including, the point that resolved it).
        query = query.where(
            alarm_events.c.raised_at < end,
            sa.or_(alarm_events.c.resolved_at.is_(None), alarm_events.c.resolved_at > start),
        )
    return list(conn.execute(query.order_by(alarm_events.c.raised_at.desc(), alarm_events.c.id).limit(limit)).all())


# Evaluation at ingest.


def rules_watching(conn: sa.Connection, series_ids: list[int]) -> list[Row]:
    """(rule, series) pairs: every rule that watches one of these series, with series_id and series_sensor."""
    return list(
        conn.execute(
            sa.select(alarm_rules, series.c.id.label("series_id"), series.c.sensor_id.label("series_sensor"))
            .join(sensors, sensors.c.workspace_id == alarm_rules.c.workspace_id)
            .join(series, sa.and_(series.c.sensor_id == sensors.c.id, series.c.metric == alarm_rules.c.metric))
            .where(
                series.c.id.in_(series_ids),
                sa.or_(alarm_rules.c.sensor_id.is_(None), alarm_rules.c.sensor_id == sensors.c.id),
                sa.or_(
                    alarm_rules.c.device_group_id.is_(None),
                    alarm_rules.c.device_group_id == sensors.c.device_group_id,
                ),
            )
        ).all()
    )


def state(conn: sa.Connection, rule_id: int, series_id: int) -> Row | None:
    return conn.execute(
        sa.select(alarm_states).where(alarm_states.c.rule_id == rule_id, alarm_states.c.series_id == series_id)
    ).first()


def save_state(conn: sa.Connection, rule_id: int, series_id: int, values: dict[str, Any], *, new: bool) -> None:
    if new:
        conn.execute(alarm_states.insert().values(rule_id=rule_id, series_id=series_id, **values))
    else:
        conn.execute(
            alarm_states.update()
            .where(alarm_states.c.rule_id == rule_id, alarm_states.c.series_id == series_id)
            .values(**values)
        )


def raise_alarm(conn: sa.Connection, rule_id: int, series_id: int, sensor_id: int, at: int, value: float) -> int:
    return int(
        conn.execute(
            alarm_events.insert()
            .values(rule_id=rule_id, series_id=series_id, sensor_id=sensor_id, raised_at=at, value=value)
            .returning(alarm_events.c.id)
        ).scalar_one()
    )


def resolve_alarm(conn: sa.Connection, event_id: int, at: int) -> None:
    conn.execute(alarm_events.update().where(alarm_events.c.id == event_id).values(resolved_at=at))
