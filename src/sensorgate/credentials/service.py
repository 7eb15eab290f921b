"""Rules for credentials: who may create, see, revoke and delete which key. No HTTP objects here.

What a new key may be given is in grants.py; editing, reissuing and renewing are in lifecycle.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sensorgate.audit import store as audit_store
from sensorgate.auth.principal import Principal
from sensorgate.auth.scopes import Scope
from sensorgate.credentials import grants, keys_out, lineage, minting, store
from sensorgate.credentials.schemas import KeyCreated, KeyIn, KeyOut
from sensorgate.credentials.store import KeyReach
from sensorgate.kit.errors import BadRequest, Forbidden, NotFound, about
from sensorgate.sensors import units

MAX_LISTED = 1000


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a change comes from, for the audit trail, and the server keys that new secrets need."""

    ip: str | None
    user_agent: str | None
    now: datetime
    pepper: str
    master_key: bytes = b""  # needed to make signing keys only


def create_key(conn: sa.Connection, principal: Principal, body: KeyIn, request: Origin) -> KeyCreated:
    with about("workspaces"):
        organization_id, mode, workspace_ids = grants.workspaces(conn, principal, body)
    with about("scopes"):
        scopes = grants.scopes(principal, organization_id, body)
    with about("deviceGroup"):
        group = grants.device_group(conn, principal, body, mode, workspace_ids)
    with about("expiresAt" if body.expires_at else "expiresIn"):
        expires = grants.expiry(conn, principal, organization_id, body, request.now)
    maker = grants.maker_of(conn, principal)
    try:
        preferred = {m: units.normalize_unit(m, u) for m, u in body.units.items() if units.is_known(m)}
    except ValueError as exc:
        raise BadRequest(f"units: {exc}") from None
    with about("ipAllowlist"):
        ip_allowlist = grants.ip_allowlist(maker, body)
    with about("canRenew"):
        can_renew = grants.can_renew(conn, maker, body.can_renew)
    with about("limits"):
        limits = grants.limits(conn, maker, body)
    creator = principal.user_id
    if principal.credential_id is not None:
        creator = grants.creator_of(conn, principal.credential_id)
    if creator is not None:
        grants.check_active_limit(conn, creator, organization_id, request.now)
    elif maker is not None:
        lineage.check_line_limit(conn, maker, organization_id, request.now)
    credential_id = store.insert_credential(
        conn,
        {
            "organization_id": organization_id,
            "kind": body.kind,
            "public_id": minting.new_public_id(body.kind),
            "name": body.name,
            "description": body.description,
            "owner_name": body.owner,
            "owner_email": body.email or (principal.email or ""),
            "workspace_mode": mode,
            "workspace_ids": workspace_ids,
            "device_group_id": group,
            "scopes": scopes,
            "units": preferred,
            "ip_allowlist": ip_allowlist,
            "can_renew": can_renew,
            "lifetime_days": max(1, (expires - request.now).days),
            "limits": limits,
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


def manages_keys(permissions: frozenset[str]) -> bool:
    """A user manages keys in an organization with integrations:write (their own) or access:manage (everyone's)."""
    return Scope.INTEGRATIONS_WRITE in permissions or Scope.ACCESS_MANAGE in permissions


def visible_keys(principal: Principal, *, write: bool) -> KeyReach:
    """The keys a caller may see (or change): all of an organization with access:manage, its own otherwise; a key
    with keys:read or keys:write, the keys it made."""
    if principal.credential_id is not None:
        needed = Scope.KEYS_WRITE if write else Scope.KEYS_READ
        if not principal.organizations_with(needed) and not principal.organizations_with(Scope.KEYS_WRITE):
            raise Forbidden(f"this needs the {needed} scope")
        return KeyReach(made_by=principal.credential_id)
    managed = principal.organizations_with(Scope.ACCESS_MANAGE)
    own = principal.organizations_with(Scope.INTEGRATIONS_WRITE)
    if not managed and not own:
        raise Forbidden("managing keys needs integrations:write or access:manage")
    return KeyReach(managed=tuple(managed), own_in=tuple(own), user_id=principal.user_id)


def reportable_keys(principal: Principal, scope: Scope) -> KeyReach:
    """The keys whose usage (usage:read) or log (audit:read) a caller may read.

    A user reads the keys they may see; a key with the scope reads itself and the keys it created.
    """
    if principal.credential_id is None:
        return visible_keys(principal, write=False)
    if not principal.organizations_with(scope):
        raise Forbidden(f"this needs the {scope} scope")
    return KeyReach(made_by=principal.credential_id, itself=principal.credential_id)


def list_keys(
    conn: sa.Connection, principal: Principal, include_revoked: bool, organization_id: int | None = None
) -> list[KeyOut]:
    """The keys the caller may see, by id, at most MAX_LISTED; `organization_id`: in that organization only, where
    the caller must manage keys (403 otherwise, rather than an empty list that looks like none)."""
    reach = visible_keys(principal, write=False)
    in_organization = organization_id is not None and principal.credential_id is None
    if in_organization and not manages_keys(principal.membership(organization_id or 0).permissions):
        raise Forbidden("managing keys needs integrations:write or access:manage")
    rows = store.keys(conn, reach, live_only=not include_revoked, organization_id=organization_id, limit=MAX_LISTED)
    return keys_out.render(conn, rows)


def get_key(conn: sa.Connection, principal: Principal, credential_id: int) -> KeyOut:
    return keys_out.render(conn, [_seen(conn, visible_keys(principal, write=False), credential_id)])[0]


def key_out(conn: sa.Connection, credential_id: int) -> KeyOut:
    return keys_out.render(conn, [store.credential(conn, credential_id)])[0]


def writable_key(conn: sa.Connection, principal: Principal, credential_id: int) -> Any:
    """The row of a key the caller may change, or 404 (a deleted key is gone for every change)."""
    row = _seen(conn, visible_keys(principal, write=True), credential_id)
    if row.deleted_at is not None:
        raise NotFound(f"key {credential_id} not found")
    return row


def readable_key(conn: sa.Connection, principal: Principal, credential_id: int, scope: Scope) -> Any:
    """The row of a key whose usage or log the caller may read, or 404."""
    return _seen(conn, reportable_keys(principal, scope), credential_id)


def _seen(conn: sa.Connection, reach: KeyReach, credential_id: int) -> Any:
    rows = store.keys(conn, reach, key_id=credential_id, limit=1)
    if not rows:
        raise NotFound(f"key {credential_id} not found")
    return rows[0]


@dataclass(frozen=True, slots=True)
class Revoked:
    key: KeyOut  # the key asked for, as it is now
    cut_off: list[tuple[int, str | None]]  # (id, public id) of every key revoked now, that key first
    hashes: list[bytes]  # their secrets' hashes, for the caches to drop


def revoke_key(
    conn: sa.Connection, principal: Principal, credential_id: int, request: Origin, *, delete: bool
) -> Revoked:
    """Revoke (or delete) a key for good, and with it every key made through it, in this one transaction; each
    revocation is in its key's log."""
    row = writable_key(conn, principal, credential_id)
    hashes = store.revoke(conn, credential_id, request.now, delete=delete)
    audit(conn, principal, row.organization_id, credential_id, "deleted" if delete else "revoked", request, {})
    cut_off = [(row.id, row.public_id)]
    for made in store.keys_by_id(conn, store.descendant_ids(conn, credential_id)):
        if made.revoked_at is not None:
            continue
        hashes += store.revoke(conn, made.id, request.now, delete=False)
        audit(conn, principal, made.organization_id, made.id, "revoked", request, {"revokedWith": credential_id})
        cut_off.append((made.id, made.public_id))
    return Revoked(key_out(conn, credential_id), cut_off, hashes)


def audit(
    conn: sa.Connection,
    principal: Principal,
    organization_id: int,
    credential_id: int,
    action: str,
    request: Origin,
    details: dict[str, Any],
) -> None:
    audit_store.add_event(
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
