"""Aranet Cloud API paths (`/api/v1/...`, GET only, key in the `ApiKey` header). Thin: parse, call, answer.

The guard, the scope (data:read), the rate limits, the usage counts and the key log are those of /v1: these
routes ask for the same `principal`. Only the paths, the ids and the shapes are Aranet's (docs/dialects.md).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get
from litestar.params import PathParameter, QueryParameter
from litestar.types import ControllerRouterHandler

from sensorgate.auth.openapi import callers
from sensorgate.auth.principal import Principal, PrincipalDep
from sensorgate.auth.scopes import Scope
from sensorgate.dialects.aranet import queries, reads
from sensorgate.dialects.aranet.errors import aranet_error
from sensorgate.dialects.aranet.shapes import (
    Alarms,
    Assets,
    Bases,
    Metrics,
    OneAsset,
    OneMetric,
    OneRule,
    OneSensor,
    OneSensorType,
    OneTag,
    OneUnit,
    Problem,
    Readings,
    Rules,
    Sensors,
    SensorType,
    SensorTypes,
    Tag,
    Tags,
)
from sensorgate.kit.context import POINTS_KEY, get_context
from sensorgate.kit.errors import NotFound
from sensorgate.kit.ids import in_range
from sensorgate.kit.times import time_window, utcnow
from sensorgate.measurements.cursor import cursor_key
from sensorgate.measurements.history import MAX_LIMIT
from sensorgate.sensors import service as sensors
from sensorgate.web.state import AppState, AppStateDep

READ = {"scope": Scope.DATA_READ}
_encode = msgspec.json.Encoder().encode
_EMPTY = b"{}"

# A `next` token names up to 100 sensors and their metrics beside our cursor: about 2 kB for 100 sensors with 30
# metrics. (Past 4,300 characters, schemathesis' own number handling breaks on the bound.)
NEXT_LENGTH = 4096
PathId = Annotated[str, PathParameter(max_length=200)]
Ids = Annotated[str | None, QueryParameter(max_length=2000, description="comma-separated ids (at most 100)")]
Time = Annotated[str | None, QueryParameter(max_length=40, description="UTC, YYYY-MM-DD[THH:MM[:SS]]")]
Back = Annotated[int | None, QueryParameter(ge=1, le=10**9)]
WithLinks = Annotated[bool, QueryParameter(description="include links to related resources")]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"rows per page, at most {MAX_LIMIT:,}")]


def _json(body: object | None) -> Response[bytes]:
    """Aranet answers a query that matches nothing with 200 and an empty object."""
    return Response(_EMPTY if body is None else _encode(body), media_type="application/json")


def _now_ms() -> int:
    return int(utcnow().timestamp() * 1000)


def _request_id(request: Request[Any, Any, Any]) -> str:
    return get_context(request.scope).request_id


def _count(request: Request[Any, Any, Any], body: Readings | None) -> None:
    request.scope[POINTS_KEY] = len(body.readings) if body else 0  # type: ignore[literal-required]


def _assets(asset: str | None, point: str | None) -> str | None:
    # An asset is its one measurement point here (reads.asset_shape), so both name the same thing.
    return ",".join(part for part in (asset, point) if part) or None


# Sensors ----------------------------------------------------------------------------------------------------


@get("/sensors", opt=READ, operation_id="aranetSensors")
async def list_sensors(
    request: Request[Any, Any, Any],
    principal: PrincipalDep,
    app_state: AppStateDep,
    base: Annotated[str | None, QueryParameter(max_length=2000)] = None,
) -> Response[bytes]:
    """Metadata of the sensors the key reaches (at most 1,000). There are no base stations here, so a `base`
    filter matches nothing."""
    if base:
        return _json(None)
    found, total = await app_state.db.read(reads.all_sensors, principal)
    if not found:
        return _json(None)
    body = Sensors(
        [reads.sensor_shape(s) for s in found],
        reads.sensor_links(found),
        reads.cut_warning(len(found), total, _request_id(request)),
    )
    return _json(body)


@get("/sensors/sensor/{sensor:str}", opt=READ, operation_id="aranetSensor")
async def one_sensor(sensor: PathId, principal: PrincipalDep, app_state: AppStateDep) -> Response[bytes]:
    """One sensor. Another tenant's sensor is not found."""
    if not sensor.isdigit() or len(sensor) > 10 or not in_range(int(sensor)):
        raise NotFound(f"sensor {sensor} not found")
    found = await app_state.db.read(sensors.get_sensor, principal, int(sensor))
    return _json(OneSensor(reads.sensor_shape(found), reads.sensor_links([found])))


