"""What the setup pages show (virtual sensors, alarm rules, assets, device groups), each gathered in one database
transaction from the services the API calls, narrowed to the organization the page is about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sensorgate.accounts import service as accounts
from sensorgate.accounts.schemas import WorkspaceOut
from sensorgate.alarms import service as alarms
from sensorgate.auth.principal import Principal
from sensorgate.kit.paging import MAX_PAGE_SIZE, Page
from sensorgate.sensors import service as sensors
from sensorgate.sensors.schemas import SensorOut

# The sensors a form offers as inputs or as what a rule watches: the first page of the API's largest size.
OFFERED_SENSORS = MAX_PAGE_SIZE


@dataclass(frozen=True, slots=True)
class SetupView:
    workspaces: list[WorkspaceOut]
    items: list[Any]  # what the page lists: sensors, rules, groups or assets of this organization
    page: Page[SensorOut] | None  # the virtual sensors' paging
    sensors: list[SensorOut]  # what a form may refer to
    groups: list[str]


def workspaces_of(conn: sa.Connection, principal: Principal, organization_id: int) -> list[WorkspaceOut]:
    found = accounts.list_workspaces(conn, principal, 1, MAX_PAGE_SIZE)
    return [w for w in found.items if w.organization_id == organization_id]


def _offered(conn: sa.Connection, principal: Principal, organization_id: int) -> list[SensorOut]:
    found = sensors.list_sensors(
        conn,
        principal,
        workspace_id=None,
        device_group=None,
        asset=None,
        q=None,
        page=1,
        size=OFFERED_SENSORS,
        organization_id=organization_id,
    )
    return found.items


def virtual_view(conn: sa.Connection, principal: Principal, organization_id: int, number: int) -> SetupView:
    """The organization's sensors with a computed metric, and the sensors whose series may be inputs."""
    found = sensors.list_sensors(
        conn,
        principal,
        workspace_id=None,
        device_group=None,
        asset=None,
        q=None,
        page=number,
        size=MAX_PAGE_SIZE,
        organization_id=organization_id,
        virtual=True,
    )
    offered = _offered(conn, principal, organization_id)
    return SetupView(workspaces_of(conn, principal, organization_id), found.items, found, offered, [])


def rules_view(conn: sa.Connection, principal: Principal, organization_id: int) -> SetupView:
    """The organization's alarm rules, and the sensors and device groups a rule may watch."""
    workspaces = workspaces_of(conn, principal, organization_id)
    ids = {w.id for w in workspaces}
    rules = [r for r in alarms.list_rules(conn, principal) if r.workspace_id in ids]
    groups = sorted({g.name for g in sensors.list_device_groups(conn, principal) if g.workspace_id in ids})
    return SetupView(workspaces, rules, None, _offered(conn, principal, organization_id), groups)


def named_view(conn: sa.Connection, principal: Principal, organization_id: int, kind: str) -> SetupView:
    """The organization's device groups (`kind` "groups") or assets, with the names of their sensors' ids."""
    workspaces = workspaces_of(conn, principal, organization_id)
    ids = {w.id for w in workspaces}
    listed = sensors.list_device_groups if kind == "groups" else sensors.list_assets
    items = [item for item in listed(conn, principal) if item.workspace_id in ids]
    return SetupView(workspaces, items, None, [], [])
