"""HTTP routes for sensors, device groups and assets. Thin: parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from litestar.types import ControllerRouterHandler

from sensorgate.auth.openapi import callers
from sensorgate.auth.principal import PrincipalDep
from sensorgate.auth.scopes import Scope
from sensorgate.db.engine import Database
from sensorgate.kit.ids import MAX_ID, PathId
from sensorgate.kit.openapi import errors
from sensorgate.kit.paging import DEFAULT_PAGE_SIZE, Items, PageNumber, PageSize
from sensorgate.kit.times import utcnow
from sensorgate.sensors import service, units
from sensorgate.sensors.schemas import (
    AssetIn,
    AssetList,
    AssetOut,
    DeviceGroupIn,
    DeviceGroupList,
    DeviceGroupOut,
    SensorIn,
    SensorOut,
    SensorPage,
    SensorPatch,
)


class SensorsState:
    """What the sensor routes use of the app's state, which they ask for as the `app_state` dependency.

    web.state.AppState is one; naming only what is used here keeps these routes from importing anything above
    their own package.
    """

    __slots__ = ()
    db: Database


SensorsStateDep = NamedDependency[SensorsState]

# A sensor with 32 metrics, 16 assets and 32 tags fits well inside this.
SENSOR_BODY = 64 * 1024
NAME_BODY = 4 * 1024  # a device group's or an asset's name and workspace


@get("/v1/metrics", tags=["measurements"])
async def list_metrics() -> units.MetricsOut:
    """Known metrics with their canonical unit and the units each converts to."""
    return units.metrics_out()


class SensorController(Controller):
    path = "/v1/sensors"
    tags = ["sensors"]

    @get("/", opt={"scope": Scope.DATA_READ}, security=callers(Scope.DATA_READ), responses=errors(400))
    async def list_sensors(
        self,
        principal: PrincipalDep,
        app_state: SensorsStateDep,
        workspace_id: Annotated[int | None, QueryParameter(name="workspaceId", ge=1, le=MAX_ID)] = None,
        device_group: Annotated[str | None, QueryParameter(name="deviceGroup", max_length=100)] = None,
        asset: Annotated[str | None, QueryParameter(max_length=200)] = None,
        q: Annotated[str | None, QueryParameter(max_length=100, description="part of the name or serial")] = None,
        tag: Annotated[str | None, QueryParameter(max_length=50, description="one of its tags, exactly")] = None,
        page: PageNumber = 1,
        size: PageSize = DEFAULT_PAGE_SIZE,
    ) -> SensorPage:
        """The sensors the caller reaches, by id, with their metrics and last reading time."""
        return await app_state.db.read(
            service.list_sensors,
            principal,
            workspace_id=workspace_id,
            device_group=device_group,
            asset=asset,
            q=q,
            tag=tag,
            page=page,
            size=size,
        )

    @get(
        "/{sensor_id:int}",
        opt={"scope": Scope.DATA_READ},
        security=callers(Scope.DATA_READ),
        responses=errors(400, 404),
    )
    async def get_sensor(self, sensor_id: PathId, principal: PrincipalDep, app_state: SensorsStateDep) -> SensorOut:
        """One sensor. Another tenant's sensor answers 404."""
        return await app_state.db.read(service.get_sensor, principal, sensor_id)

    @post(
        "/",
        request_max_body_size=SENSOR_BODY,
        opt={"scope": Scope.SENSORS_WRITE},
        security=callers(Scope.SENSORS_WRITE, unsafe=True),
        responses=errors(400, 404, 409, 413, why={409: "A sensor with this serial exists in the workspace."}),
    )
    async def create_sensor(
        self, data: JSONBody[SensorIn], principal: PrincipalDep, app_state: SensorsStateDep
    ) -> SensorOut:
        """Create a sensor with its metrics. Needs sensors:write.

        Known metrics (GET /v1/metrics) are stored in their canonical unit; `unit` says what the device
        sends, and backfilled values are converted. A virtual metric gives `expression` and `inputs`.
        """
        return await app_state.db.write(service.create_sensor, principal, data, utcnow())

    @patch(
        "/{sensor_id:int}",
        request_max_body_size=SENSOR_BODY,
        opt={"scope": Scope.SENSORS_WRITE},
        security=callers(Scope.SENSORS_WRITE, unsafe=True),
        responses=errors(400, 404, 409, 413, why={409: "A sensor with this serial exists in the workspace."}),
    )
    async def update_sensor(
        self, sensor_id: PathId, data: JSONBody[SensorPatch], principal: PrincipalDep, app_state: SensorsStateDep
    ) -> SensorOut:
        """Change a sensor. Fields left out stay; `metrics` adds metrics. Needs sensors:write."""
        return await app_state.db.write(service.update_sensor, principal, sensor_id, data, utcnow())

    @delete(
        "/{sensor_id:int}",
        status_code=204,
        opt={"scope": Scope.SENSORS_WRITE},
        security=callers(Scope.SENSORS_WRITE, unsafe=True),
        responses=errors(400, 404),
    )
    async def delete_sensor(self, sensor_id: PathId, principal: PrincipalDep, app_state: SensorsStateDep) -> None:
        """Delete a sensor with all its data. Needs sensors:write."""
        await app_state.db.write(service.delete_sensor, principal, sensor_id)


