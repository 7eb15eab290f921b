"""Ayyeka's reads, composed from our services inside one database call each. A site is a workspace, a device a
sensor, a stream one series (a sensor's metric, its id the series id), a sample one point with its arrival id.
The reach, scopes, units and checks are /v1's; only names and shapes are Ayyeka's. No SQL here.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from sensorgate.accounts import service as accounts
from sensorgate.accounts.schemas import WorkspaceOut
from sensorgate.auth.principal import Principal
from sensorgate.dialects.aranet.catalogue import metric_id
from sensorgate.dialects.ayyeka.shapes import (
    AyyekaAggregatedSample,
    AyyekaAggregation,
    AyyekaAggregationBatch,
    AyyekaDevice,
    AyyekaSample,
    AyyekaSampleBatch,
    AyyekaSite,
    AyyekaStream,
)
from sensorgate.kit.errors import NotFound
from sensorgate.kit.times import format_time
from sensorgate.measurements import aggregate, batches, sample_ids
from sensorgate.measurements.sample_ids import IdSample
from sensorgate.measurements.series_access import ReadSeries, resolve
from sensorgate.sensors import service as sensors
from sensorgate.sensors.schemas import SensorOut

MAX_LIST = 10_000  # sites, devices or streams in one answer (Ayyeka's lists are not paged)
MAX_RANGE = 10_000  # samples of one range call
MAX_FRAMES = 10_000  # aggregation frames of one call
STATUS = "Active"
STATUS_ID = 1  # an active stream
VALUE_SCALE = "1"  # values are served as measured, in `units`


def value_text(value: float) -> str:
    """Four decimals, as Ayyeka writes values, unless that would lose digits."""
    text = f"{value:.4f}"
    return text if float(text) == value else repr(value)


# Sites, devices, streams --------------------------------------------------------------------------------------


def _workspaces(conn: sa.Connection, principal: Principal) -> dict[int, WorkspaceOut]:
    return {w.id: w for w in accounts.list_workspaces(conn, principal, 1, MAX_LIST).items}


def _site(w: WorkspaceOut) -> AyyekaSite:
    # sensorgate keeps no location for a workspace; Ayyeka's client requires the fields, so they are empty.
    return AyyekaSite(
        id=w.id,
        account_organization_id=w.organization_id,
        creation_date=w.created_at,
        display_name=w.name,
        latitude="",
        longitude="",
        status=STATUS,
    )


def sites(conn: sa.Connection, principal: Principal) -> list[AyyekaSite]:
    return [_site(w) for w in _workspaces(conn, principal).values()]


def site(conn: sa.Connection, principal: Principal, site_id: int) -> AyyekaSite:
    found = _workspaces(conn, principal).get(site_id)
    if found is None:
        raise NotFound(f"site {site_id} not found")
    return _site(found)


def _device(out: SensorOut, workspaces: dict[int, WorkspaceOut]) -> AyyekaDevice:
    workspace = workspaces.get(out.workspace_id)
    return AyyekaDevice(
        id=out.id,
        akid=out.serial or "",
        display_name=out.name,
        firmware_version="",
        iccid="",
        iccid2="",
        meid="",
        model_number=out.type or "",
        serial_number=out.serial or "",
        site_display_name=workspace.name if workspace else "",
        site_id=out.workspace_id,
    )


def _sensors(conn: sa.Connection, principal: Principal) -> list[SensorOut]:
    return sensors.list_sensors(
        conn, principal, workspace_id=None, device_group=None, asset=None, q=None, page=1, size=MAX_LIST
    ).items


def devices(conn: sa.Connection, principal: Principal) -> list[AyyekaDevice]:
    workspaces = _workspaces(conn, principal)
    return [_device(s, workspaces) for s in _sensors(conn, principal)]


def device(conn: sa.Connection, principal: Principal, device_id: int) -> AyyekaDevice:
    found = sensors.get_sensor(conn, principal, device_id)
    return _device(found, _workspaces(conn, principal))


def _stream(target: ReadSeries, sensor: SensorOut, workspace: WorkspaceOut | None) -> AyyekaStream:
    return AyyekaStream(
        id=target.series_id,
        # Series keep no creation time of their own: the site's is the earliest they can have.
        creation_date=workspace.created_at if workspace else format_time(0),
        display_name=f"{sensor.name} {target.metric}",
        site_id=sensor.workspace_id,
        status_id=STATUS_ID,
        type_display_name=target.metric,
        # The metric's number, the same as the Aranet dialect's (stable; custom metrics get one from their name).
        type_id=int(metric_id(target.metric)),
        units=target.unit,
        value_scale=VALUE_SCALE,
        device_id=target.sensor_id,
    )


def streams(conn: sa.Connection, principal: Principal) -> list[AyyekaStream]:
    workspaces = _workspaces(conn, principal)
    by_id = {s.id: s for s in _sensors(conn, principal)}
    targets = resolve(conn, principal, [], [], None)
    return [
        _stream(t, by_id[t.sensor_id], workspaces.get(by_id[t.sensor_id].workspace_id))
        for t in targets
        if t.sensor_id in by_id
    ][:MAX_LIST]


def _target(conn: sa.Connection, principal: Principal, stream_id: int) -> ReadSeries:
    sensor = sample_ids.sensor_of(conn, stream_id)
    if sensor is None:
        raise NotFound(f"stream {stream_id} not found")
    try:
        found = resolve(conn, principal, [sensor], [], None)
    except NotFound:
        raise NotFound(f"stream {stream_id} not found") from None
    for target in found:
        if target.series_id == stream_id:
            return target
    raise NotFound(f"stream {stream_id} not found")


def stream(conn: sa.Connection, principal: Principal, stream_id: int) -> AyyekaStream:
    target = _target(conn, principal, stream_id)
    sensor = sensors.get_sensor(conn, principal, target.sensor_id)
    return _stream(target, sensor, _workspaces(conn, principal).get(sensor.workspace_id))


# Samples ------------------------------------------------------------------------------------------------------


def _sample(found: IdSample, convert: Callable[[float], float] | None) -> AyyekaSample:
    value = convert(found.value) if convert else found.value
    return AyyekaSample(
        id=found.id, sample_date=format_time(found.t), stream_id=found.series_id, value=value_text(value)
    )


def sample_range(conn: sa.Connection, principal: Principal, stream_id: int, start: int, end: int) -> AyyekaSampleBatch:
    """The stream's samples with start <= time < end, oldest first, at most MAX_RANGE."""
    target = _target(conn, principal, stream_id)
    found = sample_ids.in_window(conn, stream_id, start, end, MAX_RANGE + 1)
    return AyyekaSampleBatch(
        has_more=len(found) > MAX_RANGE, samples=[_sample(s, target.convert) for s in found[:MAX_RANGE]]
    )


