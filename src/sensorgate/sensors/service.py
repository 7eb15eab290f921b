"""Rules for sensors, device groups and assets. No HTTP objects here; errors are ApiErrors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sensorgate.auth.principal import Principal
from sensorgate.auth.scopes import Scope
from sensorgate.kit.errors import BadRequest, Conflict, Forbidden, NotFound
from sensorgate.kit.paging import Page, make_page
from sensorgate.kit.times import format_time
from sensorgate.sensors import expressions, store, units
from sensorgate.sensors.models import assets, device_groups
from sensorgate.sensors.schemas import (
    AssetIn,
    AssetOut,
    DeviceGroupIn,
    DeviceGroupOut,
    MetricIn,
    SensorIn,
    SensorMetric,
    SensorOut,
    SensorPatch,
    TagCount,
)
from sensorgate.sensors.scope import reach, visible, workspace_reach, workspace_visible


def _out(conn: sa.Connection, rows: list[Any]) -> list[SensorOut]:
    ids = [r.id for r in rows]
    names = store.asset_names(conn, ids)
    all_series = store.series_of(conn, ids)
    return [
        SensorOut(
            id=r.id,
            workspace_id=r.workspace_id,
            name=r.name,
            serial=r.serial,
            type=r.type,
            interval=r.interval,
            device_group=r.device_group,
            assets=names.get(r.id, []),
            tags=list(r.tags),
            metrics=[SensorMetric(s.metric, s.unit, s.expression is not None) for s in all_series.get(r.id, [])],
            last_seen=format_time(r.last_seen) if r.last_seen is not None else None,
        )
        for r in rows
    ]


def list_sensors(
    conn: sa.Connection,
    principal: Principal,
    *,
    workspace_id: int | None,
    device_group: str | None,
    asset: str | None,
    q: str | None,
    page: int,
    size: int,
    organization_id: int | None = None,
    serial: str | None = None,
    tag: str | None = None,
    virtual: bool = False,
) -> Page[SensorOut]:
    where = store.filtered(
        reach(principal, Scope.DATA_READ),
        workspace_id=workspace_id,
        device_group=device_group,
        asset=asset,
        q=q,
        organization_id=organization_id,
        serial=serial,
        tag=tag,
        virtual=virtual,
    )
    rows, total = store.sensors_page(conn, where, (page - 1) * size, size)
    return make_page(_out(conn, rows), page, size, total)


def _reachable(conn: sa.Connection, principal: Principal, sensor_id: int, permission: str) -> Any:
    """The sensor row, or 404; 403 when it is visible but the permission is missing."""
    row = store.sensor(conn, sensor_id, visible(principal, permission))
    if row is None:
        raise NotFound(f"sensor {sensor_id} not found")
    if permission != Scope.DATA_READ and store.sensor(conn, sensor_id, reach(principal, permission)) is None:
        raise Forbidden(f"this needs the {permission} permission")
    return row


def update_target(conn: sa.Connection, principal: Principal, sensor_id: int) -> Any:
    """The sensor's row when the caller may change it: 404 when unseen, 403 without sensors:write."""
    return _reachable(conn, principal, sensor_id, Scope.SENSORS_WRITE)


def get_sensor(
    conn: sa.Connection, principal: Principal, sensor_id: int, permission: str = Scope.DATA_READ
) -> SensorOut:
    return _out(conn, [_reachable(conn, principal, sensor_id, permission)])[0]


def target_workspace(conn: sa.Connection, principal: Principal, workspace_id: int | None) -> int:
    """The workspace a new sensor goes to: the one given, or the caller's only one."""
    visible = store.workspace_ids(conn, workspace_visible(principal, Scope.SENSORS_WRITE))
    if workspace_id is None:
        if len(visible) != 1:
            raise BadRequest("say which workspace in workspaceId: you reach several")
        workspace_id = visible[0]
    if workspace_id not in visible:
        raise NotFound(f"workspace {workspace_id} not found")
    if workspace_id not in store.workspace_ids(conn, workspace_reach(principal, Scope.SENSORS_WRITE)):
        raise Forbidden(f"this needs the {Scope.SENSORS_WRITE} permission")
    return workspace_id


