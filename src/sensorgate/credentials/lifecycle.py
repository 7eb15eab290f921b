"""Changing a key after creation: edit its mutable fields, reissue its secret, renew it with itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import sqlalchemy as sa

from sensorgate.accounts import store as accounts_store
from sensorgate.auth.principal import Principal
from sensorgate.credentials import lineage, minting, store
from sensorgate.credentials.schemas import KeyCreated, KeyIn, KeyOut, KeyPatch, RenewOut
from sensorgate.credentials.service import Origin, audit, key_out, writable_key
from sensorgate.kit.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from sensorgate.kit.times import iso, parse_time
from sensorgate.kit.wire import MALFORMED_JSON, json_fault


def _wire_names(struct: type[msgspec.Struct]) -> frozenset[str]:
    return frozenset(field.encode_name for field in msgspec.structs.fields(struct))


# The fields a key keeps editable are KeyPatch's. Every other field of a new key decides what the key may do;
# changing one would silently widen or narrow a credential already deployed somewhere, so it answers 422 and a
# new key makes the change explicit.
MUTABLE = _wire_names(KeyPatch)
FIXED = _wire_names(KeyIn) - MUTABLE
_decode_patch = msgspec.json.Decoder(KeyPatch).decode
_decode_names = msgspec.json.Decoder(dict[str, msgspec.Raw]).decode


_COLUMNS = {
    "name": "name",
    "description": "description",
    "owner": "owner_name",
    "email": "owner_email",
    "can_renew": "can_renew",
    "lifetime_days": "lifetime_days",
}


def parse_patch(body: bytes) -> KeyPatch:
    try:
        return _decode_patch(body)
    except msgspec.ValidationError as exc:
        problem = exc
    except MALFORMED_JSON as exc:
        raise BadRequest(f"malformed JSON body: {json_fault(exc)}") from None
    try:
        given = set(_decode_names(body))
    except msgspec.ValidationError:
        raise BadRequest(f"invalid request: {problem}") from None
    except MALFORMED_JSON as exc:  # the first decoder stopped at a bad field before reaching this fault
        raise BadRequest(f"malformed JSON body: {json_fault(exc)}") from None
    fixed, unknown = sorted(FIXED & given), sorted(given - MUTABLE - FIXED)
    if fixed:
        raise Unprocessable(
            f"{', '.join(fixed)} cannot change on an existing key; create a new key with the access you need "
            "and revoke this one"
        )
    if unknown:
        raise BadRequest(f"unknown field {', '.join(unknown)}; a key's editable fields: {', '.join(sorted(MUTABLE))}")
    raise BadRequest(f"invalid request: {problem}")


def _longest(conn: sa.Connection, organization_id: int) -> int:
    return int(accounts_store.organization_by_id(conn, organization_id).max_key_lifetime_days)


def update_key(conn: sa.Connection, principal: Principal, key_id: int, patch: KeyPatch, request: Origin) -> KeyOut:
    row = writable_key(conn, principal, key_id)
    if row.revoked_at is not None:
        raise Conflict("a revoked key is read-only; its log and usage stay readable")
    values: dict[str, Any] = {}
    for field, column in _COLUMNS.items():
        value = getattr(patch, field)
        if value is not None:
            values[column] = value
    if patch.lifetime_days is not None and patch.lifetime_days > _longest(conn, row.organization_id):
        longest = _longest(conn, row.organization_id)
        raise BadRequest(f"this organization allows keys of at most {longest} days", field="lifetimeDays")
    _check_within_makers(conn, row, patch, request.now)
    if values:
        store.update_credential(conn, key_id, {**values, "updated_at": request.now})
        changed = sorted(k for k in msgspec.structs.asdict(patch) if getattr(patch, k) is not None)
        audit(conn, principal, row.organization_id, key_id, "edited", request, {"fields": changed})
    return key_out(conn, key_id)


def _check_within_makers(conn: sa.Connection, row: Any, patch: KeyPatch, now: datetime) -> None:
    """An edit may not let a key made by a key outlive its makers, nor renew where they cannot."""
    line = lineage.makers(conn, row)
    if not line.any:
        return
    if patch.can_renew and not line.can_renew:
        raise Forbidden("a key made by a key that cannot renew cannot renew either (canRenew)", field="canRenew")
    if patch.lifetime_days is not None and line.expires_at is not None:
        left = (line.expires_at - now) // timedelta(days=1)
        if now + timedelta(days=patch.lifetime_days) > line.expires_at:
            raise Forbidden(
                f"a key made by a key cannot outlive it: lifetimeDays at most {max(left, 0)}, since the key that "
                f"made it expires {iso(line.expires_at)}",
                field="lifetimeDays",
            )


def _new_secret(conn: sa.Connection, row: Any, request: Origin) -> tuple[str, datetime]:
    """A secret for the key with its lifetime, never past the expiry of the keys that made it."""
    if row.revoked_at is not None:
        raise Conflict("a revoked key cannot get a new secret; create a new key")
    days = min(row.lifetime_days, _longest(conn, row.organization_id))
    line = lineage.makers(conn, row)
    if line.revoked:
        raise Conflict("the key that made this key is revoked, so this key cannot get a new secret")
    expires = request.now + timedelta(days=days)
    if line.expires_at is not None and expires > line.expires_at:
        expires = line.expires_at
    if expires <= request.now:
        raise Conflict("the key that made this key has expired, so this key cannot get a new secret")
    secret, stored = minting.mint(row.kind, request.pepper, request.master_key)
    store.insert_secret(conn, {"credential_id": row.id, **stored, "created_at": request.now, "expires_at": expires})
    return secret, expires


def reissue_key(
    conn: sa.Connection, principal: Principal, key_id: int, request: Origin, old_secret_expires_at: datetime | None
) -> KeyCreated:
    """A new secret with the same permissions. The old secrets live on until their own expiry, or until
    `old_secret_expires_at` when that is earlier: the overlap lets a deployment switch without downtime."""
    row = writable_key(conn, principal, key_id)
    if old_secret_expires_at is not None:
        if old_secret_expires_at < request.now:
            raise BadRequest(
                "oldSecretExpiresAt must not be in the past; use revoke to cut a key off now",
                field="oldSecretExpiresAt",
            )
        store.cap_secret_expiry(conn, key_id, old_secret_expires_at)
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
    if not lineage.makers(conn, row).can_renew:
        raise Forbidden("this key cannot be renewed: the key that made it cannot renew; ask its owner to reissue it")
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
