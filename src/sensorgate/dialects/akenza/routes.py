"""Akenza API paths (`/v3/...`, key in the `x-api-key` header). Thin: parse, call, answer.

The guard, the scopes (data:read, data:write to backfill), the rate limits, the usage counts and the key log are
those of /v1: these routes ask for the same `principal`. Only the paths, the ids and the shapes are Akenza's
(docs/dialects.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.types import ControllerRouterHandler

from sensorgate.auth.openapi import callers
from sensorgate.auth.principal import Principal, PrincipalDep
from sensorgate.auth.scopes import Scope
from sensorgate.dialects.akenza import aggregations, reads, writes
from sensorgate.dialects.akenza.errors import akenza_error
from sensorgate.dialects.akenza.shapes import (
    AggregationQuery,
    BackfillOut,
    BackfillSample,
    DataQuery,
    Device,
    DeviceData,
    KpiResult,
    SpringPage,
    Tag,
    TimeSeriesResult,
)
from sensorgate.kit.context import POINTS_KEY
from sensorgate.kit.errors import BadRequest, NotFound
from sensorgate.kit.ids import OUT_OF_RANGE, in_range
from sensorgate.kit.paging import MAX_PAGE_SIZE, named
from sensorgate.kit.times import utcnow
from sensorgate.measurements.routes import BACKFILL_BODY
from sensorgate.web.state import AppState, AppStateDep

READ = {"scope": Scope.DATA_READ}
WRITE = {"scope": Scope.DATA_WRITE}
DEFAULT_SIZE = 20  # Spring Data's

DeviceRef = Annotated[str, PathParameter(max_length=40, description="the device's id (not its deviceId)")]
Id = Annotated[str | None, QueryParameter(max_length=40)]
PageNumber = Annotated[int, QueryParameter(ge=0, le=999_999, description="0-based page number")]
PageSize = Annotated[
    int, QueryParameter(ge=1, le=1_000_000, description=f"items per page; above {MAX_PAGE_SIZE}, {MAX_PAGE_SIZE}")
]


def _now_ms() -> int:
    return int(utcnow().timestamp() * 1000)


def _sensor(device: str) -> int:
    """Akenza's ids are strings; ours are numbers, so anything else names no device."""
    if not device.isdigit() or len(device) > 10 or not in_range(int(device)):
        raise NotFound(f"device {device} not found")
    return int(device)


