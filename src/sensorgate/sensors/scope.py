"""What part of the sensor data a Principal reaches, as SQL conditions.

Every query of sensors, series or points joins `workspaces` and adds `reach(principal, permission)`, so that
another tenant's sensor is simply not found (404), never forbidden.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from sensorgate.accounts.models import workspaces
from sensorgate.auth.principal import Principal
from sensorgate.auth.scopes import Scope
from sensorgate.sensors.models import sensors


def reach(principal: Principal, permission: str) -> sa.ColumnElement[bool]:
    conditions: list[sa.ColumnElement[bool]] = [
        workspaces.c.organization_id.in_(principal.organizations_with(permission))
    ]
    if principal.workspace_ids is not None:
        conditions.append(sensors.c.workspace_id.in_(sorted(principal.workspace_ids)))
    if principal.device_group_id is not None:
        conditions.append(sensors.c.device_group_id == principal.device_group_id)
    return sa.and_(*conditions)


def reach_sql(principal: Principal, permission: str) -> tuple[str, list[Any]]:
    """`reach` as plain SQL for hot reads, over tables aliased `sn` (sensors) and `w` (workspaces)."""
    organizations = principal.organizations_with(permission) or [0]
    sql = f"w.organization_id IN ({','.join('?' * len(organizations))})"
    params: list[Any] = list(organizations)
    if principal.workspace_ids is not None:
        ids = sorted(principal.workspace_ids) or [0]
        sql += f" AND sn.workspace_id IN ({','.join('?' * len(ids))})"
        params += ids
    if principal.device_group_id is not None:
        sql += " AND sn.device_group_id = ?"
        params.append(principal.device_group_id)
    return sql, params


def visible(principal: Principal, permission: str) -> sa.ColumnElement[bool]:
    """The sensors a caller may name for an action needing `permission`: those it reads, and those it may
    change. A key with sensors:write and no data:read still manages its own sensors."""
    if permission == Scope.DATA_READ:
        return reach(principal, permission)
    return sa.or_(reach(principal, Scope.DATA_READ), reach(principal, permission))


def workspace_visible(principal: Principal, permission: str) -> sa.ColumnElement[bool]:
    """`visible`, for workspaces."""
    if permission == Scope.DATA_READ:
        return workspace_reach(principal, permission)
    return sa.or_(workspace_reach(principal, Scope.DATA_READ), workspace_reach(principal, permission))


def workspace_reach(principal: Principal, permission: str) -> sa.ColumnElement[bool]:
    """The same, for queries of workspaces alone (device groups, assets, rules)."""
    conditions: list[sa.ColumnElement[bool]] = [
        workspaces.c.organization_id.in_(principal.organizations_with(permission))
    ]
    if principal.workspace_ids is not None:
        conditions.append(workspaces.c.id.in_(sorted(principal.workspace_ids)))
    return sa.and_(*conditions)
