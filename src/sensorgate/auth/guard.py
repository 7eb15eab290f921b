"""Authentication happens here, once per request, and yields a Principal.

A credential may come as `X-API-Key`, `ApiKey` or `Authorization: Bearer` (and as `bearer:` on the routes that
say so): an API key, an OAuth access token (a JWT), or, with `X-Signature`, a signing key's public id; without
one, the console session cookie is used.
Routes that need a caller declare a `principal` parameter, and the scope they need in `opt={"scope": ...}`;
none reads credential headers itself.

Then, for a credential: the scope check (a request refused for a missing scope is refused before it counts),
its rate limit, and its use is counted. Every refusal of a known credential goes to its usage; every refusal
to /metrics.

The guard calls the verifiers of credentials/, the sessions of accounts/ and the limiter and usage counters of
usage/ through the small interfaces below; app.py builds it with the real objects. Those packages import auth
for Principal and Scope, so auth must not import them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from litestar import Request
from litestar.datastructures import Cookie

from sensorgate.auth.principal import Principal
from sensorgate.auth.refusals import CredentialRefused, Refusal
from sensorgate.kit import metrics
from sensorgate.kit.context import CREDENTIAL_KEY, RATE_LIMIT_KEY, RATE_VERDICT_KEY, get_context
from sensorgate.kit.errors import Forbidden, TooManyRequests, Unauthorized
from sensorgate.kit.times import utcnow

SESSION_COOKIE = "sg_session"
CSRF_COOKIE = "sg_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"  # the console's forms carry the token in this field
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A route with this in its opt also takes the credential in a `bearer: <token>` header, as Ardexa's clients send it.
BEARER_HEADER = "bearer_header"


@dataclass(frozen=True, slots=True)
class ResolvedSession:
    principal: Principal
    csrf_hash: bytes


class Sessions(Protocol):
    """Console sessions (accounts/sessions.py)."""

    async def resolve(self, token: str, now: datetime) -> ResolvedSession | None: ...

    def csrf_matches(self, given: str, expected_hash: bytes) -> bool: ...


class PresentedSecret(Protocol):
    """A scheme whose whole credential is one secret: API keys, OAuth access tokens."""

    async def verify(self, secret: str, address: str, user_agent: str | None, now: datetime) -> Principal: ...


class SignedRequests(Protocol):
    """Signed requests, which need the request itself: its nonce, signature and body."""

    async def verify(
        self, request: Request[Any, Any, Any], public_id: str, address: str, user_agent: str | None, now: datetime
    ) -> Principal: ...


class Verdict(Protocol):
    allowed: bool
    retry_after: int
    reason: str  # "window" or "daily"
    headers: list[tuple[bytes, bytes]]
    limit: int
    remaining: int
    reset: int


class Limiter(Protocol):
    """Per-credential rate limits (usage/limits.py)."""

    async def take(self, credential_id: int) -> Verdict | None: ...


class Usage(Protocol):
    """Per-credential usage counters (usage/recorder.py)."""

    def used(self, credential_id: int, ip: str | None, user_agent: str | None, scope: str | None) -> None: ...

    def refused(self, credential_id: int, reason: str, ip: str | None, user_agent: str | None) -> None: ...


@dataclass(frozen=True, slots=True)
class Guard:
    sessions: Sessions
    api_keys: PresentedSecret
    access_tokens: PresentedSecret
    signed: SignedRequests
    limits: Limiter
    usage: Usage

    async def principal(self, request: Request[Any, Any, Any]) -> Principal:
        """The request's Principal, or the 401, 403 or 429 that refuses it. The `principal` dependency."""
        secret = presented_key(request)
        if secret is None:
            principal = await self._session_principal(request)
            _check_scope(request, principal)
            return principal
        address = client_address(request)
        user_agent = request.headers.get("user-agent")
        try:
            principal = await self._credential_principal(request, secret, address, user_agent)
            assert principal.credential_id is not None
            try:
                _check_scope(request, principal)
            except Forbidden as refused:
                raise CredentialRefused(refused, Refusal.SCOPE, principal.credential_id) from None
            verdict = await self.limits.take(principal.credential_id)
            if verdict is not None:
                # web/middleware.py adds these to the response, whatever it turns out to be (429s included).
                request.scope[RATE_LIMIT_KEY] = verdict.headers  # type: ignore[literal-required]
                if not verdict.allowed:
                    # A dialect may restate the refusal in headers of its own (Akenza's X-RateLimit-*).
                    request.scope[RATE_VERDICT_KEY] = verdict  # type: ignore[literal-required]
                    what = "daily quota" if verdict.reason == "daily" else "rate limit"
                    error = TooManyRequests(
                        f"this key's {what} is used up; see the RateLimit headers", verdict.retry_after
                    )
                    raise CredentialRefused(error, Refusal.LIMIT, principal.credential_id)
        except CredentialRefused as refused:
            charge(refused, self.usage, address, user_agent)
            context = get_context(request.scope)
            context.credential_id, context.refusal = refused.credential_id, refused.reason
            context.credential_kind = scheme_kind(request, secret)
            raise refused.error from None
        self.usage.used(principal.credential_id, address, user_agent, scope_used(request))
        context = get_context(request.scope)
        context.credential_id, context.credential_kind = principal.credential_id, principal.kind
        # web/middleware.py charges the answer's points, or its error, to the credential.
        request.scope[CREDENTIAL_KEY] = principal.credential_id  # type: ignore[literal-required]
        return principal

    async def _credential_principal(
        self, request: Request[Any, Any, Any], secret: str, address: str, user_agent: str | None
    ) -> Principal:
        """One branch per credential scheme; each yields the credential's Principal or raises CredentialRefused."""
        kind = scheme_kind(request, secret)
        if kind == "signing_key":
            return await self.signed.verify(request, secret, address, user_agent, utcnow())
        if kind == "oauth_client":
            return await self.access_tokens.verify(secret, address, user_agent, utcnow())
        return await self.api_keys.verify(secret, address, user_agent, utcnow())

    async def _session_principal(self, request: Request[Any, Any, Any]) -> Principal:
        resolved = await self._session(request)
        # A cookie rides along on cross-site requests; the CSRF header cannot, so it proves the page is ours.
        if request.method not in SAFE_METHODS and not self.sessions.csrf_matches(
            request.headers.get(CSRF_HEADER, ""), resolved.csrf_hash
        ):
            raise Forbidden("missing or wrong X-CSRF-Token header; send the csrfToken returned by login")
        return resolved.principal

    async def console_principal(self, request: Request[Any, Any, Any]) -> Principal:
        """The console's caller: a session only, since a page never carries an API key. A form proves it came
        from our page with the CSRF token in its `csrf_token` field (or the header, as the API takes it)."""
        resolved = await self._session(request)
        if request.method not in SAFE_METHODS:
            given = request.headers.get(CSRF_HEADER) or (await request.form()).get(CSRF_FIELD) or ""
            if not self.sessions.csrf_matches(str(given), resolved.csrf_hash):
                raise Forbidden("this form did not come from your console session; reload the page and try again")
        return resolved.principal

    async def _session(self, request: Request[Any, Any, Any]) -> ResolvedSession:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise Unauthorized("authentication required: send an API key, or log in at POST /v1/auth/login")
        resolved = await self.sessions.resolve(token, utcnow())
        if resolved is None:
            raise Unauthorized("session expired or unknown; log in again")
        return resolved


