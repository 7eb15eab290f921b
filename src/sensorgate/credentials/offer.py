"""What a user may put on a new key in one organization, for a form to offer: the scopes their role may grant,
the workspaces and device groups, the expiry presets within the organization's longest lifetime, and how many
active keys they hold of how many allowed.

It reads the same rules that grants.py enforces (GRANTED_BY, the lifetime and active-key limits), so the
console offers exactly what the API accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from sensorgate.accounts import store as accounts_store
from sensorgate.accounts.models import workspaces
from sensorgate.auth.principal import Principal
from sensorgate.auth.scopes import CREDENTIAL_SCOPES, GRANTED_BY, Scope
from sensorgate.credentials import store
from sensorgate.credentials.grants import creating_organizations
from sensorgate.credentials.lifetimes import EXPIRY_PRESETS
from sensorgate.kit.errors import Forbidden
from sensorgate.sensors import store as sensors_store


@dataclass(frozen=True, slots=True)
class Place:
    id: int
    name: str
    workspace: str  # a device group's workspace slug; a workspace's own slug


@dataclass(frozen=True, slots=True)
class Standing:
    """A user's active keys in an organization against its limit."""

    count: int
    limit: int

    @property
    def left(self) -> int:
        return max(0, self.limit - self.count)


@dataclass(frozen=True, slots=True)
class Offer:
    scopes: list[str]
    workspaces: list[Place]
    groups: list[Place]
    presets: list[str]  # the expiry presets within the longest lifetime, shortest first
    longest_days: int
    standing: Standing | None  # None for the operator, who is not a user


def standing(conn: sa.Connection, principal: Principal, organization_id: int, now: datetime) -> Standing | None:
    if principal.user_id is None:
        return None
    limit = accounts_store.organization_by_id(conn, organization_id).max_active_keys_per_user
    return Standing(count=store.active_count(conn, principal.user_id, now), limit=limit)


def offer(conn: sa.Connection, principal: Principal, organization_id: int, now: datetime) -> Offer:
    """What the caller may grant on a key in this organization, or 403 when they may create none there."""
    if organization_id not in creating_organizations(principal):
        raise Forbidden("creating keys needs integrations:write (or access:manage, or a key with keys:write)")
    held = principal.membership(organization_id).permissions
    scopes = [str(s) for s in CREDENTIAL_SCOPES if GRANTED_BY[Scope(s)] in held]
    rows = accounts_store.workspaces_of(conn, [organization_id])
    places = [
        Place(r.id, r.slug, r.slug) for r in rows if principal.workspace_ids is None or r.id in principal.workspace_ids
    ]
    slugs = {p.id: p.name for p in places}
    groups = [
        Place(g.id, g.name, slugs[g.workspace_id])
        for g in sensors_store.device_groups_in(conn, workspaces.c.id.in_(list(slugs)))
    ]
    longest = accounts_store.organization_by_id(conn, organization_id).max_key_lifetime_days
    presets = [name for name, days in EXPIRY_PRESETS.items() if days <= longest]
    return Offer(scopes, places, groups, presets, longest, standing(conn, principal, organization_id, now))
