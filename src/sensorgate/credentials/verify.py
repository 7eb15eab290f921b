"""Verifying an API key: format and checksum first (no database), then the keyed hash, through a cache.

The cache maps a secret's hash to what the database said about it, for at most CACHE_SECONDS. A revocation
in this process drops its entries at once; another process drops them when they age out, so a revocation
takes effect everywhere within CACHE_SECONDS (1 s). An unknown key is cached too, so a flood of made-up but
well-formed keys costs one query per key per second, not one per request.

A refusal of a known key (revoked, expired, wrong address) goes to its usage log; malformed and unknown keys
belong to no credential, so they are only counted in /metrics.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

import sqlalchemy as sa

from sensorgate.accounts.models import organizations, workspaces
from sensorgate.accounts.principal import Membership, Principal
from sensorgate.credentials.models import credential_secrets, credentials
from sensorgate.db.engine import Database
from sensorgate.kit import keys, metrics
from sensorgate.kit.crypto import KeyedHasher
from sensorgate.kit.errors import Forbidden, Unauthorized
from sensorgate.usage.recorder import UsageRecorder

CACHE_SECONDS = 1.0
CACHE_MAX = 100_000
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class KeyRecord:
    principal: Principal
    expires_at: datetime
    revoked: bool
    networks: tuple[Network, ...]


class KeyVerifier:
    def __init__(self, db: Database, pepper: str, usage: UsageRecorder) -> None:
        self.db = db
        self.pepper = pepper
        self._hash = KeyedHasher(pepper)
        self.usage = usage
        self._cache: dict[bytes, tuple[float, KeyRecord | None]] = {}

    async def verify(self, secret: str, address: str | None, user_agent: str | None, now: datetime) -> Principal:
        if len(secret) != keys.LENGTH:
            self._malformed()
        digest = self._hash(secret)
        clock = time.monotonic()
        cached = self._cache.get(digest)
        if cached is None or cached[0] <= clock:
            # Only a well-formed secret ever enters the cache, so a hit needs no second look at the format;
            # a miss checks it before the database is asked.
            if not keys.well_formed(secret):
                self._malformed()
            record = await self.db.read(load, digest)
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            self._cache[digest] = (clock + CACHE_SECONDS, record)
        else:
            record = cached[1]
        if record is None:
            metrics.key_refused("unknown")
            raise Unauthorized("unknown API key", error="invalid_token")
        if record.revoked:
            self._refuse(record, "revoked", address, user_agent)
            raise Unauthorized("revoked API key", error="invalid_token")
        if record.expires_at <= now:
            self._refuse(record, "expired", address, user_agent)
            raise Unauthorized("expired API key", error="invalid_token")
        if record.networks and not allowed(address, record.networks):
            self._refuse(record, "address", address, user_agent)
            raise Forbidden("this key may not be used from this address")
        return record.principal

    def _malformed(self) -> NoReturn:
        metrics.key_refused("malformed")
        raise Unauthorized("malformed API key", error="invalid_token")

    def _refuse(self, record: KeyRecord, reason: str, address: str | None, user_agent: str | None) -> None:
        metrics.key_refused(reason)
        assert record.principal.credential_id is not None
        self.usage.refused(record.principal.credential_id, reason, address, user_agent)

    def forget(self, digests: list[bytes]) -> None:
        for digest in digests:
            self._cache.pop(digest, None)


def allowed(address: str | None, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in networks)


def load(conn: sa.Connection, digest: bytes) -> KeyRecord | None:
    row = conn.execute(
        sa.select(
            credentials,
            credential_secrets.c.expires_at.label("secret_expires_at"),
            credential_secrets.c.revoked_at.label("secret_revoked_at"),
        )
        .join(credentials, credentials.c.id == credential_secrets.c.credential_id)
        # Only API keys are presented whole; other kinds' secrets never travel as a bearer.
        .where(credential_secrets.c.secret_hash == digest, credentials.c.kind == "api_key")
    ).first()
    if row is None:
        return None
    return KeyRecord(
        principal=principal_for(conn, row),
        expires_at=row.secret_expires_at,
        revoked=row.revoked_at is not None or row.secret_revoked_at is not None,
        networks=networks_of(row),
    )


def principal_for(conn: sa.Connection, row: Any, scopes: frozenset[str] | None = None) -> Principal:
    """The Principal of a credential row, for every scheme; `scopes` narrows it (an OAuth token's scope)."""
    organization = conn.execute(
        sa.select(organizations.c.slug, organizations.c.name).where(organizations.c.id == row.organization_id)
    ).one()
    listed = set(row.workspace_ids)
    if row.workspace_mode == "all":
        everything = conn.execute(
            sa.select(workspaces.c.id).where(workspaces.c.organization_id == row.organization_id)
        ).scalars()
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
