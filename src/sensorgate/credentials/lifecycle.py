"""Changing a key after creation: edit its mutable fields, reissue its secret, renew it with itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa

from sensorgate.accounts.models import organizations
from sensorgate.accounts.principal import Principal
from sensorgate.credentials import minting, store
from sensorgate.credentials.models import credential_secrets, credentials
from sensorgate.credentials.schemas import KeyCreated, KeyOut, KeyPatch, RenewOut
from sensorgate.credentials.service import Origin, audit, key_out, visible_keys
from sensorgate.kit.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from sensorgate.kit.times import iso, parse_time

MUTABLE = frozenset({"name", "description", "owner", "email", "canRenew", "lifetimeDays"})
# Fields that decide what a key may do. Changing them would silently widen or narrow a credential that is
# already deployed somewhere: a new key makes the change explicit.
FIXED = frozenset(
    {"kind", "workspaces", "allWorkspaces", "excludeWorkspaces", "deviceGroup", "scopes", "units", "ipAllowlist",
     "limits", "expiresIn", "expiresAt"}
)  # fmt: skip


_COLUMNS = {
    "name": "name",
    "description": "description",
    "owner": "owner_name",
    "email": "owner_email",
    "can_renew": "can_renew",
    "lifetime_days": "lifetime_days",
}


def parse_patch(body: dict[str, Any]) -> KeyPatch:
    fixed = sorted(FIXED & set(body))
    if fixed:
        raise Unprocessable(
            f"{', '.join(fixed)} cannot change on an existing key; create a new key with the access you need "
            "and revoke this one"
        )
    unknown = sorted(set(body) - MUTABLE)
    if unknown:
        raise BadRequest(f"unknown field {', '.join(unknown)}; a key's editable fields: {', '.join(sorted(MUTABLE))}")
    try:
        return msgspec.convert(body, KeyPatch)
    except msgspec.ValidationError as exc:
        raise BadRequest(f"invalid request: {exc}") from None


def _writable(conn: sa.Connection, principal: Principal, key_id: int) -> Any:
    rows = store.credentials_where(conn, sa.and_(credentials.c.id == key_id, visible_keys(principal, write=True)), 1)
    if not rows or rows[0].deleted_at is not None:
        raise NotFound(f"key {key_id} not found")
    return rows[0]


def _longest(conn: sa.Connection, organization_id: int) -> int:
    return int(
        conn.execute(
            sa.select(organizations.c.max_key_lifetime_days).where(organizations.c.id == organization_id)
        ).scalar_one()
    )


def update_key(conn: sa.Connection, principal: Principal, key_id: int, patch: KeyPatch, request: Origin) -> KeyOut:
    row = _writable(conn, principal, key_id)
    values: dict[str, Any] = {}
    for field, column in _COLUMNS.items():
        value = getattr(patch, field)
        if value is not None:
            values[column] = value
    if patch.lifetime_days is not None and patch.lifetime_days > _longest(conn, row.organization_id):
        raise BadRequest(f"this organization allows keys of at most {_longest(conn, row.organization_id)} days")
    if values:
        conn.execute(credentials.update().where(credentials.c.id == key_id).values(**values, updated_at=request.now))
        changed = sorted(k for k in msgspec.structs.asdict(patch) if getattr(patch, k) is not None)
        audit(conn, principal, row.organization_id, key_id, "edited", request, {"fields": changed})
    return key_out(conn, key_id)


def _new_secret(conn: sa.Connection, row: Any, request: Origin) -> tuple[str, datetime]:
    if row.revoked_at is not None:
        raise Conflict("a revoked key cannot get a new secret; create a new key")
    days = min(row.lifetime_days, _longest(conn, row.organization_id))
    expires = request.now + timedelta(days=days)
    secret, stored = minting.mint(row.kind, request.pepper, request.master_key)
    store.insert_secret(conn, {"credential_id": row.id, **stored, "created_at": request.now, "expires_at": expires})
    return secret, expires


def reissue_key(
    conn: sa.Connection, principal: Principal, key_id: int, request: Origin, old_secret_expires_at: datetime | None
) -> KeyCreated:
    """A new secret with the same permissions. The old secrets live on until their own expiry, or until
    `old_secret_expires_at` when that is earlier: the overlap lets a deployment switch without downtime."""
    row = _writable(conn, principal, key_id)
    if old_secret_expires_at is not None:
        if old_secret_expires_at < request.now:
            raise BadRequest("oldSecretExpiresAt must not be in the past; use revoke to cut a key off now")
        conn.execute(
            credential_secrets.update()
            .where(
                credential_secrets.c.credential_id == key_id,
                credential_secrets.c.revoked_at.is_(None),
                credential_secrets.c.expires_at > old_secret_expires_at,
            )
            .values(expires_at=old_secret_expires_at)
        )
    secret, _ = _new_secret(conn, row, request)
    details = {"oldSecretExpiresAt": iso(old_secret_expires_at)} if old_secret_expires_at else {}
    audit(conn, principal, row.organization_id, key_id, "reissued", request, details)
    key = key_out(conn, key_id)
    return KeyCreated(id=key_id, secret=secret, key=key, public_id=key.public_id)


def renew(conn: sa.Connection, principal: Principal, request: Origin) -> RenewOut:
    """Called with a key that has canRenew: a fresh secret and lifetime, with the same permissions."""
    if principal.credential_id is None:
        raise Forbidden("renew is called with the API key to renew")
    # Only an API key presents its own secret. An OAuth access token must never turn into a fresh client secret
    # (a leaked one-hour token would become lasting access), nor a signed request into a new signing secret.
    if principal.kind != "api_key":
        raise Forbidden("renew is for API keys; a signing key or an OAuth client gets a new secret by reissue")
    row = store.credential(conn, principal.credential_id)
    if row is None or row.revoked_at is not None:
        raise NotFound("key not found")
    if not row.can_renew:
        raise Forbidden("this key cannot be renewed (canRenew is false); ask its owner to reissue it")
    secret, expires = _new_secret(conn, row, request)
    audit(conn, principal, row.organization_id, row.id, "renewed", request, {})
    return RenewOut(token=secret, expires_at=iso(expires))


def old_expiry(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromtimestamp(parse_time(text, "oldSecretExpiresAt") / 1000, tz=UTC)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