@get("/sensors/types", opt=READ, operation_id="aranetSensorTypes")
async def sensor_types(principal: PrincipalDep, app_state: AppStateDep) -> Response[bytes]:
    """The sensor types in use (each sensor's free-text `type`)."""
    types = await app_state.db.read(sensors.list_types, principal)
    return _json(SensorTypes([SensorType(t, t, False) for t in types]) if types else None)


@get("/sensors/types/type/{code:str}", opt=READ, operation_id="aranetSensorType")
async def sensor_type(code: PathId, principal: PrincipalDep, app_state: AppStateDep) -> Response[bytes]:
    types = await app_state.db.read(sensors.list_types, principal)
    if code not in types:
        raise NotFound(f"sensor type {code!r} not found")
    return _json(OneSensorType(SensorType(code, code, False)))


@get("/bases", opt=READ, operation_id="aranetBases")
async def bases(request: Request[Any, Any, Any], principal: PrincipalDep) -> Response[bytes]:
    """Always empty: sensors report to sensorgate directly, with no base station in between."""
    warning = Problem("sensorgate has no base stations: sensors report to it directly", _request_id(request))
    return _json(Bases([], [warning]))


@get("/bases/base/{base:str}", opt=READ, operation_id="aranetBase")
async def one_base(base: PathId, principal: PrincipalDep) -> Response[bytes]:
    raise NotFound("sensorgate has no base stations: sensors report to it directly")


# Readings ---------------------------------------------------------------------------------------------------


async def _last(
    request: Request[Any, Any, Any],
    principal: Principal,
    app_state: AppState,
    kind: str,
    sensor: str | None,
    asset_ids: list[int],
    metric: str | None,
    unit: str | None,
    links: bool,
) -> Response[bytes]:
    body = await app_state.db.read(
        reads.last,
        principal,
        kind,
        queries.sensor_ids(sensor),
        asset_ids,
        queries.metric_numbers(metric),
        queries.unit_choice(unit),
        links,
        _now_ms(),
    )
    _count(request, body)
    return _json(body)


async def _history(
    request: Request[Any, Any, Any],
    principal: Principal,
    app_state: AppState,
    kind: str,
    query: queries.HistoryQuery,
) -> Response[bytes]:
    key = cursor_key(app_state.settings.secret_key)
    if query.next:
        body = await app_state.db.read(reads.history_next, principal, queries.decode_token(query.next), key)
    else:
        sensor_ids = queries.sensor_ids(query.sensor)
        asset_ids = queries.sensor_ids(query.assets)
        span = queries.window(query.from_, query.to, query.back, bool(sensor_ids or asset_ids), _now_ms())
        body = await app_state.db.read(
            reads.history_first,
            principal,
            kind,
            sensor_ids,
            asset_ids,
            queries.metric_numbers(query.metric),
            queries.unit_choice(query.unit),
            span,
            query.limit,
            query.links,
            key,
        )
    _count(request, body)
    response = _json(body)
    if body is not None and body.next:
        response.headers["NextLink"] = body.next
    return response


@get("/measurements/last", opt=READ, operation_id="aranetMeasurementsLast")
async def measurements_last(
    request: Request[Any, Any, Any],
    principal: PrincipalDep,
    app_state: AppStateDep,
    sensor: Ids = None,
    asset: Ids = None,
    point: Ids = None,
    metric: Ids = None,
    unit: Ids = None,
    links: WithLinks = True,
) -> Response[bytes]:
    """The last reading of each measurement (kind `g`) of the sensors, or of every sensor reached."""
    asset_ids = queries.sensor_ids(_assets(asset, point))
    return await _last(request, principal, app_state, "g", sensor, asset_ids, metric, unit, links)


