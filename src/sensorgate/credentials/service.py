"""Rules for credentials: who may create, see, revoke and delete which key. No HTTP objects here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from sensorgate.accounts.models import organizations, users, workspaces
from sensorgate.accounts.principal import Principal
from sensorgate.audit import log
from sensorgate.credentials import keys_out, minting, store
from sensorgate.credentials.models import credentials
from sensorgate.credentials.schemas import KeyCreated, KeyIn, KeyOut
from sensorgate.credentials.scopes import DEFAULT_EXPIRY, DEFAULT_SCOPES, EXPIRY_PRESETS, PERMISSION_FOR_SCOPE
from sensorgate.kit.errors import BadRequest, Conflict, Forbidden, NotFound
from sensorgate.kit.times import parse_time
from sensorgate.measurements import units
from sensorgate.sensors.models import device_groups
from sensorgate.usage.plans import FIELDS as PLAN_FIELDS
from sensorgate.usage.plans import check_window

MAX_LISTED = 1000
MANAGE = "access:manage"
OWN = "integrations:write"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a change comes from, for the audit trail."""

    ip: str | None
    user_agent: str | None
    now: datetime
    pepper: str
    master_key: bytes = b""  # needed to make signing keys only


def _creating_organizations(principal: Principal) -> list[int]:
    if principal.credential_id is not None:
        return principal.organizations_with("keys:write")
    return sorted(set(principal.organizations_with(OWN)) | set(principal.organizations_with(MANAGE)))


def _workspaces(conn: sa.Connection, principal: Principal, body: KeyIn) -> tuple[int, str, list[int]]:
    """(organization id, workspace mode, workspace ids) for the new key."""
    allowed = _creating_organizations(principal)
    if not allowed:
        raise Forbidden("creating keys needs integrations:write (or access:manage, or a key with keys:write)")
    rows = conn.execute(
        sa.select(workspaces.c.id, workspaces.c.slug, workspaces.c.organization_id)
        .where(workspaces.c.organization_id.in_(allowed))
        .order_by(workspaces.c.id)
    ).all()
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


def _scopes(principal: Principal, organization_id: int, body: KeyIn) -> list[str]:
    wanted = sorted(set(body.scopes if body.scopes is not None else DEFAULT_SCOPES))
    if not wanted:
        raise BadRequest("a key needs at least one scope")
    held = principal.memberships[organization_id].permissions
    if principal.credential_id is not None:
        beyond = [s for s in wanted if s not in held]
        if beyond:
            raise Forbidden(f"a key cannot create a key with more scopes than its own: {', '.join(beyond)}")
    else:
        beyond = [s for s in wanted if PERMISSION_FOR_SCOPE[s] not in held]
        if beyond:
            raise Forbidden(f"your role cannot grant {', '.join(beyond)}")
    return wanted


def _device_group(conn: sa.Connection, principal: Principal, body: KeyIn, mode: str, ids: list[int]) -> int | None:
    if body.device_group is None:
        if principal.device_group_id is not None:
            raise Forbidden("a key bound to a device group can only create keys bound to it")
        return None
    query = sa.select(device_groups.c.id, device_groups.c.workspace_id)
    if isinstance(body.device_group, int):
        row = conn.execute(query.where(device_groups.c.id == body.device_group)).first()
    elif mode == "list" and len(ids) == 1:
        row = conn.execute(
            query.where(device_groups.c.workspace_id == ids[0], device_groups.c.name == body.device_group)
        ).first()
    else:
        raise BadRequest("name a device group by id when the key reaches more than one workspace")
    if row is None or (mode == "list" and row.workspace_id not in ids) or (mode == "all" and row.workspace_id in ids):
        raise NotFound(f"device group {body.device_group!r} not found in the key's workspaces")
    if principal.device_group_id is not None and row.id != principal.device_group_id:
        raise Forbidden("a key bound to a device group can only create keys bound to it")
    return int(row.id)


