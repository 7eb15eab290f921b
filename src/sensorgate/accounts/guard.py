"""Authentication happens here, once per request, and yields a Principal.

Routes that need a caller declare a `principal: Principal` parameter; none reads credential headers itself.
The credentials issue adds the API key, signature and token schemes to this same dependency.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from sensorgate.accounts.principal import Principal
from sensorgate.accounts.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_matches, resolve_session
from sensorgate.kit.errors import Forbidden, Unauthorized
from sensorgate.kit.timeutil import utcnow
from sensorgate.service.state import AppStateDep

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def provide_principal(request: Request[Any, Any, Any], app_state: AppStateDep) -> Principal:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthorized("authentication required: log in at POST /v1/auth/login")
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
