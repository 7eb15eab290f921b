"""Akenza's reads, composed from our services inside one database call each: devices are our sensors, tags are
their tags, a sample is every value of one device at one instant. The reach, scopes and checks are /v1's; only
the names and shapes are Akenza's. No SQL here.

Our sensors have no topics: every metric is on the topic `default`, so `*` and `default` read the same data and
any other topic holds none.
"""

from __future__ import annotations

import math
from typing import TypeVar

import sqlalchemy as sa

from sensorgate.accounts import service as accounts
from sensorgate.auth.principal import Principal
from sensorgate.dialects.akenza.shapes import (
    DataQuery,
    Device,
    DeviceData,
    MinimalTag,
    Pageable,
    Sort,
    SpringPage,
    Tag,
    TimestampFilter,
)
from sensorgate.kit.errors import BadRequest, Conflict, NotFound
from sensorgate.kit.times import MAX_TIME_MS, MIN_TIME_MS, format_time, parse_time
from sensorgate.measurements import samples
from sensorgate.measurements.latest import OLD_INTERVALS, novelty
from sensorgate.measurements.series_access import ReadSeries, resolve
from sensorgate.sensors import service as sensors
from sensorgate.sensors.schemas import SensorOut

T = TypeVar("T")
DEFAULT_TOPIC = "default"
ANY_TOPIC = "*"
# Devices here report over sensorgate's HTTP API; Akenza's client requires one of its connectivities.
CONNECTIVITY = "HTTP"
MAX_WORKSPACES = 10_000  # a caller's workspaces, read to name each device's organization


def spring_page(content: list[T], page: int, size: int, total: int) -> SpringPage[T]:
    pages = math.ceil(total / size)
    return SpringPage(
        content=content,
        pageable=Pageable(Sort(), page * size, page, size),
        total_pages=pages,
        total_elements=total,
        last=page + 1 >= pages,
        number=page,
        sort=Sort(),
        size=size,
        number_of_elements=len(content),
        first=page == 0,
        empty=not content,
    )


# Devices ------------------------------------------------------------------------------------------------------


def organizations_of(conn: sa.Connection, principal: Principal) -> dict[int, int]:
    """workspace id -> organization id, for the workspaces the caller belongs to."""
    found = accounts.list_workspaces(conn, principal, 1, MAX_WORKSPACES).items
    return {w.id: w.organization_id for w in found}


def device_shape(out: SensorOut, organization_id: int, now_ms: int) -> Device:
    seen = parse_time(out.last_seen) if out.last_seen else None
    # Online until its latest value is old, by /v1's novelty rule; Akenza counts the timeout in minutes.
    online = seen is not None and novelty(now_ms - seen, out.interval) != "old"
    properties: dict[str, object] = {"interval": out.interval, "metrics": [m.metric for m in out.metrics]}
    if out.type:
        properties["type"] = out.type
    if out.device_group:
        properties["deviceGroup"] = out.device_group
    if out.assets:
        properties["assets"] = out.assets
    return Device(
        id=str(out.id),
        name=out.name,
        type="DEVICE",
        workspace_id=str(out.workspace_id),
        organization_id=str(organization_id),
        device_id=out.serial or "",
        connectivity=CONNECTIVITY,
        online_timeout=math.ceil(OLD_INTERVALS * out.interval / 60),
        data_flow_id="",  # sensorgate has no data flows
        online=online,
        tags=[MinimalTag(tag, tag) for tag in out.tags],
        custom_fields=[],
        properties=properties,
        description=out.type,
    )


def device_page(
    conn: sa.Connection,
    principal: Principal,
    workspace_id: int | None,
    organization_id: int | None,
    page: int,
    size: int,
    now_ms: int,
) -> SpringPage[Device]:
    found = sensors.list_sensors(
        conn,
        principal,
        workspace_id=workspace_id,
        device_group=None,
        asset=None,
        q=None,
        page=page + 1,  # our pages count from 1, Spring's from 0
        size=size,
        organization_id=organization_id,
    )
    orgs = organizations_of(conn, principal) if found.items else {}
    content = [device_shape(s, orgs[s.workspace_id], now_ms) for s in found.items]
    return spring_page(content, page, size, found.total_items)


def empty_page(page: int, size: int) -> SpringPage[Device]:
    return spring_page([], page, size, 0)


