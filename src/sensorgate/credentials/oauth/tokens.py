"""Verifying an OAuth2 access token (a JWT of RFC 9068) presented as `Authorization: Bearer`.

Two caches keep Ed25519 and the database off the hot path:
- the claims of each token whose signature, typ, iss and aud checked out, by token string: a token never
  changes, so the entry holds until the cache is full and is cleared;
- what the database says about the token (its client, the client secret that obtained it, its own revocation),
  re-read at most every CACHE_SECONDS. Revoking the client, its secret or the token therefore reaches every
  process within that second, as with API keys (credentials/verify.py).

A token names the client secret that obtained it in its jti (`<secret id>.<random>`), so that reissuing a client
with `oldSecretExpiresAt` also ends the tokens obtained with the old secret.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

import jwt
import sqlalchemy as sa

from sensorgate.accounts.principal import Principal
from sensorgate.credentials.models import credential_secrets, credentials
from sensorgate.credentials.oauth.jwt_keys import ALGORITHM, KeyRing
from sensorgate.credentials.oauth.models import revoked_tokens
from sensorgate.credentials.verify import Network, allowed, networks_of, principal_for
from sensorgate.db.engine import Database
from sensorgate.kit import metrics
from sensorgate.kit.errors import Forbidden, Unauthorized
from sensorgate.usage.recorder import UsageRecorder

CACHE_SECONDS = 1.0
CACHE_MAX = 100_000
TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})  # RFC 9068 §4
REQUIRED = ["iss", "aud", "sub", "client_id", "iat", "exp", "jti", "scope"]


@dataclass(frozen=True, slots=True)
class Claims:
    client_id: str
    secret_id: int
    jti: str
    scope: str
    scopes: frozenset[str]
    iat: int
    exp: int


@dataclass(frozen=True, slots=True)
class TokenState:
    """The database's word on a token. `refusal` is (usage-log reason, message) when it no longer works."""

    credential_id: int | None
    principal: Principal | None
    refusal: tuple[str, str] | None
    secret_expires_at: datetime | None
    networks: tuple[Network, ...]


class BadToken(Exception):
    """A token that is not a well-formed, correctly signed access token of ours."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # for /metrics
        self.message = message


@dataclass(slots=True)
class _Entry:
    claims: Claims
    state: TokenState | None = None
    fresh_until: float = float("-inf")


class TokenVerifier:
    def __init__(self, db: Database, keys: KeyRing, usage: UsageRecorder, issuer: str, audience: str) -> None:
        self.db = db
        self.keys = keys
        self.usage = usage
        self.issuer = issuer
        self.audience = audience
        self._cache: dict[str, _Entry] = {}

    async def verify(self, token: str, address: str | None, user_agent: str | None, now: datetime) -> Principal:
        entry = self._cache.get(token)
        if entry is None:
            try:
                entry = _Entry(await self.decode(token))
            except BadToken as bad:
                metrics.key_refused(bad.reason)
                raise Unauthorized(bad.message, error="invalid_token") from None
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            self._cache[token] = entry
        clock = time.monotonic()
        if entry.state is None or entry.fresh_until <= clock:
            entry.state = await self.db.read(load_state, entry.claims)
            entry.fresh_until = clock + CACHE_SECONDS
        state = entry.state
        if state.credential_id is None:
            metrics.key_refused("unknown")
            raise Unauthorized("access token of an unknown OAuth client", error="invalid_token")
        refusal = refusal_of(entry.claims, state, now)
        if refusal is not None:
            reason, message = refusal
            metrics.key_refused(reason)
            self.usage.refused(state.credential_id, reason, address, user_agent)
            raise Unauthorized(message, error="invalid_token")
        if state.networks and not allowed(address, state.networks):
            metrics.key_refused("address")
            self.usage.refused(state.credential_id, "address", address, user_agent)
            raise Forbidden("this client may not be used from this address")
        assert state.principal is not None
        return state.principal

    async def decode(self, token: str) -> Claims:
        """The claims of a token this service signed for itself, or BadToken naming what is wrong with it."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            _refuse("malformed", "malformed access token")
        if str(header.get("typ", "")).lower() not in TOKEN_TYPES:
            _refuse("malformed", "not an access token: its typ must be at+jwt")
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str):
            _refuse("malformed", f"malformed access token: it needs alg {ALGORITHM} and a kid")
        key = await self.keys.public_key(kid)
        if key is None:
            _refuse("unknown", "access token signed with an unknown key id")
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                # Expiry is checked on every use, against the cached claims; iat is ours and may be a
                # second ahead of a host whose clock is a little behind.
                options={"verify_exp": False, "verify_iat": False, "require": REQUIRED},
            )
        except jwt.InvalidSignatureError:
            _refuse("signature", "bad access token signature")
        except jwt.InvalidAudienceError:
            _refuse("malformed", "access token for another audience")
        except jwt.InvalidIssuerError:
            _refuse("malformed", "access token from another issuer")
        except jwt.PyJWTError:
            _refuse("malformed", "malformed access token")
        return _claims(payload)

    def forget(self, token: str) -> None:
        self._cache.pop(token, None)

    def forget_client(self, credential_id: int) -> None:
        """After a revocation here: re-read every cached token of that client on its next use (rare, so a scan)."""
        for entry in self._cache.values():
            if entry.state is not None and entry.state.credential_id == credential_id:
                entry.fresh_until = float("-inf")


def _refuse(reason: str, message: str) -> NoReturn:
    raise BadToken(reason, message)


def _claims(payload: dict[str, Any]) -> Claims:
    client_id, jti, scope = payload["client_id"], payload["jti"], payload["scope"]
    secret, _, _ = str(jti).partition(".")
    exp, iat = payload["exp"], payload["iat"]
    if (
        not isinstance(client_id, str)
        or payload["sub"] != client_id
        or not isinstance(scope, str)
        or not isinstance(exp, int)
        or not isinstance(iat, int)
        or not secret.isdigit()
    ):
        _refuse("malformed", "malformed access token")
    return Claims(client_id, int(secret), jti, scope, frozenset(scope.split()), iat, exp)


def refusal_of(claims: Claims, state: TokenState, now: datetime) -> tuple[str, str] | None:
    """(usage-log reason, message) when a token of a known client does not work at `now`, else None."""
    if claims.exp <= now.timestamp():
        return "expired", "expired access token"
    if state.refusal is not None:
        return state.refusal
    if state.secret_expires_at is not None and state.secret_expires_at <= now:
        return "expired", "the client secret that obtained this access token has expired"
    return None


def load_state(conn: sa.Connection, claims: Claims) -> TokenState:
    row = conn.execute(
        sa.select(credentials).where(credentials.c.public_id == claims.client_id, credentials.c.kind == "oauth_client")
    ).first()
    if row is None:
        return TokenState(None, None, None, None, ())
    secret = conn.execute(
        sa.select(credential_secrets.c.expires_at, credential_secrets.c.revoked_at).where(
            credential_secrets.c.id == claims.secret_id, credential_secrets.c.credential_id == row.id
        )
    ).first()
    revoked = conn.execute(sa.select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == claims.jti)).first()
    refusal = None
    if row.revoked_at is not None or row.deleted_at is not None:
        refusal = ("revoked", "the OAuth client of this access token has been revoked")
    elif secret is None or secret.revoked_at is not None:
        refusal = ("revoked", "the client secret that obtained this access token has been revoked")
    elif revoked is not None:
        refusal = ("revoked", "revoked access token")
    principal = None if refusal else principal_for(conn, row, claims.scopes)
    return TokenState(row.id, principal, refusal, None if secret is None else secret.expires_at, networks_of(row))