def last_sample(conn: sa.Connection, principal: Principal, stream_id: int) -> AyyekaSample:
    target = _target(conn, principal, stream_id)
    found = sample_ids.newest_of(conn, stream_id)
    if found is None:
        raise NotFound(f"stream {stream_id} has no samples")
    return _sample(found, target.convert)


def aggregated(
    conn: sa.Connection, principal: Principal, stream_id: int, minutes: int, start: int, end: int, now_ms: int
) -> AyyekaAggregationBatch:
    """Frames of `minutes` over [start, end), from /v1's aggregate service; at most MAX_FRAMES a call, the rest
    `has_more` (ask again from the last frame's end)."""
    target = _target(conn, principal, stream_id)
    frame = minutes * 60_000
    start -= start % frame  # frames start on whole multiples of their length, as /v1's buckets do
    has_more = (end - start) > MAX_FRAMES * frame
    if has_more:
        end = start + MAX_FRAMES * frame
    request = aggregate.parse_request(
        str(start // 1000), str(end // 1000), f"PT{minutes}M", ",".join(aggregate.FUNCTIONS), "UTC", now_ms
    )
    out = aggregate.aggregate(conn, principal, [target.sensor_id], [target.metric], None, request)
    return AyyekaAggregationBatch(
        has_more=has_more,
        samples=[
            AyyekaAggregatedSample(
                stream_id=stream_id,
                start_date=item.start,
                number_of_samples=item.count or 0,
                agg_values=AyyekaAggregation(
                    min=value_text(item.min or 0.0),
                    max=value_text(item.max or 0.0),
                    avg=value_text(item.avg or 0.0),
                    sum=value_text(item.sum or 0.0),
                ),
            )
            for item in out.items
            if item.count
        ],
    )


# Batch delivery -----------------------------------------------------------------------------------------------


def _converters(
    conn: sa.Connection, principal: Principal, found: list[IdSample]
) -> dict[int, Callable[[float], float] | None]:
    sensor_ids = sorted({s.sensor_id for s in found})
    return {t.series_id: t.convert for t in resolve(conn, principal, sensor_ids, [], None)} if sensor_ids else {}


def batch(
    conn: sa.Connection,
    principal: Principal,
    now_ms: int,
    ack: bool,
    after: int | None,
    since_ms: int | None,
) -> AyyekaSampleBatch:
    delivery = batches.fetch(conn, principal, now_ms, ack=ack, after=after, since_ms=since_ms)
    convert = _converters(conn, principal, delivery.samples)
    return AyyekaSampleBatch(
        has_more=delivery.has_more, samples=[_sample(s, convert.get(s.series_id)) for s in delivery.samples]
    )


def batch_status(conn: sa.Connection, principal: Principal) -> AyyekaSample:
    found = batches.last_delivered(conn, principal)
    if found is None:
        raise NotFound("no sample has been delivered to this client yet")
    return _sample(found, _converters(conn, principal, [found]).get(found.series_id))


def ack(conn: sa.Connection, principal: Principal, sample: int) -> None:
    batches.acknowledge(conn, principal, sample)


def rewind(conn: sa.Connection, principal: Principal, t: int) -> None:
    batches.rewind(conn, principal, t)
