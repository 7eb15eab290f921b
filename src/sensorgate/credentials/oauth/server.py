"""OAuth2 client credentials (RFC 6749 §4.4): issuing access tokens, revoking them (RFC 7009) and
introspecting them (RFC 7662). No HTTP objects here: the routes pass the parsed form and the Authorization header.

A client is a credential of kind oauth_client: its public id is the client_id, and each of its live secrets is a
client_secret, compared by keyed hash in constant time. An access token is an RFC 9068 JWT signed with the
current key of jwt_keys.py; its scope narrows the client's, and it never outlives the secret that obtained it.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
import sqlalchemy as sa

from sensorgate.auth.guard import Usage
from sensorgate.auth.principal import Principal
from sensorgate.auth.refusals import Refusal
from sensorgate.credentials import lineage
from sensorgate.credentials.minting import PUBLIC_FORMATS
from sensorgate.credentials.oauth import requests, store
from sensorgate.credentials.oauth.jwt_keys import ALGORITHM, KeyRing
from sensorgate.credentials.oauth.schemas import IntrospectionOut, TokenOut
from sensorgate.credentials.oauth.throttle import RateState, TokenThrottle
from sensorgate.credentials.oauth.tokens import BadToken, Claims, TokenVerifier, load_state, refusal_of
from sensorgate.credentials.service import Origin, audit
from sensorgate.credentials.verify import Network, allowed, networks_of
from sensorgate.db.engine import Database
from sensorgate.kit import keys
from sensorgate.kit.crypto import KeyedHasher
from sensorgate.kit.errors import InvalidClient, OAuthError
from sensorgate.kit.times import iso
from sensorgate.settings import Settings

# The client's plan says how many token requests it may make per 15 minutes (usage/limits.py gives it).
TokenLimit = Callable[[int], Awaitable[int]]

# Token types (RFC 9068, RFC 6750).
JWT_TYPE = "at+jwt"
BEARER = "Bearer"
UNKNOWN_CLIENT = "client authentication failed: unknown client_id or wrong client_secret"


@dataclass(frozen=True, slots=True)
class Client:
    """An authenticated client, and the secret it authenticated with."""

    credential_id: int
    organization_id: int
    client_id: str
    scopes: list[str]
    networks: tuple[Network, ...]
    secret_id: int
    secret_expires_at: datetime


@dataclass(frozen=True, slots=True)
class ClientRefusal:
    error: OAuthError
    credential_id: int | None = None  # a known client's refusals go to its usage log...
    reason: Refusal | None = None  # ...under this reason


class OAuthServer:
    """The token, revocation and introspection endpoints' rules, and the verifier of the tokens they issue."""

    def __init__(self, settings: Settings, db: Database, usage: Usage, token_limit: TokenLimit) -> None:
        self.db = db
        self.token_limit = token_limit
        self.usage = usage
        self.issuer = settings.oauth_issuer
        self.audience = settings.oauth_audience
        self.lifetime = timedelta(seconds=settings.token_lifetime_seconds)
        self.keys = KeyRing(db, settings.master_key_bytes, timedelta(days=settings.jwt_rotation_days), self.lifetime)
        self.tokens = TokenVerifier(db, self.keys, self.issuer, self.audience)
        self.throttle = TokenThrottle(settings.redis_url, settings.redis_prefix)
        self._hash = KeyedHasher(settings.hash_pepper)

    async def token(
        self, form: dict[str, str], authorization: str | None, origin: Origin
    ) -> tuple[TokenOut, RateState | None]:
        """A new access token for the client, and the state of its rate limit."""
        presented = requests.client_credentials(form, authorization)
        requests.check_grant_type(form)
        client = await self._authenticate(presented, origin)
        scopes = requests.granted_scopes(client.scopes, form.get("scope"))
        if client.networks and not allowed(origin.ip, client.networks):
            self.usage.refused(client.credential_id, Refusal.ADDRESS, origin.ip, origin.user_agent)
            raise OAuthError("invalid_grant", "this client may not obtain tokens from this address")
        rate = await self.throttle.take(client.client_id, await self.token_limit(client.credential_id))
        issued = await self.db.write(self._issue, client, scopes, origin)
        return issued, rate

    async def revoke(self, form: dict[str, str], authorization: str | None, origin: Origin) -> None:
        """RFC 7009: end one of the client's own tokens. A token that is not ours, or already expired, needs
        nothing done and gets the same 200."""
        client, token, claims = await self._client_and_token(form, authorization, origin)
        if claims is None:
            return
        if claims.client_id != client.client_id:
            raise OAuthError("unauthorized_client", "this token was issued to another client")
        if claims.exp > origin.now.timestamp():
            await self.db.write(_record_revocation, client, claims, origin)
        self.tokens.forget(token)

    async def introspect(self, form: dict[str, str], authorization: str | None, origin: Origin) -> IntrospectionOut:
        """RFC 7662, for the client's own tokens; the database is asked afresh, not through the 1 s cache."""
        client, _, claims = await self._client_and_token(form, authorization, origin)
        if claims is None:
            return IntrospectionOut(active=False)
        if claims.client_id != client.client_id:
            return IntrospectionOut(active=False)
        state = await self.db.read(load_state, claims)
        if state.credential_id is None or refusal_of(claims, state, origin.now) is not None:
            return IntrospectionOut(active=False)
        return IntrospectionOut(
            active=True,
            scope=claims.scope,
            client_id=claims.client_id,
            sub=claims.client_id,
            exp=claims.exp,
            iat=claims.iat,
            iss=self.issuer,
            aud=self.audience,
            jti=claims.jti,
            token_type=BEARER,
        )

    async def _client_and_token(
        self, form: dict[str, str], authorization: str | None, origin: Origin
    ) -> tuple[Client, str, Claims | None]:
        """The authenticated client of a revocation or introspection, its `token`, and the token's claims (None:
        not a token of ours)."""
        presented = requests.client_credentials(form, authorization)
        token = requests.required(form, "token")
        client = await self._authenticate(presented, origin)
        try:
            return client, token, await self.tokens.decode(token)
        except BadToken:
            return client, token, None

    async def _authenticate(self, presented: requests.Presented, origin: Origin) -> Client:
        # Hash before asking the database, known client or not, so that the time taken tells nothing.
        digest = self._hash(presented.secret)
        # Only a well-formed public id is looked up: anything else (a NUL byte, say) is simply unknown. A signing
        # key's id passes, so that presenting one is told apart (unauthorized_client).
        if not any(keys.well_formed(presented.client_id, *form) for form in PUBLIC_FORMATS.values()):
            raise InvalidClient(UNKNOWN_CLIENT)
        found = await self.db.read(authenticate, presented.client_id, digest, origin.now)
        if isinstance(found, ClientRefusal):
            if found.credential_id is not None and found.reason is not None:
                self.usage.refused(found.credential_id, found.reason, origin.ip, origin.user_agent)
            raise found.error
        return found

    def _issue(self, conn: sa.Connection, client: Client, scopes: list[str], origin: Origin) -> TokenOut:
        signing = self.keys.signing_key(conn, origin.now)
        issued_at = int(origin.now.timestamp())
        expires = min(issued_at + int(self.lifetime.total_seconds()), int(client.secret_expires_at.timestamp()))
        # The secret's id in the jti ties the token to that secret: ending the secret ends the token (tokens.py).
        jti = f"{client.secret_id}.{secrets.token_urlsafe(16)}"
        scope = " ".join(scopes)
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": client.client_id,
            "client_id": client.client_id,
            "iat": issued_at,
            "exp": expires,
            "jti": jti,
            "scope": scope,
        }
        token = jwt.encode(
            claims, signing.private_key, algorithm=ALGORITHM, headers={"kid": signing.kid, "typ": JWT_TYPE}
        )
        details = {"jti": jti, "scope": scope, "expiresAt": iso(datetime.fromtimestamp(expires, origin.now.tzinfo))}
        audit(conn, _actor(client), client.organization_id, client.credential_id, "token_issued", origin, details)
        return TokenOut(access_token=token, token_type=BEARER, expires_in=expires - issued_at, scope=scope)