@get(
    "/v1/device-groups",
    tags=["sensors"],
    opt={"scope": Scope.DATA_READ},
    security=callers(Scope.DATA_READ),
    responses=errors(),
)
async def list_device_groups(principal: PrincipalDep, app_state: SensorsStateDep) -> DeviceGroupList:
    """Device groups of the workspaces the caller reaches (at most 1,000)."""
    return Items(await app_state.db.read(service.list_device_groups, principal))


@get(
    "/v1/assets",
    tags=["sensors"],
    opt={"scope": Scope.DATA_READ},
    security=callers(Scope.DATA_READ),
    responses=errors(),
)
async def list_assets(principal: PrincipalDep, app_state: SensorsStateDep) -> AssetList:
    """Assets (named groups of sensors) of the workspaces the caller reaches (at most 1,000)."""
    return Items(await app_state.db.read(service.list_assets, principal))


NAMED_CONFLICT = "A device group or asset of this name exists in the workspace, or the workspace holds 1,000."


@post(
    "/v1/device-groups",
    tags=["sensors"],
    request_max_body_size=NAME_BODY,
    opt={"scope": Scope.SENSORS_WRITE},
    security=callers(Scope.SENSORS_WRITE, unsafe=True),
    responses=errors(400, 404, 409, 413, why={409: NAMED_CONFLICT}),
)
async def create_device_group(
    data: JSONBody[DeviceGroupIn], principal: PrincipalDep, app_state: SensorsStateDep
) -> DeviceGroupOut:
    """Create an empty device group (naming one on a sensor makes it too). Needs sensors:write."""
    return await app_state.db.write(service.create_device_group, principal, data, utcnow())


@post(
    "/v1/assets",
    tags=["sensors"],
    request_max_body_size=NAME_BODY,
    opt={"scope": Scope.SENSORS_WRITE},
    security=callers(Scope.SENSORS_WRITE, unsafe=True),
    responses=errors(400, 404, 409, 413, why={409: NAMED_CONFLICT}),
)
async def create_asset(data: JSONBody[AssetIn], principal: PrincipalDep, app_state: SensorsStateDep) -> AssetOut:
    """Create an asset with no sensors yet (naming one on a sensor makes it too). Needs sensors:write."""
    return await app_state.db.write(service.create_asset, principal, data, utcnow())


ROUTES: list[ControllerRouterHandler] = [
    list_metrics,
    SensorController,
    list_device_groups,
    list_assets,
    create_device_group,
    create_asset,
]