def _number(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or len(text) > 10 or not in_range(int(text)):
        raise BadRequest(f"{name}: {text!r} is not an id of this service ({OUT_OF_RANGE})")
    return int(text)


def _count(request: Request[Any, Any, Any], values: int) -> None:
    request.scope[POINTS_KEY] = values  # type: ignore[literal-required]


# Devices and tags ---------------------------------------------------------------------------------------------


@get("/assets", opt=READ, operation_id="akenzaAssets")
async def assets(
    principal: PrincipalDep,
    app_state: AppStateDep,
    workspace_id: Annotated[str | None, QueryParameter(name="workspaceId", max_length=40)] = None,
    organization_id: Annotated[str | None, QueryParameter(name="organizationId", max_length=40)] = None,
    type_: Annotated[str | None, QueryParameter(name="type", max_length=20)] = None,
    page: PageNumber = 0,
    size: PageSize = DEFAULT_SIZE,
) -> Annotated[SpringPage[Device], named("AkenzaDevicePage")]:
    """The devices (our sensors) the key reaches, by id, as a Spring page: loop on `page` until `last`. A size
    above 200 serves 200, as Spring caps a page, and the page says so in `size`. There are no SIM cards here."""
    size = min(size, MAX_PAGE_SIZE)
    if type_ not in (None, "DEVICE", "SIM_CARD"):
        raise BadRequest(f"type: {type_!r} is not an asset type; the types are DEVICE and SIM_CARD")
    workspace, organization = _number(workspace_id, "workspaceId"), _number(organization_id, "organizationId")
    if type_ == "SIM_CARD":
        return reads.empty_page(page, size)
    return await app_state.db.read(reads.device_page, principal, workspace, organization, page, size, _now_ms())


@get("/tags", opt=READ, operation_id="akenzaTags")
async def tags(
    principal: PrincipalDep,
    app_state: AppStateDep,
    workspace_id: Annotated[str | None, QueryParameter(name="workspaceId", max_length=40)] = None,
    organization_id: Annotated[str | None, QueryParameter(name="organizationId", max_length=40)] = None,
    page: PageNumber = 0,
    size: PageSize = DEFAULT_SIZE,
) -> Annotated[SpringPage[Tag], named("AkenzaTagPage")]:
    """The tags on the devices reached, per workspace, each with the number of devices carrying it. A tag's id is
    its name: tags have no number here."""
    workspace, organization = _number(workspace_id, "workspaceId"), _number(organization_id, "organizationId")
    return await app_state.db.read(reads.tag_page, principal, workspace, organization, page, min(size, MAX_PAGE_SIZE))


@get("/devices/by-device-id", opt=READ, operation_id="akenzaDeviceByDeviceId")
async def device_by_device_id(
    principal: PrincipalDep,
    app_state: AppStateDep,
    device_id: Annotated[str | None, QueryParameter(name="deviceId", max_length=100)] = None,
) -> Device:
    """One device by its own id (our serial)."""
    if not device_id:
        # Litestar's own refusal of a missing parameter does not name it; this one does.
        raise BadRequest("deviceId is required: the device's own id (its serial)")
    return await app_state.db.read(reads.device_by_serial, principal, device_id, _now_ms())


@get("/devices/{device:str}", opt=READ, operation_id="akenzaDevice")
async def device(device: DeviceRef, principal: PrincipalDep, app_state: AppStateDep) -> Device:
    """One device by id. Another tenant's device is not found."""
    return await app_state.db.read(reads.device, principal, _sensor(device), _now_ms())


# Data ---------------------------------------------------------------------------------------------------------


@post("/devices/{device:str}/query", opt=READ, status_code=200, operation_id="akenzaQuery")
async def query(
    request: Request[Any, Any, Any],
    device: DeviceRef,
    principal: PrincipalDep,
    app_state: AppStateDep,
    data: JSONBody[DataQuery | None] = None,
) -> list[DeviceData]:
    """Samples, newest first: each holds every metric with a value at its `timestamp`. All metrics are on the
    topic `default` (`*` reads the same). Page with `skip` and `limit` (at most 8,000); bound the window with
    `timestamp.lt`/`lte` to keep the pages still while data arrives. No body: every default."""
    found = await app_state.db.read(reads.query, principal, _sensor(device), data or DataQuery())
    _count(request, sum(len(s.data) for s in found))
    return found


@get("/devices/{device:str}/query/topics", opt=READ, operation_id="akenzaQueryTopics")
async def query_topics(device: DeviceRef, principal: PrincipalDep, app_state: AppStateDep) -> list[str]:
    """`["default"]` once the device has data, else `[]`: our sensors have no other topic."""
    return await app_state.db.read(reads.topics, principal, _sensor(device))


@get("/devices/{device:str}/query/latest-sample", opt=READ, operation_id="akenzaQueryLatestSample")
async def latest_sample(
    request: Request[Any, Any, Any], device: DeviceRef, principal: PrincipalDep, app_state: AppStateDep
) -> DeviceData:
    """The newest sample: every metric with a value at the newest instant. 404 while the device has no data."""
    found = await app_state.db.read(reads.latest_sample, principal, _sensor(device))
    _count(request, len(found.data))
    return found


# Aggregations -------------------------------------------------------------------------------------------------


async def _time_series(
    request: Request[Any, Any, Any],
    device: str,
    data: JSONBody[AggregationQuery],
    principal: Principal,
    app_state: AppState,
    hourly: bool,
) -> TimeSeriesResult:
    found = await app_state.db.read(aggregations.time_series, principal, _sensor(device), data, hourly, _now_ms())
    _count(request, len(found.timestamps))
    return found


@post(
    "/devices/{device:str}/query/aggregated/hourly/time-series",
    opt=READ,
    status_code=200,
    operation_id="akenzaHourlyTimeSeries",
)
async def hourly_time_series(
    request: Request[Any, Any, Any],
    device: DeviceRef,
    data: JSONBody[AggregationQuery],
    principal: PrincipalDep,
    app_state: AppStateDep,
) -> TimeSeriesResult:
    """`dataKey` (a metric) aggregated per `bucketInterval` (PT1H or longer, whole hours) over [from, to), from the
    hourly rollups: one entry per bucket, null where it is empty. MIN, MAX, AVG, SUM and COUNT; not FIRST."""
    return await _time_series(request, device, data, principal, app_state, hourly=True)


@post("/devices/{device:str}/query/aggregated/hourly/kpi", opt=READ, status_code=200, operation_id="akenzaHourlyKpi")
async def hourly_kpi(
    device: DeviceRef, data: JSONBody[AggregationQuery], principal: PrincipalDep, app_state: AppStateDep
) -> KpiResult:
    """`dataKey` aggregated over the whole interval, widened to whole hours, as one number (`kpi`)."""
    return await app_state.db.read(aggregations.kpi, principal, _sensor(device), data, True, _now_ms())


@post("/devices/{device:str}/query/raw/time-series", opt=READ, status_code=200, operation_id="akenzaRawTimeSeries")
async def raw_time_series(
    request: Request[Any, Any, Any],
    device: DeviceRef,
    data: JSONBody[AggregationQuery],
    principal: PrincipalDep,
    app_state: AppStateDep,
) -> TimeSeriesResult:
    """As the hourly time series, with buckets from PT1M, made from the points. Akenza's Java client calls this
    one for intervals of 25 hours or less."""
    return await _time_series(request, device, data, principal, app_state, hourly=False)


@post("/devices/{device:str}/query/raw/kpi", opt=READ, status_code=200, operation_id="akenzaRawKpi")
async def raw_kpi(
    device: DeviceRef, data: JSONBody[AggregationQuery], principal: PrincipalDep, app_state: AppStateDep
) -> KpiResult:
    """As the hourly KPI, over the interval widened to whole minutes, from the points."""
    return await app_state.db.read(aggregations.kpi, principal, _sensor(device), data, False, _now_ms())


# Backfill -----------------------------------------------------------------------------------------------------


@post(
    "/devices/{device:str}/backfill",
    opt=WRITE,
    status_code=200,
    request_max_body_size=BACKFILL_BODY,
    operation_id="akenzaBackfill",
)
async def backfill(
    device: DeviceRef,
    data: JSONBody[dict[str, Any]],
    principal: PrincipalDep,
    app_state: AppStateDep,
    timestamp: Annotated[str | None, QueryParameter(max_length=40, description="ISO 8601; default: now")] = None,
    topic: Annotated[str, QueryParameter(max_length=100)] = reads.DEFAULT_TOPIC,
) -> BackfillOut:
    """One sample: the body is the device's data, `{metric: value, ...}`, as its device type outputs it; the time
    and topic come as query parameters, as on Akenza's HTTP uplink. Written through the same ingest as POST
    /v1/measurements (rollups, virtual sensors, alarm rules), all or nothing. Needs data:write."""
    sample = BackfillSample(data=data, timestamp=timestamp, topic=topic)
    return await app_state.db.write(writes.backfill, principal, _sensor(device), [sample], _now_ms())


@post(
    "/devices/{device:str}/backfill/bulk",
    opt=WRITE,
    status_code=200,
    request_max_body_size=BACKFILL_BODY,
    operation_id="akenzaBackfillBulk",
)
async def backfill_bulk(
    device: DeviceRef, data: JSONBody[list[BackfillSample]], principal: PrincipalDep, app_state: AppStateDep
) -> BackfillOut:
    """Many samples of one device, `[{data: {metric: value}, timestamp?, topic?}]` (the shape /query answers in,
    so its answers can be posted back), at most 10,000 samples and 100,000 values, all or nothing."""
    return await app_state.db.write(writes.backfill, principal, _sensor(device), data, _now_ms())


HANDLERS = [
    assets,
    tags,
    device_by_device_id,
    device,
    query,
    query_topics,
    latest_sample,
    hourly_time_series,
    hourly_kpi,
    raw_time_series,
    raw_kpi,
    backfill,
    backfill_bulk,
]


def routes() -> list[ControllerRouterHandler]:
    # The guard's credentials, as on /v1 (Akenza's clients send `x-api-key`); each route's scope is in its opt.
    security = callers(unsafe=True)
    return [
        Router(
            path="/v3",
            route_handlers=HANDLERS,
            tags=["akenza"],
            exception_handlers={Exception: akenza_error},
            security=security,
        )
    ]
