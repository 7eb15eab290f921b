"""Rules for alarm rules and alarm queries. No HTTP objects here; errors are ApiErrors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sensorgate.alarms import store
from sensorgate.alarms.schemas import AlarmOut, RuleIn, RuleOut
from sensorgate.auth.principal import Principal
from sensorgate.auth.scopes import Scope
from sensorgate.kit.errors import BadRequest, Conflict, Forbidden, NotFound, about
from sensorgate.kit.times import format_time
from sensorgate.sensors import service as sensors_service
from sensorgate.sensors import store as sensors_store
from sensorgate.sensors import units
from sensorgate.sensors.scope import reach, workspace_reach, workspace_visible

MAX_RULES = 1000  # listed at once
# Rules an organization may hold. Per organization, so that one tenant's rules never stop another's.
MAX_RULES_PER_ORGANIZATION = 10_000
MAX_ALARMS = 1000


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
    """Rules in the caller's workspaces; with a device group, only the rules that watch its sensors."""
    return store.seen_by_group(where, principal.device_group_id)


def list_rules(conn: sa.Connection, principal: Principal) -> list[RuleOut]:
    where = _rules_seen(principal, workspace_reach(principal, Scope.DATA_READ))
    rows = store.rules(conn, where, MAX_RULES)
    return [_rule_out(r) for r in rows]


def _check_group_may_write(principal: Principal, rule_group: int | None, rule_sensor: int | None) -> None:
    """A key bound to a device group writes rules on its group or its sensors, not workspace-wide ones."""
    if principal.device_group_id is not None and rule_sensor is None and rule_group is None:
        raise Forbidden("a credential bound to a device group cannot write workspace-wide alarm rules")


def create_rule(conn: sa.Connection, principal: Principal, body: RuleIn, now: datetime) -> RuleOut:
    try:
        metric = units.check_metric_name(body.metric)
    except ValueError as exc:
        raise BadRequest(str(exc), field="metric") from None
    group_id = None
    if body.sensor is not None:
        # Checks that the caller reaches the sensor with sensors:write (404 or 403 otherwise).
        with about("sensor"):
            sensor = sensors_service.update_target(conn, principal, body.sensor)
        workspace_id = sensor.workspace_id
        if not sensors_store.has_metric(conn, body.sensor, metric):
            raise BadRequest(f"sensor {body.sensor} has no metric {metric!r}", field="metric")
    else:
        workspace_id = sensors_service.target_workspace(conn, principal, body.workspace_id)
        if body.device_group is not None:
            group = sensors_store.device_group_by_name(conn, workspace_id, body.device_group)
            group_id = None if group is None else group.id
            # Another device group is as unknown to a grouped key as one that does not exist.
            if group_id is None or principal.device_group_id not in (None, group_id):
                raise NotFound(f"device group {body.device_group!r} not found", field="deviceGroup")
        _check_group_may_write(principal, group_id, None)
    if store.count_rules_beside(conn, workspace_id) >= MAX_RULES_PER_ORGANIZATION:
        raise Conflict(
            f"this organization holds {MAX_RULES_PER_ORGANIZATION:,} alarm rules, the most it may; delete some first"
        )
    rule_id = store.insert_rule(
        conn,
        {
            "workspace_id": workspace_id,
            "name": body.name,
            "metric": metric,
            "condition": body.condition,
            "threshold": body.threshold,
            "low": body.low,
            "high": body.high,
            "hold_seconds": body.hold_seconds,
            "severity": body.severity,
            "sensor_id": body.sensor,
            "device_group_id": group_id,
            "created_at": now,
        },
    )
    return _rule_out(store.rule_by_id(conn, rule_id))


def delete_rule(conn: sa.Connection, principal: Principal, rule_id: int) -> None:
    seen = _rules_seen(principal, workspace_visible(principal, Scope.SENSORS_WRITE))
    row = store.rule(conn, seen, rule_id)
    if row is None:
        raise NotFound(f"alarm rule {rule_id} not found")
    sensors_service.target_workspace(conn, principal, row.workspace_id)  # needs sensors:write there
    _check_group_may_write(principal, row.device_group_id, row.sensor_id)
    store.delete_rule(conn, rule_id)


def list_alarms(
    conn: sa.Connection,
    principal: Principal,
    *,
    active_only: bool,
    start: int | None,
    end: int | None,
    sensor_id: int | None = None,
) -> list[AlarmOut]:
    """`sensor_id`: only that sensor's alarms (its own first 1,000, not the organization's cut down)."""
    rows = store.alarms(
        conn,
        reach(principal, Scope.DATA_READ),
        active_only=active_only,
        start=start,
        end=end,
        limit=MAX_ALARMS,
        sensor_id=sensor_id,
    )
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