def _lifetime(conn: sa.Connection, principal: Principal, organization_id: int, body: KeyIn, now: datetime) -> datetime:
    longest = conn.execute(
        sa.select(organizations.c.max_key_lifetime_days).where(organizations.c.id == organization_id)
    ).scalar_one()
    if body.expires_at is not None:
        try:
            expires = datetime.fromtimestamp(parse_time(body.expires_at, "expiresAt") / 1000, tz=now.tzinfo)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        if expires <= now + timedelta(minutes=1):
            raise BadRequest("expiresAt must be in the future")
    else:
        expires = now + timedelta(days=EXPIRY_PRESETS[body.expires_in or DEFAULT_EXPIRY])
    if expires > now + timedelta(days=longest):
        raise BadRequest(f"this organization allows keys of at most {longest} days")
    if principal.credential_id is not None:
        own = store.newest_expiry(conn, principal.credential_id)
        if own is not None and expires > own:
            raise Forbidden("a key cannot create a key that outlives it; ask for an earlier expiresAt")
    return expires


def create_key(conn: sa.Connection, principal: Principal, body: KeyIn, request: Origin) -> KeyCreated:
    organization_id, mode, workspace_ids = _workspaces(conn, principal, body)
    scopes = _scopes(principal, organization_id, body)
    group = _device_group(conn, principal, body, mode, workspace_ids)
    expires = _lifetime(conn, principal, organization_id, body, request.now)
    try:
        preferred = {m: units.normalize_unit(m, u) for m, u in body.units.items() if units.is_known(m)}
    except ValueError as exc:
        raise BadRequest(f"units: {exc}") from None
    creator = principal.user_id if principal.credential_id is None else _creator_of(conn, principal.credential_id)
    if creator is not None:
        _check_active_limit(conn, creator, organization_id, request.now)
    email = body.email or (principal.email or "")
    credential_id = store.insert_credential(
        conn,
        {
            "organization_id": organization_id,
            "kind": body.kind,
            "public_id": minting.new_public_id(body.kind),
            "name": body.name,
            "description": body.description,
            "owner_name": body.owner,
            "owner_email": email,
            "workspace_mode": mode,
            "workspace_ids": workspace_ids,
            "device_group_id": group,
            "scopes": scopes,
            "units": preferred,
            "ip_allowlist": body.ip_allowlist,
            "can_renew": body.can_renew,
            "lifetime_days": max(1, (expires - request.now).days),
            "limits": None if body.limits is None else {k: v for k, v in _limits(body).items() if v is not None},
            "created_by_user_id": creator,
            "created_by_credential_id": principal.credential_id,
            "created_at": request.now,
            "updated_at": request.now,
        },
    )
    secret, stored = minting.mint(body.kind, request.pepper, request.master_key)
    store.insert_secret(
        conn, {"credential_id": credential_id, **stored, "created_at": request.now, "expires_at": expires}
    )
    audit(conn, principal, organization_id, credential_id, "created", request, {"kind": body.kind, "scopes": scopes})
    key = key_out(conn, credential_id)
    return KeyCreated(id=credential_id, secret=secret, key=key, public_id=key.public_id)


def _limits(body: KeyIn) -> dict[str, Any]:
    assert body.limits is not None
    if body.limits.window is not None:
        try:
            check_window(body.limits.window)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
    return {name: getattr(body.limits, name) for name in PLAN_FIELDS}


def _creator_of(conn: sa.Connection, credential_id: int) -> int | None:
    row = store.credential(conn, credential_id)
    return None if row is None else row.created_by_user_id


def _check_active_limit(conn: sa.Connection, user_id: int, organization_id: int, now: datetime) -> None:
    if conn.dialect.name == "postgresql":
        # Serialize one user's creates, so fifty at once cannot all pass the count below.
        conn.execute(sa.select(users.c.id).where(users.c.id == user_id).with_for_update())
    limit = conn.execute(
        sa.select(organizations.c.max_active_keys_per_user).where(organizations.c.id == organization_id)
    ).scalar_one()
    if store.active_count(conn, user_id, now) >= limit:
        raise Conflict(
            f"you already have {limit} active keys, the most this organization allows; revoke one you no longer "
            "need, or ask an admin to raise the limit"
        )