def session_cookies(token: str, csrf_token: str, max_age: int, secure: bool) -> list[Cookie]:
    """The cookies a login sets, for the API and the console alike: the session, HttpOnly, and the CSRF token,
    which the page reads to send it back (SameSite=Strict: no other site's request carries it)."""
    return [
        Cookie(key=SESSION_COOKIE, value=token, httponly=True, samesite="lax", secure=secure, max_age=max_age),
        Cookie(key=CSRF_COOKIE, value=csrf_token, httponly=False, samesite="strict", secure=secure, max_age=max_age),
    ]


def scheme_kind(request: Request[Any, Any, Any], secret: str) -> str:
    """The credential kind a presented secret claims to be, by its form: a signed request's public id, an OAuth
    access token (a JWT: header.payload.signature; keys and public ids never hold a dot), or an API key."""
    if "x-signature" in request.headers:
        return "signing_key"
    if secret.count(".") == 2:
        return "oauth_client"
    return "api_key"


def charge(refused: CredentialRefused, usage: Usage, address: str | None, user_agent: str | None) -> None:
    """Count a refusal: in /metrics always, and in the credential's usage when it is known."""
    metrics.key_refused(refused.reason)
    if refused.credential_id is not None:
        usage.refused(refused.credential_id, refused.reason, address, user_agent)


def scope_used(request: Request[Any, Any, Any]) -> str | None:
    """The credential scope a route exercises, for the usage counters: `opt["uses"]` where the route checks its
    scope in its service (the key routes), else the scope it requires."""
    opt = request.route_handler.opt
    return opt.get("uses") or opt.get("scope")


def _check_scope(request: Request[Any, Any, Any], principal: Principal) -> None:
    needed = request.route_handler.opt.get("scope")
    if needed and not principal.organizations_with(needed):
        raise Forbidden(f"this needs the {needed} scope")


def presented_key(request: Request[Any, Any, Any]) -> str | None:
    headers = request.headers
    found = {v.strip() for v in (headers.get("x-api-key"), headers.get("apikey")) if v}
    authorization = headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        found.add(authorization[7:].strip())
    if "bearer" in headers and request.route_handler.opt.get(BEARER_HEADER):
        found.add(headers["bearer"].strip())
    if len(found) > 1:
        raise Unauthorized("send one credential, in one header", error="invalid_request")
    return found.pop() if found else None


def client_address(request: Request[Any, Any, Any]) -> str:
    client = request.scope.get("client")
    return client[0] if client else "unknown"
