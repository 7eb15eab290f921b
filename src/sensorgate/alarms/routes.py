"""HTTP routes for alarm rules and alarms. Thin: parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from litestar import delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from litestar.types import ControllerRouterHandler

from sensorgate.alarms import service
from sensorgate.alarms.schemas import AlarmList, RuleIn, RuleList, RuleOut
from sensorgate.auth.openapi import callers
from sensorgate.auth.principal import PrincipalDep
from sensorgate.auth.scopes import Scope
from sensorgate.db.engine import Database
from sensorgate.kit.ids import MAX_ID, PathId
from sensorgate.kit.openapi import errors
from sensorgate.kit.paging import Items
from sensorgate.kit.times import time_window, utcnow


class AlarmsState:
    """What the alarm routes use of the app's state, which they ask for as the `app_state` dependency.

    web.state.AppState is one; naming only what is used here keeps these routes from importing anything above
    their own package.
    """

    __slots__ = ()
    db: Database


AlarmsStateDep = NamedDependency[AlarmsState]

Time = Annotated[str | None, QueryParameter(max_length=40, description="ISO 8601 time or epoch seconds")]
Sensor = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="only this sensor's alarms")]


@get(
    "/v1/alarm-rules",
    tags=["alarms"],
    opt={"scope": Scope.DATA_READ},
    security=callers(Scope.DATA_READ),
    responses=errors(),
)
async def list_rules(principal: PrincipalDep, app_state: AlarmsStateDep) -> RuleList:
    """Alarm rules of the workspaces the caller reaches (at most 1,000)."""
    return Items(await app_state.db.read(service.list_rules, principal))


@post(
    "/v1/alarm-rules",
    tags=["alarms"],
    request_max_body_size=16 * 1024,
    opt={"scope": Scope.SENSORS_WRITE},
    security=callers(Scope.SENSORS_WRITE, unsafe=True),
    responses=errors(400, 404, 409, 413, why={409: "The rule cap is reached (docs/api.md, Limits)."}),
)
async def create_rule(data: JSONBody[RuleIn], principal: PrincipalDep, app_state: AlarmsStateDep) -> RuleOut:
    """Create a rule: above or below `threshold`, or outside `low`..`high`, in the metric's canonical unit,
    held for `holdSeconds` before an alarm is raised. It watches one sensor, one device group, or the
    workspace. Rules are evaluated at ingest, backfill included. Needs sensors:write."""
    return await app_state.db.write(service.create_rule, principal, data, utcnow())


@delete(
    "/v1/alarm-rules/{rule_id:int}",
    tags=["alarms"],
    status_code=204,
    opt={"scope": Scope.SENSORS_WRITE},
    security=callers(Scope.SENSORS_WRITE, unsafe=True),
    responses=errors(400, 404),
)
async def delete_rule(rule_id: PathId, principal: PrincipalDep, app_state: AlarmsStateDep) -> None:
    """Delete a rule and its alarms. Needs sensors:write."""
    await app_state.db.write(service.delete_rule, principal, rule_id)


@get(
    "/v1/alarms/active",
    tags=["alarms"],
    opt={"scope": Scope.DATA_READ},
    security=callers(Scope.DATA_READ),
    responses=errors(400),
)
async def active_alarms(principal: PrincipalDep, app_state: AlarmsStateDep, sensor: Sensor = None) -> AlarmList:
    """Alarms raised and not yet resolved, newest first (at most 1,000); `sensor`: only that sensor's."""
    items = await app_state.db.read(
        service.list_alarms, principal, active_only=True, start=None, end=None, sensor_id=sensor
    )
    return Items(items)


@get(
    "/v1/alarms",
    tags=["alarms"],
    opt={"scope": Scope.DATA_READ},
    security=callers(Scope.DATA_READ),
    responses=errors(400),
)
async def alarm_history(
    principal: PrincipalDep,
    app_state: AlarmsStateDep,
    from_: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
    to: Time = None,
    sensor: Sensor = None,
) -> AlarmList:
    """Alarms active at any moment of the window (default: the last 24 hours), with raised and resolved
    times, newest first (at most 1,000); `sensor`: only that sensor's."""
    start, end = time_window(from_, to, None, int(utcnow().timestamp() * 1000))
    items = await app_state.db.read(
        service.list_alarms, principal, active_only=False, start=start, end=end, sensor_id=sensor
    )
    return Items(items)


ROUTES: list[ControllerRouterHandler] = [list_rules, create_rule, delete_rule, active_alarms, alarm_history]
