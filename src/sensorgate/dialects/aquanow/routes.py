"""Aquanow's key paths (`/users/v1/...`), signed as Aquanow signs: `x-api-key` (the public id), `x-nonce` (epoch
ms), `x-signature` (hex HMAC-SHA384 of the v1 canonical string). Thin: parse, call, answer.

The guard verifies the signature as on /v1 (credentials/signing.py), and checks the scope each route names; rate
limits, usage counts and the key log are /v1's. The rules are credentials/user_keys.py's and usage/report.py's:
only the paths and the shapes are Aquanow's (docs/dialects.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, delete, get, post
from litestar.params import QueryParameter
from litestar.types import ControllerRouterHandler

from sensorgate.auth.openapi import API_KEYS, SIGNED
from sensorgate.auth.principal import PrincipalDep
from sensorgate.auth.scopes import Scope
from sensorgate.credentials import user_keys
from sensorgate.credentials.routes import origin
from sensorgate.credentials.service import reportable_keys
from sensorgate.dialects.aquanow import shapes
from sensorgate.dialects.aquanow.errors import aquanow_error
from sensorgate.kit.errors import BadRequest
from sensorgate.kit.times import utcnow
from sensorgate.usage import report
from sensorgate.web.state import AppStateDep

# The key routes check their scope in the service, as /v1/keys does; `uses` names it for the usage counters.
READ = {"uses": Scope.KEYS_READ}
WRITE = {"uses": Scope.KEYS_WRITE}
USAGE = {"scope": Scope.USAGE_READ}
PublicId = Annotated[
    str | None, QueryParameter(max_length=40, description="the public id (`sgp_…`) of the key to delete")
]


@get("/apiKey", opt=READ, operation_id="aquanowApiKeys")
async def api_keys(principal: PrincipalDep, app_state: AppStateDep) -> list[shapes.ApiKey]:
    """Every live key of the calling key's user (for a key made with the CLI: its line of keys), by keyId, at
    most 1,000. Never a secret. Needs keys:read or keys:write."""
    found = await app_state.db.read(user_keys.list_keys, principal, utcnow())
    return [shapes.api_key(k) for k in found]


@post("/apiKey", opt=WRITE, status_code=200, request_max_body_size=4 * 1024, operation_id="aquanowCreateApiKey")
async def create_api_key(
    request: Request[Any, Any, Any], principal: PrincipalDep, app_state: AppStateDep
) -> list[shapes.NewApiKey]:
    """A new signing key for the same user, made by the calling key and never holding more than it; its secret is
    in this answer and never again. No body is needed (one sent is ignored). Needs keys:write; a user has at
    most 5 active keys (an organization setting): past that, 409."""
    created, found = await app_state.db.write(user_keys.create_key, principal, origin(request, app_state.settings))
    return [shapes.new_api_key(created, found)]


@delete("/apiKey", opt=WRITE, status_code=200, operation_id="aquanowDeleteApiKey")
async def delete_api_key(
    request: Request[Any, Any, Any], principal: PrincipalDep, app_state: AppStateDep, key: PublicId = None
) -> list[shapes.ApiKey]:
    """Delete one key of the user, by its public id, with every key made through it; answers the user's keys
    left. Only a key made through the calling key (403 otherwise). Needs keys:write."""
    if not key:
        raise BadRequest("key is required: the public id (sgp_…) of the key to delete")
    revoked = await app_state.db.write(user_keys.delete_key, principal, key, origin(request, app_state.settings))
    app_state.verifiers.forget(revoked)
    found = await app_state.db.read(user_keys.list_keys, principal, utcnow())
    return [shapes.api_key(k) for k in found]


@get("/apiKeyUsage", opt=USAGE, operation_id="aquanowApiKeyUsage")
async def api_key_usage(principal: PrincipalDep, app_state: AppStateDep) -> dict[str, shapes.DayUsage]:
    """Today's usage (UTC), keyed by key: the calling key and the keys it made, as GET /v1/keys/usage reports
    them. Needs usage:read."""
    today = utcnow().date()
    visible = reportable_keys(principal, Scope.USAGE_READ)
    await app_state.usage.flush_before_reading(app_state.db)
    found = await app_state.db.read(report.usage_report, visible, today)
    found = await report.add_counts(found, app_state.limits, today)
    return shapes.usage(found.items, today)


def routes() -> list[ControllerRouterHandler]:
    # Aquanow's clients sign; any other credential the guard takes works too, as on /v1.
    return [
        Router(
            path="/users/v1",
            route_handlers=[api_keys, create_api_key, delete_api_key, api_key_usage],
            tags=["aquanow"],
            exception_handlers={Exception: aquanow_error},
            security=[SIGNED, *API_KEYS],
        )
    ]
