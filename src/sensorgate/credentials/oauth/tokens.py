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

from sensorgate.auth.principal import Principal
from sensorgate.auth.refusals import CredentialRefused, Refusal
from sensorgate.credentials import lineage
from sensorgate.credentials.oauth import store
from sensorgate.credentials.oauth.jwt_keys import ALGORITHM, KeyRing
from sensorgate.credentials.verify import CACHE_SECONDS, Network, allowed, networks_of, principal_for
from sensorgate.db.engine import Database
from sensorgate.kit.cache import MISSING, TTLCache
from sensorgate.kit.errors import Forbidden, Unauthorized

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
    """The database's word on a token. `refusal` is (reason, message) when it no longer works."""

    credential_id: int | None
    principal: Principal | None
    refusal: tuple[Refusal, str] | None
    secret_expires_at: datetime | None
    networks: tuple[Network, ...]


class BadToken(Exception):
    """A token that is not a well-formed, correctly signed access token of ours."""

    def __init__(self, reason: Refusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # for /metrics
        self.message = message


class TokenVerifier:
    def __init__(self, db: Database, keys: KeyRing, issuer: str, audience: str) -> None:
        self.db = db
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        # A token never changes, so its verified claims are kept until the cache fills up; its state for a second.
        self._claims: TTLCache[str, Claims] = TTLCache(float("inf"))
        self._states: TTLCache[str, TokenState] = TTLCache(CACHE_SECONDS)

    async def verify(self, token: str, address: str | None, user_agent: str | None, now: datetime) -> Principal:
        claims = self._claims.get(token)
        if claims is MISSING:
            try:
                decoded = await self.decode(token)
            except BadToken as bad:
                raise CredentialRefused(Unauthorized(bad.message, error="invalid_token"), bad.reason) from None
            self._claims.put(token, decoded)
            claims = decoded
        clock = time.monotonic()
        state = self._states.get(token, clock)
        if state is MISSING:
            loaded = await self.db.read(load_state, claims)
            self._states.put(token, loaded, clock)
            state = loaded
        if state.credential_id is None:
            unknown = Unauthorized("access token of an unknown OAuth client", error="invalid_token")
            raise CredentialRefused(unknown, Refusal.UNKNOWN)
        refusal = refusal_of(claims, state, now)
        if refusal is not None:
            reason, message = refusal
            raise CredentialRefused(Unauthorized(message, error="invalid_token"), reason, state.credential_id)
        if state.networks and not allowed(address, state.networks):
            elsewhere = Forbidden("this client may not be used from this address")
            raise CredentialRefused(elsewhere, Refusal.ADDRESS, state.credential_id)
        assert state.principal is not None
        return state.principal

    async def decode(self, token: str) -> Claims:
        """The claims of a token this service signed for itself, or BadToken naming what is wrong with it."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            _refuse(Refusal.MALFORMED, "malformed access token")
        if str(header.get("typ", "")).lower() not in TOKEN_TYPES:
            _refuse(Refusal.MALFORMED, "not an access token: its typ must be at+jwt")
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str):
            _refuse(Refusal.MALFORMED, f"malformed access token: it needs alg {ALGORITHM} and a kid")
        key = await self.keys.public_key(kid)
        if key is None:
            _refuse(Refusal.UNKNOWN, "access token signed with an unknown key id")
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
            _refuse(Refusal.SIGNATURE, "bad access token signature")
        except jwt.InvalidAudienceError:
            _refuse(Refusal.MALFORMED, "access token for another audience")
        except jwt.InvalidIssuerError:
            _refuse(Refusal.MALFORMED, "access token from another issuer")
        except jwt.PyJWTError:
            _refuse(Refusal.MALFORMED, "malformed access token")
        return _claims(payload)

    def forget(self, token: str) -> None:
        self._states.pop(token)

    def forget_client(self, credential_id: int) -> None:
        """After a revocation here: re-read every cached token of that client on its next use (rare, so a scan)."""
        self._states.pop_where(lambda state: state.credential_id == credential_id)


def _refuse(reason: Refusal, message: str) -> NoReturn:
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
        _refuse(Refusal.MALFORMED, "malformed access token")
    return Claims(client_id, int(secret), jti, scope, frozenset(scope.split()), iat, exp)


def refusal_of(claims: Claims, state: TokenState, now: datetime) -> tuple[Refusal, str] | None:
    """(reason, message) when a token of a known client does not work at `now`, else None."""
    if claims.exp <= now.timestamp():
        return Refusal.EXPIRED, "expired access token"
    if state.refusal is not None:
        return state.refusal
    if state.secret_expires_at is not None and state.secret_expires_at <= now:
        return Refusal.EXPIRED, "the client secret that obtained this access token has expired"
    return None


def load_state(conn: sa.Connection, claims: Claims) -> TokenState:
    row = store.client(conn, claims.client_id)
    if row is None:
        return TokenState(None, None, None, None, ())
    secret = store.client_secret(conn, row.id, claims.secret_id)
    makers = lineage.makers(conn, row)
    refusal = None
    if row.revoked_at is not None or row.deleted_at is not None or makers.revoked:
        refusal = (Refusal.REVOKED, "the OAuth client of this access token has been revoked")
    elif secret is None or secret.revoked_at is not None:
        refusal = (Refusal.REVOKED, "the client secret that obtained this access token has been revoked")
    elif store.token_revoked(conn, claims.jti):
        refusal = (Refusal.REVOKED, "revoked access token")
    principal = None if refusal else principal_for(conn, row, claims.scopes)
    expires = None if secret is None else secret.expires_at
    if expires is not None and makers.expires_at is not None and makers.expires_at < expires:
        expires = makers.expires_at  # a client made by a key lives no longer than the keys that made it
    return TokenState(row.id, principal, refusal, expires, networks_of(row))