def visible_keys(principal: Principal, *, write: bool) -> sa.ColumnElement[bool]:
    """The keys a caller may see (or change): all of an organization with access:manage, its own otherwise."""
    if principal.credential_id is not None:
        needed = "keys:write" if write else "keys:read"
        if not principal.organizations_with(needed) and not principal.organizations_with("keys:write"):
            raise Forbidden(f"this needs the {needed} scope")
        return credentials.c.created_by_credential_id == principal.credential_id
    managed = principal.organizations_with(MANAGE)
    own = principal.organizations_with(OWN)
    if not managed and not own:
        raise Forbidden("managing keys needs integrations:write or access:manage")
    return sa.or_(
        credentials.c.organization_id.in_(managed),
        sa.and_(credentials.c.organization_id.in_(own), credentials.c.created_by_user_id == principal.user_id),
    )


def reportable_keys(principal: Principal, scope: str) -> sa.ColumnElement[bool]:
    """The keys whose usage (usage:read) or log (audit:read) a caller may read.

    A user reads the keys they may see; a key with the scope reads itself and the keys it created.
    """
    if principal.credential_id is None:
        return visible_keys(principal, write=False)
    if not principal.organizations_with(scope):
        raise Forbidden(f"this needs the {scope} scope")
    return sa.or_(
        credentials.c.id == principal.credential_id,
        credentials.c.created_by_credential_id == principal.credential_id,
    )


def key_log(
    conn: sa.Connection, principal: Principal, credential_id: int, start: datetime, end: datetime
) -> log.KeyLog:
    where = sa.and_(credentials.c.id == credential_id, reportable_keys(principal, "audit:read"))
    if not store.credentials_where(conn, where, 1):
        raise NotFound(f"key {credential_id} not found")
    return log.key_log(conn, credential_id, start, end)


def list_keys(conn: sa.Connection, principal: Principal, include_revoked: bool) -> list[KeyOut]:
    where = visible_keys(principal, write=False)
    if not include_revoked:
        where = sa.and_(where, credentials.c.revoked_at.is_(None))
    rows = store.credentials_where(conn, where, MAX_LISTED)
    return keys_out.render(conn, rows)


def get_key(conn: sa.Connection, principal: Principal, credential_id: int) -> KeyOut:
    rows = store.credentials_where(
        conn, sa.and_(credentials.c.id == credential_id, visible_keys(principal, write=False)), 1
    )
    if not rows:
        raise NotFound(f"key {credential_id} not found")
    return keys_out.render(conn, rows)[0]


def key_out(conn: sa.Connection, credential_id: int) -> KeyOut:
    return keys_out.render(conn, [store.credential(conn, credential_id)])[0]


def revoke_key(
    conn: sa.Connection, principal: Principal, credential_id: int, request: Origin, *, delete: bool
) -> tuple[KeyOut, list[bytes]]:
    """Revoke (or delete) for good; return the key and the secret hashes to drop from caches."""
    rows = store.credentials_where(
        conn, sa.and_(credentials.c.id == credential_id, visible_keys(principal, write=True)), 1
    )
    if not rows:
        raise NotFound(f"key {credential_id} not found")
    if rows[0].deleted_at is not None:
        raise NotFound(f"key {credential_id} not found")
    hashes = store.revoke(conn, credential_id, request.now, delete=delete)
    audit(conn, principal, rows[0].organization_id, credential_id, "deleted" if delete else "revoked", request, {})
    return key_out(conn, credential_id), hashes


def audit(
    conn: sa.Connection,
    principal: Principal,
    organization_id: int,
    credential_id: int,
    action: str,
    request: Origin,
    details: dict[str, Any],
) -> None:
    store.audit(
        conn,
        {
            "organization_id": organization_id,
            "credential_id": credential_id,
            "action": action,
            "actor_user_id": principal.user_id,
            "actor_credential_id": principal.credential_id,
            "at": request.now,
            "ip": request.ip,
            "user_agent": (request.user_agent or "")[:300].replace("\x00", "") or None,  # PostgreSQL text: no NUL
            "details": details,
        },
    )