@get("/telemetry/last", opt=READ, operation_id="aranetTelemetryLast")
async def telemetry_last(
    request: Request[Any, Any, Any],
    principal: PrincipalDep,
    app_state: AppStateDep,
    sensor: Ids = None,
    metric: Ids = None,
    links: WithLinks = True,
) -> Response[bytes]:
    """The last reading of each telemetry metric (kind `t`: battery, rssi)."""
    return await _last(request, principal, app_state, "t", sensor, [], metric, None, links)


@get("/measurements/history", opt=READ, operation_id="aranetMeasurementsHistory")
async def measurements_history(
    request: Request[Any, Any, Any],
    principal: PrincipalDep,
    app_state: AppStateDep,
    sensor: Ids = None,
    asset: Ids = None,
    point: Ids = None,
    metric: Ids = None,
    unit: Ids = None,
    from_: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
    to: Time = None,
    seconds: Back = None,
    minutes: Back = None,
    hours: Back = None,
    days: Back = None,
    next_: Annotated[str | None, QueryParameter(name="next", max_length=NEXT_LENGTH)] = None,
    limit: Limit = 1000,
    links: WithLinks = True,
) -> Response[bytes]:
    """Measurements (kind `g`) in a window, a page at a time: follow `next` (a path) to the end to get every
    reading exactly once. The window is [from, to), or the last n seconds|minutes|hours|days; by default the
    last 7 days of the sensors named, or the last 24 hours of every sensor reached (the first 100)."""
    back = {"seconds": seconds, "minutes": minutes, "hours": hours, "days": days}
    query = queries.HistoryQuery(sensor, _assets(asset, point), metric, unit, from_, to, back, next_, limit, links)
    return await _history(request, principal, app_state, "g", query)


@get("/telemetry/history", opt=READ, operation_id="aranetTelemetryHistory")
async def telemetry_history(
    request: Request[Any, Any, Any],
    principal: PrincipalDep,
    app_state: AppStateDep,
    sensor: Ids = None,
    metric: Ids = None,
    unit: Ids = None,
    from_: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
    to: Time = None,
    seconds: Back = None,
    minutes: Back = None,
    hours: Back = None,
    days: Back = None,
    next_: Annotated[str | None, QueryParameter(name="next", max_length=NEXT_LENGTH)] = None,
    limit: Limit = 1000,
    links: WithLinks = True,
) -> Response[bytes]:
    """Telemetry (kind `t`: battery, rssi) in a window, paged like measurements/history."""
    back = {"seconds": seconds, "minutes": minutes, "hours": hours, "days": days}
    query = queries.HistoryQuery(sensor, None, metric, unit, from_, to, back, next_, limit, links)
    return await _history(request, principal, app_state, "t", query)


# Metrics and units ------------------------------------------------------------------------------------------


@get("/metrics", opt=READ, operation_id="aranetMetrics")
async def metrics(principal: PrincipalDep, app_state: AppStateDep) -> Response[bytes]:
    """Every metric with its units and stable numeric ids; `kind` is g (measurement) or t (telemetry)."""
    return _json(Metrics(await app_state.db.read(reads.metric_infos, principal)))


@get("/metrics/{metric:str}", opt=READ, operation_id="aranetMetric")
async def one_metric(metric: PathId, principal: PrincipalDep, app_state: AppStateDep) -> Response[bytes]:
    return _json(OneMetric(await app_state.db.read(reads.metric_info, principal, metric)))


@get("/units/unit/{unit:str}", opt=READ, operation_id="aranetUnit")
async def one_unit(unit: PathId, principal: PrincipalDep, app_state: AppStateDep) -> Response[bytes]:
    return _json(OneUnit(await app_state.db.read(reads.unit_info, principal, unit)))


# Assets and tags --------------------------------------------------------------------------------------------