def authenticate(conn: sa.Connection, client_id: str, digest: bytes, now: datetime) -> Client | ClientRefusal:
    """The client whose secret has this keyed hash, or why there is none.

    The secret is checked before the client's state, so that only a caller who holds a secret learns that the
    client is revoked or the secret expired.
    """
    row = store.credential_by_public_id(conn, client_id)
    if row is None or row.deleted_at is not None:
        return ClientRefusal(InvalidClient(UNKNOWN_CLIENT))
    matched = None
    for secret in store.secrets_of(conn, row.id):
        # Every stored hash is compared, in constant time, whichever matches.
        if secret.secret_hash is not None and hmac.compare_digest(secret.secret_hash, digest):
            matched = secret
    if matched is None:
        return ClientRefusal(InvalidClient(UNKNOWN_CLIENT), row.id, Refusal.SECRET)
    if row.kind != "oauth_client":
        message = f"this credential is a {row.kind}; only oauth_client credentials may use client_credentials"
        return ClientRefusal(OAuthError("unauthorized_client", message))
    makers = lineage.makers(conn, row)
    if row.revoked_at is not None or makers.revoked:
        return ClientRefusal(InvalidClient("this client has been revoked"), row.id, Refusal.REVOKED)
    if matched.revoked_at is not None:
        return ClientRefusal(InvalidClient("this client secret has been revoked"), row.id, Refusal.REVOKED)
    # A client made by a key lives no longer than the keys that made it.
    secret_expires_at = matched.expires_at
    if makers.expires_at is not None and makers.expires_at < secret_expires_at:
        secret_expires_at = makers.expires_at
    # A secret with less than a second left would yield a token that is already expired.
    if secret_expires_at <= now + timedelta(seconds=1):
        return ClientRefusal(
            InvalidClient("this client secret has expired; reissue the client"), row.id, Refusal.EXPIRED
        )
    return Client(
        credential_id=row.id,
        organization_id=row.organization_id,
        client_id=client_id,
        scopes=list(row.scopes),
        networks=networks_of(row),
        secret_id=matched.id,
        secret_expires_at=secret_expires_at,
    )


def _record_revocation(conn: sa.Connection, client: Client, claims: Claims, origin: Origin) -> None:
    expires_at = datetime.fromtimestamp(claims.exp, origin.now.tzinfo)
    if store.add_revoked_token(conn, claims.jti, client.credential_id, origin.now, expires_at):
        # The first revocation of this token, not a repeat.
        details = {"jti": claims.jti}
        audit(conn, _actor(client), client.organization_id, client.credential_id, "token_revoked", origin, details)


def purge_revoked_tokens(conn: sa.Connection, now: datetime) -> int:
    """Revocations of tokens that have expired anyway: nothing can present them any more."""
    return store.delete_revoked_tokens_before(conn, now)


def _actor(client: Client) -> Principal:
    return Principal(kind="oauth_client", user_id=None, email=None, credential_id=client.credential_id)
