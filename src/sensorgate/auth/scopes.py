"""Every permission a Principal can hold, the roles that grant them, and which a credential may carry.

One enum for both faces: a user's role in an organization grants permissions, a credential carries scopes,
and every route and service checks the same names. A Scope is a str, so stored scope lists compare with it.
"""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    DATA_READ = "data:read"
    DATA_WRITE = "data:write"  # backfill
    SENSORS_WRITE = "sensors:write"  # sensors, device groups, assets, alarm rules
    KEYS_READ = "keys:read"
    KEYS_WRITE = "keys:write"  # a key that makes keys, never with more than it holds
    USAGE_READ = "usage:read"
    AUDIT_READ = "audit:read"
    # Console permissions, held through a role; a credential never carries them.
    INTEGRATIONS_WRITE = "integrations:write"  # create and manage one's own credentials
    ACCESS_MANAGE = "access:manage"  # manage everyone's credentials and the members
    WORKSPACES_WRITE = "workspaces:write"
    ORG_OWN = "org:own"  # add, change and remove owners


# What a credential may carry, in the order the API lists them.
CREDENTIAL_SCOPES = (
    Scope.DATA_READ,
    Scope.DATA_WRITE,
    Scope.SENSORS_WRITE,
    Scope.KEYS_READ,
    Scope.KEYS_WRITE,
    Scope.USAGE_READ,
    Scope.AUDIT_READ,
)
DEFAULT_SCOPES = (Scope.DATA_READ,)

_VIEWER = frozenset({Scope.DATA_READ})
_MEMBER = _VIEWER | {Scope.DATA_WRITE, Scope.SENSORS_WRITE}
_ADMIN = _MEMBER | {
    Scope.INTEGRATIONS_WRITE,
    Scope.ACCESS_MANAGE,
    Scope.WORKSPACES_WRITE,
    Scope.USAGE_READ,
    Scope.AUDIT_READ,
}
_OWNER = _ADMIN | {Scope.ORG_OWN}

ROLES = ("owner", "admin", "member", "viewer")
ROLE_SCOPES: dict[str, frozenset[Scope]] = {"viewer": _VIEWER, "member": _MEMBER, "admin": _ADMIN, "owner": _OWNER}

# What can be granted on top of a role. Kept small on purpose: anything broader is a role change.
GRANTABLE = frozenset({Scope.INTEGRATIONS_WRITE})

# A user may put a scope on a key only while holding this permission in the organization.
GRANTED_BY: dict[Scope, Scope] = {
    Scope.DATA_READ: Scope.DATA_READ,
    Scope.DATA_WRITE: Scope.DATA_WRITE,
    Scope.SENSORS_WRITE: Scope.SENSORS_WRITE,
    Scope.KEYS_READ: Scope.INTEGRATIONS_WRITE,
    Scope.KEYS_WRITE: Scope.INTEGRATIONS_WRITE,
    Scope.USAGE_READ: Scope.USAGE_READ,
    Scope.AUDIT_READ: Scope.AUDIT_READ,
}


def permissions_for(role: str, grants: list[str] | tuple[str, ...] = ()) -> frozenset[str]:
    return ROLE_SCOPES[role] | (frozenset(grants) & GRANTABLE)
