"""Rules for alarm rules and alarm queries. No HTTP objects here; errors are ApiErrors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sensorgate.accounts.models import workspaces
from sensorgate.alarms.models import alarm_events, alarm_rules
from sensorgate.alarms.schemas import AlarmOut, RuleIn, RuleOut
from sensorgate.auth.principal import Principal
from sensorgate.auth.scopes import Scope
from sensorgate.kit.errors import BadRequest, Forbidden, NotFound
from sensorgate.kit.times import format_time
from sensorgate.sensors import service as sensors_service
from sensorgate.sensors import units
from sensorgate.sensors.models import device_groups, sensors, series
from sensorgate.sensors.scope import reach, workspace_reach, workspace_visible

MAX_RULES = 1000
MAX_ALARMS = 1000


def _rule_query(where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(alarm_rules, device_groups.c.name.label("group_name"))
        .join(workspaces, workspaces.c.id == alarm_rules.c.workspace_id)
        .outerjoin(device_groups, device_groups.c.id == alarm_rules.c.device_group_id)
        .where(where)
        .order_by(alarm_rules.c.id)
    )


def _rule_out(row: Any) -> RuleOut:
    return RuleOut(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        metric=row.metric,
        condition=row.condition,
        threshold=row.threshold,
        low=row.low,
        high=row.high,
        hold_seconds=row.hold_seconds,
        severity=row.severity,
        sensor=row.sensor_id,
        device_group=row.group_name,
    )


def _rules_seen(principal: Principal, where: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """Rules in the caller's workspaces; with a device group, only the rules that watch its sensors: rules on
    one of them, rules on the group, and workspace-wide rules (which watch every sensor)."""
    group = principal.device_group_id
    if group is None:
        return where
    return sa.and_(
        where,
        sa.or_(
            alarm_rules.c.device_group_id == group,
            alarm_rules.c.sensor_id.in_(sa.select(sensors.c.id).where(sensors.c.device_group_id == group)),
            sa.and_(alarm_rules.c.sensor_id.is_(None), alarm_rules.c.device_group_id.is_(None)),
        ),
    )


def list_rules(conn: sa.Connection, principal: Principal) -> list[RuleOut]:
    where = _rules_seen(principal, workspace_reach(principal, Scope.DATA_READ))
    rows = conn.execute(_rule_query(where).limit(MAX_RULES)).all()
    return [_rule_out(r) for r in rows]


def _check_group_may_write(principal: Principal, rule_group: int | None, rule_sensor: int | None) -> None:
    """A key bound to a device group writes rules on its group or its sensors, not workspace-wide ones."""
    if principal.device_group_id is not None and rule_sensor is None and rule_group is None:
        raise Forbidden("a credential bound to a device group cannot write workspace-wide alarm rules")


def create_rule(conn: sa.Connection, principal: Principal, body: RuleIn, now: datetime) -> RuleOut:
    try:
        metric = units.check_metric_name(body.metric)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    group_id = None
    if body.sensor is not None:
        # Checks that the caller reaches the sensor with sensors:write (404 or 403 otherwise).
        sensor = sensors_service.update_target(conn, principal, body.sensor)
        workspace_id = sensor.workspace_id
        has_metric = conn.execute(
            sa.select(series.c.id).where(series.c.sensor_id == body.sensor, series.c.metric == metric)
        ).first()
        if has_metric is None:
            raise BadRequest(f"sensor {body.sensor} has no metric {metric!r}")
    else:
        workspace_id = sensors_service.target_workspace(conn, principal, body.workspace_id)
        if body.device_group is not None:
            group_id = conn.execute(
                sa.select(device_groups.c.id).where(
                    device_groups.c.workspace_id == workspace_id, device_groups.c.name == body.device_group
                )
            ).scalar()
            # Another device group is as unknown to a grouped key as one that does not exist.
            if group_id is None or principal.device_group_id not in (None, group_id):
                raise NotFound(f"device group {body.device_group!r} not found")
        _check_group_may_write(principal, group_id, None)
    if conn.execute(sa.select(sa.func.count()).select_from(alarm_rules)).scalar_one() >= MAX_RULES * 10:
        raise BadRequest("this installation holds the most alarm rules it allows")
    rule_id = conn.execute(
        alarm_rules.insert()
        .values(
            workspace_id=workspace_id,
            name=body.name,
            metric=metric,
            condition=body.condition,
            threshold=body.threshold,
            low=body.low,
            high=body.high,
            hold_seconds=body.hold_seconds,
            severity=body.severity,
            sensor_id=body.sensor,
            device_group_id=group_id,
            created_at=now,
        )
        .returning(alarm_rules.c.id)
    ).scalar_one()
    return _rule_out(conn.execute(_rule_query(alarm_rules.c.id == rule_id)).one())


def delete_rule(conn: sa.Connection, principal: Principal, rule_id: int) -> None:
    seen = _rules_seen(principal, workspace_visible(principal, Scope.SENSORS_WRITE))
    row = conn.execute(_rule_query(sa.and_(alarm_rules.c.id == rule_id, seen))).first()
    if row is None:
        raise NotFound(f"alarm rule {rule_id} not found")
    sensors_service.target_workspace(conn, principal, row.workspace_id)  # needs sensors:write there
    _check_group_may_write(principal, row.device_group_id, row.sensor_id)
    conn.execute(alarm_rules.delete().where(alarm_rules.c.id == rule_id))


def list_alarms(
    conn: sa.Connection, principal: Principal, *, active_only: bool, start: int | None, end: int | None
) -> list[AlarmOut]:
    query = (
        sa.select(
            alarm_events,
            alarm_rules.c.name.label("rule_name"),
            alarm_rules.c.severity,
            alarm_rules.c.metric,
        )
        .join(alarm_rules, alarm_rules.c.id == alarm_events.c.rule_id)
        .join(sensors, sensors.c.id == alarm_events.c.sensor_id)
        .join(workspaces, workspaces.c.id == sensors.c.workspace_id)
        .where(reach(principal, Scope.DATA_READ))
    )
    if active_only:
        query = query.where(alarm_events.c.resolved_at.is_(None))
    if start is not None and end is not None:
        # Alarms that were active at any moment of the window.
        query = query.where(
            alarm_events.c.raised_at < end,
            sa.or_(alarm_events.c.resolved_at.is_(None), alarm_events.c.resolved_at >= start),
        )
    rows = conn.execute(query.order_by(alarm_events.c.raised_at.desc(), alarm_events.c.id).limit(MAX_ALARMS)).all()
    return [
        AlarmOut(
            id=r.id,
            rule=r.rule_id,
            rule_name=r.rule_name,
            severity=r.severity,
            sensor=r.sensor_id,
            metric=r.metric,
            value=r.value,
            raised_at=format_time(r.raised_at),
            resolved_at=format_time(r.resolved_at) if r.resolved_at is not None else None,
        )
        for r in rows
    ]
