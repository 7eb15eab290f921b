"""Roles and the permissions they imply inside an organization."""

from __future__ import annotations

INTEGRATIONS_WRITE = "integrations:write"  # create and manage one's own credentials
ACCESS_MANAGE = "access:manage"  # manage everyone's credentials and the members
WORKSPACES_WRITE = "workspaces:write"
ORG_OWN = "org:own"  # change owners

_VIEWER = frozenset({"data:read"})
_MEMBER = _VIEWER | {"data:write", "sensors:write"}
_ADMIN = _MEMBER | {INTEGRATIONS_WRITE, ACCESS_MANAGE, WORKSPACES_WRITE, "usage:read", "audit:read"}
_OWNER = _ADMIN | {ORG_OWN}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": _VIEWER,
    "member": _MEMBER,
    "admin": _ADMIN,
    "owner": _OWNER,
}

# What can be granted on top of a role. Kept small on purpose: anything broader is a role change.
GRANTABLE = frozenset({INTEGRATIONS_WRITE})


def permissions_for(role: str, grants: list[str] | tuple[str, ...] = ()) -> frozenset[str]:
    return ROLE_PERMISSIONS[role] | (frozenset(grants) & GRANTABLE)
