"""What part of the sensor data a Principal reaches, as SQL conditions.

Every query of sensors, series or points joins `workspaces` and adds `reach(principal, permission)`, so that
another tenant's sensor is simply not found (404), never forbidden.
"""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.accounts.models import workspaces
from sensorgate.accounts.principal import Principal
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


def workspace_reach(principal: Principal, permission: str) -> sa.ColumnElement[bool]:
    """The same, for queries of workspaces alone (device groups, assets, rules)."""
    conditions: list[sa.ColumnElement[bool]] = [
        workspaces.c.organization_id.in_(principal.organizations_with(permission))
    ]
    if principal.workspace_ids is not None:
        conditions.append(workspaces.c.id.in_(sorted(principal.workspace_ids)))
    return sa.and_(*conditions)