def _series_values(conn: sa.Connection, principal: Principal, workspace_id: int, metric: MetricIn) -> dict[str, Any]:
    """Validate one metric of a sensor and say how to store its series."""
    try:
        name = units.check_metric_name(metric.metric)
        if units.is_known(name):
            canonical = units.canonical_unit(name)
            input_unit = units.normalize_unit(name, metric.unit) if metric.unit else canonical
        else:
            if not metric.unit:
                raise ValueError(f"metric {name!r} is not in the catalogue (GET /v1/metrics): give its unit")
            canonical = input_unit = metric.unit
    except ValueError as exc:
        raise BadRequest(str(exc), field="metric") from None
    values: dict[str, Any] = {"metric": name, "unit": canonical, "input_unit": input_unit}
    if metric.expression is not None and metric.inputs is not None:
        try:
            expressions.parse(metric.expression, allowed_names=set(metric.inputs))
        except ValueError as exc:
            raise BadRequest(f"metric {name!r}: {exc}", field="expression") from None
        # Only series the caller reaches: a virtual sensor must not become a window on another device group.
        refs = [(r.sensor, r.metric) for r in metric.inputs.values()]
        found = store.series_by_refs(conn, workspace_id, refs, visible(principal, Scope.SENSORS_WRITE))
        missing = [f"{r.sensor}/{r.metric}" for r in metric.inputs.values() if (r.sensor, r.metric) not in found]
        if missing:
            raise BadRequest(
                f"metric {name!r}: no such input series in this workspace: {', '.join(missing)}", field="inputs"
            )
        values["expression"] = metric.expression
        values["inputs"] = {var: found[(r.sensor, r.metric)] for var, r in metric.inputs.items()}
    return values


def _add_series(conn: sa.Connection, sensor_id: int, values: dict[str, Any]) -> None:
    inputs = values.pop("inputs", None)
    series_id = store.insert_series(conn, {"sensor_id": sensor_id, **values})
    if inputs:
        store.insert_virtual_inputs(conn, series_id, inputs)


def create_sensor(conn: sa.Connection, principal: Principal, body: SensorIn, now: datetime) -> SensorOut:
    workspace_id = target_workspace(conn, principal, body.workspace_id)
    if body.serial and store.serial_taken(conn, workspace_id, body.serial):
        raise Conflict(f"a sensor with serial {body.serial!r} exists in this workspace")
    series_values = [_series_values(conn, principal, workspace_id, m) for m in body.metrics]
    group = store.group_id(conn, workspace_id, body.device_group, now) if body.device_group else None
    if principal.device_group_id is not None and group != principal.device_group_id:
        raise Forbidden("this credential may only create sensors in its own device group")
    sensor_id = store.insert_sensor(
        conn,
        {
            "workspace_id": workspace_id,
            "device_group_id": group,
            "name": body.name,
            "serial": body.serial,
            "type": body.type,
            "interval": body.interval,
            "tags": list(dict.fromkeys(body.tags)),
            "created_at": now,
            "updated_at": now,
        },
    )
    for values in series_values:
        _add_series(conn, sensor_id, values)
    store.set_assets(conn, workspace_id, sensor_id, body.assets, now)
    return get_sensor(conn, principal, sensor_id, Scope.SENSORS_WRITE)


def update_sensor(
    conn: sa.Connection, principal: Principal, sensor_id: int, patch: SensorPatch, now: datetime
) -> SensorOut:
    row = _reachable(conn, principal, sensor_id, Scope.SENSORS_WRITE)
    values: dict[str, Any] = {"updated_at": now}
    for field in ("name", "serial", "type", "interval"):
        if getattr(patch, field) is not None:
            values[field] = getattr(patch, field)
    if patch.serial and store.serial_taken(conn, row.workspace_id, patch.serial, other_than=sensor_id):
        raise Conflict(f"a sensor with serial {patch.serial!r} exists in this workspace")
    if patch.tags is not None:
        values["tags"] = list(dict.fromkeys(patch.tags))
    if patch.device_group is not None:
        values["device_group_id"] = store.group_id(conn, row.workspace_id, patch.device_group, now)
        if principal.device_group_id is not None and values["device_group_id"] != principal.device_group_id:
            raise Forbidden("this credential may only put sensors in its own device group")
    if patch.metrics:
        existing = {s.metric for s in store.series_of(conn, [sensor_id]).get(sensor_id, [])}
        for metric in patch.metrics:
            if metric.metric not in existing:
                _add_series(conn, sensor_id, _series_values(conn, principal, row.workspace_id, metric))
    store.update_sensor(conn, sensor_id, values)
    if patch.assets is not None:
        store.set_assets(conn, row.workspace_id, sensor_id, patch.assets, now)
    return get_sensor(conn, principal, sensor_id, Scope.SENSORS_WRITE)


def delete_sensor(conn: sa.Connection, principal: Principal, sensor_id: int) -> None:
    _reachable(conn, principal, sensor_id, Scope.SENSORS_WRITE)
    store.delete_sensor(conn, sensor_id)


