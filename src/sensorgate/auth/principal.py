"""Who is making a request, and what they may do. Every authentication scheme yields one of these."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from litestar.di import NamedDependency

from sensorgate.kit.errors import Forbidden, NotFound


@dataclass(frozen=True, slots=True)
class Membership:
    organization_id: int
    organization: str
    organization_name: str
    role: str
    grants: tuple[str, ...]
    permissions: frozenset[str]


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # "session" for the console; credential kinds come with the credentials package
    user_id: int | None
    email: str | None
    session_id: int | None = None
    credential_id: int | None = None
    memberships: Mapping[int, Membership] = field(default_factory=dict)
    # Narrower reach, set by credentials: only these workspaces (None: every workspace of the organizations)
    # and only this device group (None: all).
    workspace_ids: frozenset[int] | None = None
    device_group_id: int | None = None
    # A credential's preferred unit per metric; `unit=` on a request overrides it.
    units: Mapping[str, str] = field(default_factory=dict)

    def membership(self, organization_id: int) -> Membership:
        """The caller's membership, or 404: another tenant's organization must look like no organization."""
        found = self.memberships.get(organization_id)
        if found is None:
            raise NotFound("organization not found")
        return found

    def membership_named(self, slug: str) -> Membership:
        """The caller's membership in the organization with this slug, or 404, as membership() does."""
        for found in self.memberships.values():
            if found.organization == slug:
                return found
        raise NotFound("organization not found")

    def organizations_with(self, permission: str) -> list[int]:
        return [m.organization_id for m in self.memberships.values() if permission in m.permissions]

    def require(self, organization_id: int, permission: str) -> Membership:
        found = self.membership(organization_id)
        if permission not in found.permissions:
            raise Forbidden(f"this needs the {permission} permission in organization {found.organization!r}")
        return found


# How a route asks for the authenticated caller; the guard provides it.
PrincipalDep = NamedDependency[Principal]
