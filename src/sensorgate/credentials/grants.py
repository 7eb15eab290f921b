"""What a new key may be given: what its creator's role allows, and, for a key made by a key, no more than its
creator holds. Each check raises the 4xx that names what is wrong; nothing is written here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa

from sensorgate.accounts import store as accounts_store
from sensorgate.auth.principal import Principal
from sensorgate.auth.scopes import DEFAULT_SCOPES, GRANTED_BY, Scope
from sensorgate.credentials import lineage, plans, policy, store
from sensorgate.credentials.lifetimes import DEFAULT_EXPIRY, lifetime_days
from sensorgate.credentials.schemas import KeyIn
from sensorgate.kit.errors import BadRequest, Conflict, Forbidden, NotFound
from sensorgate.kit.times import iso, parse_time
from sensorgate.sensors import store as sensors_store


def creating_organizations(principal: Principal) -> list[int]:
    """The organizations in which the caller may create keys."""
    if principal.credential_id is not None:
        return principal.organizations_with(Scope.KEYS_WRITE)
    own, managed = (
        principal.organizations_with(Scope.INTEGRATIONS_WRITE),
        principal.organizations_with(Scope.ACCESS_MANAGE),
    )
    return sorted(set(own) | set(managed))


def workspaces(conn: sa.Connection, principal: Principal, body: KeyIn) -> tuple[int, str, list[int]]:
    """(organization id, workspace mode, workspace ids) for the new key."""
    allowed = creating_organizations(principal)
    if not allowed:
        raise Forbidden("creating keys needs integrations:write (or access:manage, or a key with keys:write)")
    if body.organization is not None:
        pinned = principal.membership_named(body.organization).organization_id
        if pinned not in allowed:
            raise Forbidden(f"you cannot create keys in organization {body.organization!r}")
        allowed = [pinned]
    rows = accounts_store.workspaces_of(conn, allowed)
    if principal.workspace_ids is not None:
        rows = [r for r in rows if r.id in principal.workspace_ids]
    by_ref: dict[int | str, Any] = {r.id: r for r in rows} | {r.slug: r for r in rows}
    named = body.workspaces if body.workspaces else body.exclude_workspaces
    chosen = []
    for ref in named or []:
        if ref not in by_ref:
            raise NotFound(f"workspace {ref!r} not found")
        chosen.append(by_ref[ref])
    organizations_named = {r.organization_id for r in chosen}
    if len(organizations_named) > 1:
        raise BadRequest("a key belongs to one organization: its workspaces must all be in it")
    if body.all_workspaces:
        if principal.workspace_ids is not None:
            raise Forbidden("a key bound to workspaces cannot create a key for all workspaces")
        organization = organizations_named.pop() if organizations_named else _only(allowed, "organization")
        return organization, "all", sorted({r.id for r in chosen})
    if not chosen:
        chosen = [rows[0]] if len(rows) == 1 else []
        if not chosen:
            raise BadRequest("say which workspaces the key reaches (workspaces, or allWorkspaces)")
    return chosen[0].organization_id, "list", sorted({r.id for r in chosen})


def _only(values: list[int], what: str) -> int:
    if len(values) != 1:
        raise BadRequest(f"you manage keys in several organizations; name a workspace to choose the {what}")
    return values[0]


def scopes(principal: Principal, organization_id: int, body: KeyIn) -> list[str]:
    wanted = sorted(set(body.scopes if body.scopes is not None else DEFAULT_SCOPES))
    if not wanted:
        raise BadRequest("a key needs at least one scope")
    held = principal.memberships[organization_id].permissions
    if principal.credential_id is not None:
        beyond = [s for s in wanted if s not in held]
        if beyond:
            raise Forbidden(f"a key cannot create a key with more scopes than its own: {', '.join(beyond)}")
    else:
        beyond = [s for s in wanted if GRANTED_BY[Scope(s)] not in held]
        if beyond:
            raise Forbidden(f"your role cannot grant {', '.join(beyond)}")
    return wanted


def device_group(conn: sa.Connection, principal: Principal, body: KeyIn, mode: str, ids: list[int]) -> int | None:
    if body.device_group is None:
        if principal.device_group_id is not None:
            raise Forbidden("a key bound to a device group can only create keys bound to it")
        return None
    if isinstance(body.device_group, int):
        row = sensors_store.device_group_by_id(conn, body.device_group)
    elif mode == "list" and len(ids) == 1:
        row = sensors_store.device_group_by_name(conn, ids[0], body.device_group)
    else:
        raise BadRequest("name a device group by id when the key reaches more than one workspace")
    if row is None or (mode == "list" and row.workspace_id not in ids) or (mode == "all" and row.workspace_id in ids):
        raise NotFound(f"device group {body.device_group!r} not found in the key's workspaces")
    if principal.device_group_id is not None and row.id != principal.device_group_id:
        raise Forbidden("a key bound to a device group can only create keys bound to it")
    return int(row.id)


def maker_of(conn: sa.Connection, principal: Principal) -> Any | None:
    """The row of the key that is making a key, or None when a user or the operator is."""
    return None if principal.credential_id is None else store.credential(conn, principal.credential_id)


def expiry(conn: sa.Connection, principal: Principal, organization_id: int, body: KeyIn, now: datetime) -> datetime:
    longest = accounts_store.organization_by_id(conn, organization_id).max_key_lifetime_days
    if body.expires_at is not None:
        try:
            expires = datetime.fromtimestamp(parse_time(body.expires_at, "expiresAt") / 1000, tz=now.tzinfo)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        if expires <= now + timedelta(minutes=1):
            raise BadRequest("expiresAt must be in the future")
    else:
        expires = now + timedelta(days=lifetime_days(body.expires_in or DEFAULT_EXPIRY))
    if expires > now + timedelta(days=longest):
        raise BadRequest(f"this organization allows keys of at most {longest} days")
    maker = maker_of(conn, principal)
    if maker is not None:
        line = lineage.line_from(conn, maker)
        if line.expires_at is not None and expires > line.expires_at:
            if body.expires_at is None and body.expires_in is None:
                return line.expires_at  # no lifetime asked for: the default, ending with the maker's
            raise Forbidden(
                f"a key cannot create a key that outlives it: ask for an expiry no later than {iso(line.expires_at)}"
            )
    return expires


def ip_allowlist(maker: Any | None, body: KeyIn) -> list[str]:
    """The new key's addresses: within its maker's, when the maker is pinned (none given: the maker's own)."""
    if maker is None or not maker.ip_allowlist:
        return body.ip_allowlist
    if not body.ip_allowlist:
        return list(maker.ip_allowlist)
    outside = lineage.within(body.ip_allowlist, list(maker.ip_allowlist))
    if outside:
        raise Forbidden(
            f"a key pinned to {', '.join(maker.ip_allowlist)} can only create keys pinned within it; "
            f"not within it: {', '.join(outside)}"
        )
    return body.ip_allowlist


def can_renew(conn: sa.Connection, maker: Any | None, wanted: bool) -> bool:
    """canRenew, only where every key above may renew too."""
    if wanted and maker is not None and not lineage.line_from(conn, maker).can_renew:
        raise Forbidden("a key that cannot renew cannot make a key that can (canRenew)")
    return wanted


def limits(conn: sa.Connection, maker: Any | None, body: KeyIn) -> dict[str, Any] | None:
    """The key's own limits as stored, only the fields given; for a key made by a key, none looser than the
    maker's plan (which keeps holding it: plans.plans_of)."""
    if body.limits is None:
        return None
    own = {k: v for k, v in msgspec.structs.asdict(body.limits).items() if v is not None}
    if maker is not None:
        looser = plans.looser_than(own, plans.plans_of(conn, [maker.id])[maker.id])
        if looser:
            raise Forbidden(f"a key cannot make a key with looser limits than its own: {'; '.join(looser)}")
    return own


def creator_of(conn: sa.Connection, credential_id: int) -> int | None:
    row = store.credential(conn, credential_id)
    return None if row is None else row.created_by_user_id


def check_active_limit(conn: sa.Connection, user_id: int, organization_id: int, now: datetime) -> None:
    # Serialize one user's creates, so fifty at once cannot all pass the count below.
    accounts_store.lock_user(conn, user_id)
    organization = accounts_store.organization_by_id(conn, organization_id)
    limit = organization.max_active_keys_per_user
    if store.active_count(conn, user_id, now) >= limit:
        # Name what really raises it: an owner's setting, in the console or the operator's CLI.
        raise Conflict(
            f"you already have {limit} active keys, the most this organization allows; revoke one you no longer "
            f"need, or {policy.raising_the_limit(organization.slug)}"
        )
