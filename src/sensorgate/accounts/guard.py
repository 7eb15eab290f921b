"""Authentication happens here, once per request, and yields a Principal.

A credential may come as `X-API-Key`, `ApiKey` or `Authorization: Bearer`: an API key, an OAuth access token
(a JWT), or, with `X-Signature`, a signing key's public id; without one, the console session cookie is used.
Routes that need a caller declare a `principal` parameter, and the scope they need in `opt={"scope": ...}`;
none reads credential headers itself.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from sensorgate.accounts.principal import Principal
from sensorgate.accounts.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_matches, resolve_session
from sensorgate.kit import metrics
from sensorgate.kit.errors import Forbidden, TooManyRequests, Unauthorized
from sensorgate.kit.times import utcnow
from sensorgate.usage.limits import SCOPE_KEY as RATE_LIMIT_KEY
from sensorgate.usage.recorder import CREDENTIAL_KEY
from sensorgate.web.state import AppStateDep

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def provide_principal(request: Request[Any, Any, Any], app_state: AppStateDep) -> Principal:
    secret = presented_key(request)
    if secret is None:
        principal = await _session_principal(request, app_state)
        _check_scope(request, principal)
        return principal
    address = client_address(request)
    user_agent = request.headers.get("user-agent")
    principal = await _credential_principal(request, app_state, secret, address, user_agent)
    assert principal.credential_id is not None
    try:
        _check_scope(request, principal)
    except Forbidden:
        metrics.key_refused("scope")
        app_state.usage.refused(principal.credential_id, "scope", address, user_agent)
        raise
    verdict = await app_state.limits.take(principal.credential_id)
    if verdict is not None:
        # service/middleware.py adds these to the response, whatever it turns out to be (429s included).
        request.scope[RATE_LIMIT_KEY] = verdict.headers  # type: ignore[literal-required]
        if not verdict.allowed:
            metrics.key_refused("limit")
            app_state.usage.refused(principal.credential_id, "limit", address, user_agent)
            what = "daily quota" if verdict.reason == "daily" else "rate limit"
            raise TooManyRequests(f"this key's {what} is used up; see the RateLimit headers", verdict.retry_after)
    app_state.usage.used(principal.credential_id, address, user_agent)
    # service/middleware.py charges the answer's points, or its error, to the credential.
    request.scope[CREDENTIAL_KEY] = principal.credential_id  # type: ignore[literal-required]
    return principal


async def _credential_principal(
    request: Request[Any, Any, Any], app_state: AppStateDep, secret: str, address: str, user_agent: str | None
) -> Principal:
    """One branch per credential scheme; each yields the credential's Principal or raises its 401 or 403."""
    if "x-signature" in request.headers:
        return await app_state.signed.verify(request, secret, address, user_agent, utcnow())
    if secret.count(".") == 2:
        # A JWT (header.payload.signature): an OAuth access token. Keys and public ids never hold a dot.
        return await app_state.oauth.tokens.verify(secret, address, user_agent, utcnow())
    return await app_state.keys.verify(secret, address, user_agent, utcnow())


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
    if len(found) > 1:
        raise Unauthorized("send one credential, in one header", error="invalid_request")
    return found.pop() if found else None


async def _session_principal(request: Request[Any, Any, Any], app_state: AppStateDep) -> Principal:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthorized("authentication required: send an API key, or log in at POST /v1/auth/login")
    pepper = app_state.settings.hash_pepper
    resolved = await app_state.db.read(resolve_session, pepper, token, utcnow())
    if resolved is None:
        raise Unauthorized("session expired or unknown; log in again")
    # A cookie rides along on cross-site requests; the CSRF header cannot, so it proves the page is ours.
    if request.method not in SAFE_METHODS and not csrf_matches(
        pepper, request.headers.get(CSRF_HEADER, ""), resolved.csrf_hash
    ):
        raise Forbidden("missing or wrong X-CSRF-Token header; send the csrfToken returned by login")
    return resolved.principal


def client_address(request: Request[Any, Any, Any]) -> str:
    client = request.scope.get("client")
    return client[0] if client else "unknown"