def list_device_groups(conn: sa.Connection, principal: Principal) -> list[DeviceGroupOut]:
    where = workspace_reach(principal, Scope.DATA_READ)
    found = store.device_groups_in(conn, where, principal.device_group_id)
    return [DeviceGroupOut(r.id, r.workspace_id, r.name, r.sensors) for r in found]


def list_assets(conn: sa.Connection, principal: Principal) -> list[AssetOut]:
    """Assets with the sensors they hold. A key bound to a device group sees the assets holding its group's
    sensors, each with only those sensors."""
    group = principal.device_group_id
    return [
        AssetOut(r.id, r.workspace_id, r.name, ids)
        for r, ids in store.assets_in(conn, workspace_reach(principal, Scope.DATA_READ), group)
    ]


# Made one by one (POST /v1/device-groups, /v1/assets), so that the lists, which show the first 1,000, show them all.
# Groups and assets named on a sensor are made as the sensor is, as before.
MAX_GROUPS_PER_WORKSPACE = 1000
MAX_ASSETS_PER_WORKSPACE = 1000


def _new_in_workspace(principal: Principal, workspace_id: int | None, what: str, conn: sa.Connection) -> int:
    """The workspace a new group or asset goes to; a key bound to a device group makes neither, since it would not
    see what it made."""
    workspace = target_workspace(conn, principal, workspace_id)
    if principal.device_group_id is not None:
        raise Forbidden(f"a credential bound to a device group cannot create {what}")
    return workspace


def create_device_group(
    conn: sa.Connection, principal: Principal, body: DeviceGroupIn, now: datetime
) -> DeviceGroupOut:
    workspace_id = _new_in_workspace(principal, body.workspace_id, "device groups", conn)
    if store.device_group_by_name(conn, workspace_id, body.name) is not None:
        raise Conflict(f"a device group named {body.name!r} exists in this workspace", field="name")
    if store.count_in_workspace(conn, device_groups, workspace_id) >= MAX_GROUPS_PER_WORKSPACE:
        raise Conflict(f"this workspace holds {MAX_GROUPS_PER_WORKSPACE:,} device groups, the most it may")
    try:
        group_id = store.insert_device_group(conn, workspace_id, body.name, now)
    except sa.exc.IntegrityError:
        # Lost a race with another request creating the same name.
        raise Conflict(f"a device group named {body.name!r} exists in this workspace", field="name") from None
    return DeviceGroupOut(group_id, workspace_id, body.name, 0)


def create_asset(conn: sa.Connection, principal: Principal, body: AssetIn, now: datetime) -> AssetOut:
    workspace_id = _new_in_workspace(principal, body.workspace_id, "assets", conn)
    if store.asset_by_name(conn, workspace_id, body.name) is not None:
        raise Conflict(f"an asset named {body.name!r} exists in this workspace", field="name")
    if store.count_in_workspace(conn, assets, workspace_id) >= MAX_ASSETS_PER_WORKSPACE:
        raise Conflict(f"this workspace holds {MAX_ASSETS_PER_WORKSPACE:,} assets, the most it may")
    try:
        asset_id = store.insert_asset(conn, workspace_id, body.name, now)
    except sa.exc.IntegrityError:
        raise Conflict(f"an asset named {body.name!r} exists in this workspace", field="name") from None
    return AssetOut(asset_id, workspace_id, body.name, [])


# Types and tags are read from the sensors themselves, so they are bounded by sensors read.
MAX_TYPES = 1000
MAX_TAG_SENSORS = 10_000


def list_types(conn: sa.Connection, principal: Principal) -> list[str]:
    """The sensor types (free text, e.g. "Aranet4") among the sensors the caller reaches."""
    return store.types_in(conn, reach(principal, Scope.DATA_READ), MAX_TYPES)


def list_tags(conn: sa.Connection, principal: Principal) -> list[str]:
    """The tags on the sensors the caller reaches (the first 10,000 sensors)."""
    return store.tags_in(conn, reach(principal, Scope.DATA_READ), MAX_TAG_SENSORS)


def tag_counts(conn: sa.Connection, principal: Principal) -> list[TagCount]:
    """Each tag per workspace with the number of sensors carrying it (the first 10,000 sensors reached), by
    workspace then name: a tag has no row of its own, so it belongs to the workspace of its sensors."""
    found = store.tag_counts_in(conn, reach(principal, Scope.DATA_READ), MAX_TAG_SENSORS)
    return [TagCount(workspace, tag, count) for (workspace, tag), count in sorted(found.items())]
