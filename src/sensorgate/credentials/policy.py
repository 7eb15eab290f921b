"""An organization's key policy: how many active keys one user may hold, the longest lifetime a key may have, and
the organization's plan (rate limit, daily quota, token requests). Admins read it; owners change it. The API
(GET/PATCH /v1/organizations/{org}/settings), the console and `sensorgate orgs set` all come here.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import sqlalchemy as sa

from sensorgate.accounts import store as accounts_store
from sensorgate.auth.principal import Principal
from sensorgate.auth.scopes import Scope
from sensorgate.credentials import plans
from sensorgate.credentials.lifetimes import MAX_LIFETIME_DAYS
from sensorgate.credentials.schemas import LimitsIn
from sensorgate.kit.wire import Input

MAX_ACTIVE_KEYS = 1000


def raising_the_limit(org_slug: str) -> str:
    """What raises the active-key limit, for the 409 that refuses a key past it: an owner's setting."""
    return (
        f"have an owner raise the limit (console: /orgs/{org_slug}/settings; server shell: "
        f"sensorgate orgs limits {org_slug} --active-keys N)"
    )


class PolicyOut(msgspec.Struct, rename="camel"):
    organization: str
    max_active_keys_per_user: int
    max_key_lifetime_days: int
    plan: dict[str, Any]  # the organization's own fields; others fall back on the default plan
    effective_plan: dict[str, Any]  # what a key without limits of its own gets
    may_change: bool  # the caller is an owner


class PolicyPatch(Input):
    """Fields left out stay. `plan` replaces the organization's own plan: fields it leaves out take the default."""

    EXAMPLE = {"maxActiveKeysPerUser": 10, "maxKeyLifetimeDays": 180}

    max_active_keys_per_user: Annotated[int, msgspec.Meta(ge=1, le=MAX_ACTIVE_KEYS)] | None = None
    max_key_lifetime_days: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIFETIME_DAYS)] | None = None
    plan: LimitsIn | None = None


def _organization(principal: Principal, slug: str, needed: Scope) -> int:
    organization_id = principal.membership_named(slug).organization_id
    principal.require(organization_id, needed)
    return organization_id


def policy(conn: sa.Connection, principal: Principal, slug: str) -> PolicyOut:
    """The policy, for owners and admins (access:manage)."""
    organization_id = _organization(principal, slug, Scope.ACCESS_MANAGE)
    return _out(conn, principal, organization_id)


def change(conn: sa.Connection, principal: Principal, slug: str, patch: PolicyPatch) -> PolicyOut:
    """Change the policy; owners only (org:own). Keys already made keep their expiry; the plan applies within a
    minute (each process reads a key's plan at most once a minute)."""
    organization_id = _organization(principal, slug, Scope.ORG_OWN)
    values: dict[str, Any] = {}
    if patch.max_active_keys_per_user is not None:
        values["max_active_keys_per_user"] = patch.max_active_keys_per_user
    if patch.max_key_lifetime_days is not None:
        values["max_key_lifetime_days"] = patch.max_key_lifetime_days
    if patch.plan is not None:
        own = {k: v for k, v in msgspec.structs.asdict(patch.plan).items() if v is not None}
        values["rate_limits"] = own or None
    if values:
        accounts_store.update_organization(conn, organization_id, values)
    return _out(conn, principal, organization_id)


def _out(conn: sa.Connection, principal: Principal, organization_id: int) -> PolicyOut:
    row = accounts_store.organization_by_id(conn, organization_id)
    own = dict(row.rate_limits) if row.rate_limits else {}
    return PolicyOut(
        organization=row.slug,
        max_active_keys_per_user=row.max_active_keys_per_user,
        max_key_lifetime_days=row.max_key_lifetime_days,
        plan=own,
        effective_plan=plans.effective_plan(None, own).as_json(),
        may_change=Scope.ORG_OWN in principal.membership(organization_id).permissions,
    )
