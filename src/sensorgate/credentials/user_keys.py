"""The keys of the calling key's user: list them, make a new signing key for that user, delete one by its public
id. Aquanow's key routes (dialects/aquanow) are this service's face; no HTTP objects here.

A key's user is the user who made the first key of its line (`created_by_user_id`, which keys made by keys
inherit). A key made with the CLI belongs to no user: its "user" is then its line, the CLI key and every key made
through it. Nothing here widens what a key may do:
- a new key is made by service.create_key, as POST /v1/keys makes it, by the calling key: keys:write, the
  per-user active-key limit (409), and every rule of keys made by keys (grants.py, lineage.py) apply;
- a key is deleted by service.revoke_key, which reaches only the keys made through the calling key, and those
  never hold more than it. Any other key of the user is refused with a 403 that says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
import sqlalchemy as sa

from sensorgate.accounts import store as accounts_store
from sensorgate.auth.principal import Principal
from sensorgate.credentials import lineage, service, store
from sensorgate.credentials.schemas import KeyCreated, KeyIn
from sensorgate.credentials.store import KeyReach
from sensorgate.kit.errors import BadRequest, Forbidden, NotFound

MAX_LISTED = service.MAX_LISTED
NEW_KEY_SUFFIX = " (new key)"


@dataclass(frozen=True, slots=True)
class UserKey:
    """One key as a user's key list shows it: never its secret, only the public id (or an API key's prefix)."""

    id: int
    key: str
    user_name: str
    created_at: datetime
    updated_at: datetime


def _caller(conn: sa.Connection, principal: Principal) -> Any:
    if principal.credential_id is None:
        raise Forbidden("these routes are called with a key: sign the request with a signing key")
    row = store.credential(conn, principal.credential_id)
    assert row is not None  # the guard just read it
    return row


def _reach(conn: sa.Connection, row: Any) -> tuple[KeyReach, str]:
    """The keys of the caller's user (in the caller's organization), and that user's name."""
    if row.created_by_user_id is not None:
        user = accounts_store.user_by_id(conn, row.created_by_user_id)
        name = user.email if user is not None else ""
        return KeyReach(own_in=(row.organization_id,), user_id=row.created_by_user_id), name
    root = lineage.root_of(conn, row)
    return KeyReach(made_by=root.id, itself=root.id), root.owner_name or root.name


def list_keys(conn: sa.Connection, principal: Principal, now: datetime) -> list[UserKey]:
    """The live keys (not revoked, not expired) of the caller's user, by id. Needs keys:read or keys:write."""
    service.visible_keys(principal, write=False)  # the scope check of GET /v1/keys
    reach, user_name = _reach(conn, _caller(conn, principal))
    rows = store.keys(conn, reach, live_only=True, limit=MAX_LISTED)
    secrets = store.secrets_of(conn, [r.id for r in rows])
    found = []
    for row in rows:
        live = [s for s in secrets[row.id] if s.revoked_at is None and s.expires_at > now]
        if not live:
            continue
        # An API key has no public id; its newest secret's prefix tells it apart, as /v1's lists show it.
        shown = row.public_id or live[-1].prefix
        found.append(UserKey(row.id, shown, user_name, row.created_at, row.updated_at))
    return found


def create_key(conn: sa.Connection, principal: Principal, request: service.Origin) -> tuple[KeyCreated, UserKey]:
    """A new signing key for the caller's user, made by the calling key with its own reach: the workspaces it
    reaches now, its device group, scopes and units; its address list and plan hold the new key (lineage.py)."""
    row = _caller(conn, principal)
    if not principal.workspace_ids:
        raise BadRequest("the calling key reaches no workspace, so a key made by it could reach none")
    fields = {
        "name": row.name[:180] + NEW_KEY_SUFFIX,
        "kind": "signing_key",
        "description": f"made by key {row.id} with POST /users/v1/apiKey",
        "owner": row.owner_name,
        "email": row.owner_email or None,
        "workspaces": sorted(principal.workspace_ids),
        "deviceGroup": row.device_group_id,
        "scopes": sorted(row.scopes),
        "units": dict(row.units),
    }
    body = msgspec.convert(fields, KeyIn)
    created = service.create_key(conn, principal, body, request)
    _, user_name = _reach(conn, row)
    new = store.credential(conn, created.id)
    assert new is not None  # just made, in this transaction
    return created, UserKey(created.id, created.public_id or "", user_name, new.created_at, new.updated_at)


def delete_key(conn: sa.Connection, principal: Principal, public_id: str, request: service.Origin) -> service.Revoked:
    """Delete one of the user's keys by its public id, with every key made through it. Only a key made through
    the calling key: a key never deletes one that may hold more than it does."""
    row = _caller(conn, principal)
    service.visible_keys(principal, write=True)  # the scope check of DELETE /v1/keys/{id}: keys:write
    reach, _ = _reach(conn, row)
    listed = store.keys(conn, reach, live_only=True, limit=MAX_LISTED)
    target = next((r for r in listed if r.public_id == public_id), None)
    if target is None:
        raise NotFound(f"no key {public_id[:40]!r} among this user's keys")
    if target.id not in store.descendant_ids(conn, row.id):
        raise Forbidden(
            "a key deletes only the keys made through it, which never hold more than it does; "
            f"key {target.id} was not made through this one"
        )
    return service.revoke_key(conn, principal, target.id, request, delete=True)
