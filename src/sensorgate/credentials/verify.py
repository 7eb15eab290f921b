"""Verifying an API key: format and checksum first (no database), then the keyed hash, through a cache.

The cache maps a secret's hash to what the database said about it, for at most CACHE_SECONDS. A revocation
in this process drops its entries at once; another process drops them when they age out, so a revocation
takes effect everywhere within CACHE_SECONDS (1 s). An unknown key is cached too, so a flood of made-up but
well-formed keys costs one query per key per second, not one per request.

Every refusal is raised as a CredentialRefused with its reason; the guard counts it in /metrics and, for a
known key (revoked, expired, wrong address), in the key's usage. Malformed and unknown keys belong to no
credential.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sensorgate.accounts import store as accounts_store
from sensorgate.auth.principal import Membership, Principal
from sensorgate.auth.refusals import CredentialRefused, Refusal
from sensorgate.credentials import lineage, store
from sensorgate.credentials.minting import PUBLIC_FORMATS
from sensorgate.db.engine import Database
from sensorgate.kit import keys
from sensorgate.kit.cache import MISSING, TTLCache
from sensorgate.kit.crypto import KeyedHasher
from sensorgate.kit.errors import Forbidden, Unauthorized

CACHE_SECONDS = 1.0
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class KeyRecord:
    principal: Principal
    expires_at: datetime
    revoked: bool
    networks: tuple[Network, ...]


class KeyVerifier:
    def __init__(self, db: Database, pepper: str) -> None:
        self.db = db
        self._hash = KeyedHasher(pepper)
        self._records: TTLCache[bytes, KeyRecord | None] = TTLCache(CACHE_SECONDS)

    async def verify(self, secret: str, address: str | None, user_agent: str | None, now: datetime) -> Principal:
        if len(secret) != keys.LENGTH:
            raise _malformed(secret)
        digest = self._hash(secret)
        clock = time.monotonic()
        record = self._records.get(digest, clock)
        if record is MISSING:
            # Only a well-formed secret ever enters the cache, so a hit needs no second look at the format;
            # a miss checks it before the database is asked.
            if not keys.well_formed(secret):
                raise _malformed(secret)
            # A name of its own: assigned to `record`, the generic call would infer MISSING into its result.
            loaded = await self.db.read(load, digest)
            self._records.put(digest, loaded, clock)
            record = loaded
        if record is None:
            raise CredentialRefused(Unauthorized("unknown API key", error="invalid_token"), Refusal.UNKNOWN)
        credential_id = record.principal.credential_id
        if record.revoked:
            revoked = Unauthorized("revoked API key", error="invalid_token")
            raise CredentialRefused(revoked, Refusal.REVOKED, credential_id)
        if record.expires_at <= now:
            expired = Unauthorized("expired API key", error="invalid_token")
            raise CredentialRefused(expired, Refusal.EXPIRED, credential_id)
        if record.networks and not allowed(address, record.networks):
            elsewhere = Forbidden("this key may not be used from this address")
            raise CredentialRefused(elsewhere, Refusal.ADDRESS, credential_id)
        return record.principal

    def forget(self, digests: list[bytes]) -> None:
        for digest in digests:
            self._records.pop(digest)


def _malformed(secret: str) -> CredentialRefused:
    """Not an API key. A public id sent alone is told what it lacks, since it is a credential's half: the
    caller holds the right key and used the wrong scheme."""
    message = "malformed API key"
    if keys.well_formed(secret, *PUBLIC_FORMATS["signing_key"]):
        message = (
            "this is a signing key's public id: sign the request with X-Nonce and X-Signature "
            "(docs/api.md, signed requests)"
        )
    elif keys.well_formed(secret, *PUBLIC_FORMATS["oauth_client"]):
        message = "this is an OAuth client id: exchange it for an access token at POST /v1/oauth/token"
    return CredentialRefused(Unauthorized(message, error="invalid_token"), Refusal.MALFORMED)


def allowed(address: str | None, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


def load(conn: sa.Connection, digest: bytes) -> KeyRecord | None:
    row = store.api_key_by_hash(conn, digest)
    if row is None:
        return None
    # A key made by a key lives no longer than its makers, and is refused once one of them is revoked.
    makers = lineage.makers(conn, row)
    expires_at = row.secret_expires_at
    if makers.expires_at is not None and makers.expires_at < expires_at:
        expires_at = makers.expires_at
    return KeyRecord(
        principal=principal_for(conn, row),
        expires_at=expires_at,
        revoked=row.revoked_at is not None or row.secret_revoked_at is not None or makers.revoked,
        networks=networks_of(row),
    )


def principal_for(conn: sa.Connection, row: Any, scopes: frozenset[str] | None = None) -> Principal:
    """The Principal of a credential row, for every scheme; `scopes` narrows it (an OAuth token's scope)."""
    organization = accounts_store.organization_by_id(conn, row.organization_id)
    listed = set(row.workspace_ids)
    if row.workspace_mode == "all":
        everything = accounts_store.workspace_ids_of(conn, row.organization_id)
        reach = frozenset(w for w in everything if w not in listed)
    else:
        reach = frozenset(listed)
    held = frozenset(row.scopes) if scopes is None else frozenset(row.scopes) & scopes
    membership = Membership(row.organization_id, organization.slug, organization.name, "key", (), held)
    return Principal(
        kind=row.kind,
        user_id=None,
        email=None,
        credential_id=row.id,
        memberships={row.organization_id: membership},
        workspace_ids=reach,
        device_group_id=row.device_group_id,
        units=dict(row.units),
    )


def networks_of(row: Any) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in row.ip_allowlist)