@get("/assets", opt=READ, operation_id="aranetAssets")
async def assets(principal: PrincipalDep, app_state: AppStateDep) -> Response[bytes]:
    """Assets (at most 1,000), each as one measurement point holding its sensors."""
    found = await app_state.db.read(sensors.list_assets, principal)
    return _json(Assets([reads.asset_shape(a) for a in found]) if found else None)


@get("/assets/asset/{asset:str}", opt=READ, operation_id="aranetAsset")
async def one_asset(asset: PathId, principal: PrincipalDep, app_state: AppStateDep) -> Response[bytes]:
    for found in await app_state.db.read(sensors.list_assets, principal):
        if str(found.id) == asset:
            return _json(OneAsset(reads.asset_shape(found)))
    raise NotFound(f"asset {asset} not found")


@get("/tags", opt=READ, operation_id="aranetTags")
async def tags(principal: PrincipalDep, app_state: AppStateDep) -> Response[bytes]:
    """The tags on the sensors reached. A tag's id is its name: tags have no number here."""
    found = await app_state.db.read(sensors.list_tags, principal)
    return _json(Tags([Tag(t, t) for t in found]) if found else None)


@get("/tags/tag/{tag:str}", opt=READ, operation_id="aranetTag")
async def one_tag(tag: PathId, principal: PrincipalDep, app_state: AppStateDep) -> Response[bytes]:
    if tag not in await app_state.db.read(sensors.list_tags, principal):
        raise NotFound(f"tag {tag!r} not found")
    return _json(OneTag(Tag(tag, tag)))


# Alarms -----------------------------------------------------------------------------------------------------


@get("/alarms/actual", opt=READ, operation_id="aranetAlarmsActual")
async def alarms_actual(principal: PrincipalDep, app_state: AppStateDep) -> Response[bytes]:
    """Alarms raised and not yet resolved (at most 1,000)."""
    found = await app_state.db.read(reads.alarm_shapes, principal, active_only=True, start=None, end=None)
    return _json(Alarms(found) if found else None)


@get("/alarms/history", opt=READ, operation_id="aranetAlarmsHistory")
async def alarms_history(
    principal: PrincipalDep,
    app_state: AppStateDep,
    from_: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
    to: Time = None,
) -> Response[bytes]:
    """Alarms active at any moment of [from, to) (default: the last 24 hours; at most 1,000)."""
    start, end = time_window(from_, to, None, _now_ms())
    found = await app_state.db.read(reads.alarm_shapes, principal, active_only=False, start=start, end=end)
    return _json(Alarms(found) if found else None)


@get("/alarms/rules", opt=READ, operation_id="aranetAlarmRules")
async def alarm_rules(principal: PrincipalDep, app_state: AppStateDep) -> Response[bytes]:
    found = await app_state.db.read(reads.rule_shapes, principal)
    return _json(Rules(found) if found else None)


@get("/alarms/rules/rule/{rule:str}", opt=READ, operation_id="aranetAlarmRule")
async def one_rule(rule: PathId, principal: PrincipalDep, app_state: AppStateDep) -> Response[bytes]:
    for found in await app_state.db.read(reads.rule_shapes, principal):
        if found.id == rule:
            return _json(OneRule(found))
    raise NotFound(f"alarm rule {rule} not found")


HANDLERS = [
    list_sensors,
    one_sensor,
    sensor_types,
    sensor_type,
    bases,
    one_base,
    measurements_last,
    telemetry_last,
    measurements_history,
    telemetry_history,
    metrics,
    one_metric,
    one_unit,
    assets,
    one_asset,
    tags,
    one_tag,
    alarms_actual,
    alarms_history,
    alarm_rules,
    one_rule,
]


def routes() -> list[ControllerRouterHandler]:
    return [
        Router(
            path="/api/v1",
            route_handlers=HANDLERS,
            tags=["aranet"],
            exception_handlers={Exception: aranet_error},
            # The guard's credentials, as on /v1 (Aranet's clients send `ApiKey`); GET only, so no CSRF.
            security=callers(Scope.DATA_READ),
        )
    ]
