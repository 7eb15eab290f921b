"""The keys that sign access tokens: Ed25519, stored sealed, rotated, and published as a JWKS (RFC 7517).

Rotation. A key signs for `jwt_rotation_days`. When the signing key has LEAD left (a day, or half the period
when that is shorter), its successor is made, starting where it ends: the successor is in the JWKS a day before
its first token, so integrators who cache the JWKS for hours still know it. A key stays published until the
last token it can have signed has expired (its end plus the token lifetime) and is deleted a day after that.
Nothing else ever changes a key row, so a process may cache keys for as long as it likes.

Several processes. Keys are made inside a write transaction with INSERT ... ON CONFLICT (generation) DO NOTHING:
processes that race to make the same generation end up with the one key that was inserted first, and all of
them sign with it. If the clocks of two hosts disagree enough for each to make a key, both keys are valid and
published; nothing depends on there being only one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from sensorgate.credentials.oauth import store
from sensorgate.credentials.oauth.schemas import Jwk, Jwks
from sensorgate.db.engine import Database
from sensorgate.kit.sealing import seal, unseal

ALGORITHM = "EdDSA"
SEALING_PURPOSE = "sensorgate jwt key"
LEAD = timedelta(days=1)
KEPT_AFTER_USE = timedelta(days=1)
# An unknown kid makes the process re-read the keys, at most this often, so made-up kids cannot flood the database.
RELOAD_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey


class KeyRing:
    """This process's view of the signing keys: the private key it signs with and every public key by kid."""

    def __init__(self, db: Database, master_key: bytes, rotation: timedelta, token_lifetime: timedelta) -> None:
        self.db = db
        self.master_key = master_key
        self.rotation = rotation
        self.token_lifetime = token_lifetime
        self._private: dict[str, Ed25519PrivateKey] = {}
        self._public: dict[str, Ed25519PublicKey] = {}
        self._loaded_at = float("-inf")

    def signing_key(self, conn: sa.Connection, now: datetime) -> SigningKey:
        """The key to sign with at `now`, made when due. Call inside a write transaction."""
        row = ensure_keys(conn, now, self.master_key, self.rotation, self.token_lifetime)
        private = self._private.get(row.kid)
        if private is None:
            try:
                raw = unseal(self.master_key, SEALING_PURPOSE, row.sealed_private_key)
            except InvalidTag:
                # Making a new key here instead would make processes with different master keys take turns
                # replacing each other's keys: better to fail loudly and say why.
                raise RuntimeError(
                    f"token-signing key {row.kid} cannot be opened with SENSORGATE_MASTER_KEY: the master key changed, "
                    "or this process has another one. Restore the key, or delete the rows of jwt_keys"
                ) from None
            private = self._private[row.kid] = Ed25519PrivateKey.from_private_bytes(raw)
            self._public[row.kid] = private.public_key()
        return SigningKey(row.kid, private)

    async def public_key(self, kid: str) -> Ed25519PublicKey | None:
        """The public key named `kid`, or None when the database has no such key either."""
        key = self._public.get(kid)
        if key is None and time.monotonic() - self._loaded_at >= RELOAD_SECONDS:
            self._loaded_at = time.monotonic()
            rows = await self.db.read(store.public_keys)
            # Replaced whole: keys deleted from the database leave this process too.
            self._public = {row.kid: Ed25519PublicKey.from_public_bytes(row.public_key) for row in rows}
            key = self._public.get(kid)
        return key

    async def jwks(self, now: datetime) -> Jwks:
        """Every public key that signs now, will sign next, or signed a token that has not expired yet."""
        rows = await self.db.read(store.published_keys, now, self.token_lifetime)
        if not any(row.signs_from <= now < row.signs_until for row in rows):
            # A fresh installation, or one that was off for a whole rotation: make the key before publishing.
            await self.db.write(ensure_keys, now, self.master_key, self.rotation, self.token_lifetime)
            rows = await self.db.read(store.published_keys, now, self.token_lifetime)
        return Jwks(keys=[public_jwk(row.kid, row.public_key) for row in rows])


def ensure_keys(
    conn: sa.Connection, now: datetime, master_key: bytes, rotation: timedelta, token_lifetime: timedelta
) -> Any:
    """The row of the key that signs at `now`, after making it, or its successor, when due."""
    # Every decision below comes from this one read (a handful of rows: retired keys are deleted). Two processes
    # that read the same rows choose the same generation, so the unique constraint lets only one of them make it;
    # a second read, on PostgreSQL's READ COMMITTED, could see another's commit and choose the next one instead.
    keys = store.signing_keys(conn)
    newest = keys[-1].generation if keys else 0
    started = [row for row in keys if row.signs_from <= now < row.signs_until]
    if not started:
        _insert(conn, newest + 1, now, now, now + rotation, master_key)
        _delete_retired(conn, now, token_lifetime)
        # The row may be another process's, if it inserted this generation first: sign with that one.
        return store.signing_key_of_generation(conn, newest + 1)
    current = started[-1]
    if current.signs_until - now <= min(LEAD, rotation / 2) and newest == current.generation:
        _insert(conn, newest + 1, now, current.signs_until, current.signs_until + rotation, master_key)
        # Once a rotation: keys whose last token has expired go, so the table stays a handful of rows.
        _delete_retired(conn, now, token_lifetime)
    return current


def _insert(
    conn: sa.Connection, generation: int, now: datetime, signs_from: datetime, signs_until: datetime, master_key: bytes
) -> None:
    private = Ed25519PrivateKey.generate()
    raw_public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    store.add_signing_key(
        conn,
        {
            "generation": generation,
            "kid": thumbprint(raw_public),
            "algorithm": ALGORITHM,
            "public_key": raw_public,
            "sealed_private_key": seal(master_key, SEALING_PURPOSE, raw_private),
            "created_at": now,
            "signs_from": signs_from,
            "signs_until": signs_until,
        },
    )


def _delete_retired(conn: sa.Connection, now: datetime, token_lifetime: timedelta) -> None:
    store.delete_signing_keys_before(conn, now - token_lifetime - KEPT_AFTER_USE)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def thumbprint(raw_public: bytes) -> str:
    """RFC 7638: the SHA-256 of the key's required members, in this exact order and form, as the kid."""
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw_public)}, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def public_jwk(kid: str, raw_public: bytes) -> Jwk:
    return Jwk(kty="OKP", crv="Ed25519", x=_b64url(raw_public), kid=kid, use="sig", alg=ALGORITHM)