def device(conn: sa.Connection, principal: Principal, sensor_id: int, now_ms: int) -> Device:
    found = sensors.get_sensor(conn, principal, sensor_id)
    return device_shape(found, organizations_of(conn, principal)[found.workspace_id], now_ms)


def device_by_serial(conn: sa.Connection, principal: Principal, serial: str, now_ms: int) -> Device:
    found = sensors.list_sensors(
        conn, principal, workspace_id=None, device_group=None, asset=None, q=None, page=1, size=2, serial=serial
    ).items
    if not found:
        raise NotFound(f"no device with deviceId {serial!r}")
    if len(found) > 1:
        # A serial is unique in its workspace only; Akenza's lookup names no workspace.
        raise Conflict(f"several devices have deviceId {serial!r}, in different workspaces; use /v3/devices/{{id}}")
    return device_shape(found[0], organizations_of(conn, principal)[found[0].workspace_id], now_ms)


# Tags ---------------------------------------------------------------------------------------------------------


def tag_page(
    conn: sa.Connection,
    principal: Principal,
    workspace_id: int | None,
    organization_id: int | None,
    page: int,
    size: int,
) -> SpringPage[Tag]:
    """A tag is its name: it has no id of its own here, and belongs to the workspace of the sensors carrying it."""
    found = sensors.tag_counts(conn, principal)
    if workspace_id is not None:
        found = [t for t in found if t.workspace_id == workspace_id]
    if organization_id is not None:
        orgs = organizations_of(conn, principal)
        found = [t for t in found if orgs.get(t.workspace_id) == organization_id]
    shown = found[page * size : (page + 1) * size]
    content = [Tag(t.name, t.name, str(t.workspace_id), t.sensors) for t in shown]
    return spring_page(content, page, size, len(found))


# Data ---------------------------------------------------------------------------------------------------------


def device_series(conn: sa.Connection, principal: Principal, sensor_id: int) -> list[ReadSeries]:
    """Every series of the device, in the caller's units. Another tenant's device is not found."""
    return resolve(conn, principal, [sensor_id], [], None)


def window(timestamp: TimestampFilter | None) -> tuple[int, int]:
    """Akenza's gt/gte/lt/lte as our half-open [start, end); each bound given narrows it."""
    start, end = MIN_TIME_MS, MAX_TIME_MS + 1
    if timestamp is not None:
        try:
            if timestamp.gt:
                start = max(start, parse_time(timestamp.gt, "timestamp.gt") + 1)
            if timestamp.gte:
                start = max(start, parse_time(timestamp.gte, "timestamp.gte"))
            if timestamp.lt:
                end = min(end, parse_time(timestamp.lt, "timestamp.lt"))
            if timestamp.lte:
                end = min(end, parse_time(timestamp.lte, "timestamp.lte") + 1)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
    if start >= end:
        raise BadRequest("timestamp: no instant is inside these bounds; the lower one must be before the upper one")
    return start, end


def data_shape(sensor_id: int, sample: samples.Sample) -> DeviceData:
    when = format_time(sample.t)
    # We keep no arrival time per point, so dateStored repeats the sample's own time.
    return DeviceData(str(sensor_id), DEFAULT_TOPIC, sample.values, when, when)


def query(conn: sa.Connection, principal: Principal, sensor_id: int, body: DataQuery) -> list[DeviceData]:
    """Samples newest first, `skip` of them skipped, at most `limit`."""
    series = device_series(conn, principal, sensor_id)
    span = window(body.timestamp)
    if body.topic not in (DEFAULT_TOPIC, ANY_TOPIC):
        return []
    return [data_shape(sensor_id, s) for s in samples.samples(conn, series, span, body.skip, body.limit)]


def topics(conn: sa.Connection, principal: Principal, sensor_id: int) -> list[str]:
    """The topics that hold data: `default`, once the device has any."""
    found = samples.latest_sample(conn, device_series(conn, principal, sensor_id))
    return [DEFAULT_TOPIC] if found else []


def latest_sample(conn: sa.Connection, principal: Principal, sensor_id: int) -> DeviceData:
    found = samples.latest_sample(conn, device_series(conn, principal, sensor_id))
    if found is None:
        raise NotFound(f"device {sensor_id} has no data yet")
    return data_shape(sensor_id, found)
