"""Ardexa's token renewal: `GET /api/v1/token/renew`, with the token as `authorization: bearer <token>` or in a
header of its own, `bearer: <token>`. It is /v1/token/renew under Ardexa's path: the same rule
(credentials/lifecycle.renew), the same answer (`{"token", "expiresAt"}`: Ardexa reads `token`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.types import ControllerRouterHandler

from sensorgate.auth.guard import BEARER_HEADER
from sensorgate.auth.openapi import callers
from sensorgate.auth.principal import PrincipalDep
from sensorgate.credentials import lifecycle
from sensorgate.credentials.routes import origin
from sensorgate.credentials.schemas import RenewOut
from sensorgate.web.state import AppStateDep


@get(
    "/api/v1/token/renew",
    tags=["ardexa"],
    opt={BEARER_HEADER: True},
    operation_id="ardexaTokenRenew",
    security=callers(),
)
async def ardexa_renew(request: Request[Any, Any, Any], principal: PrincipalDep, app_state: AppStateDep) -> RenewOut:
    """Called with a key that has canRenew, before it expires: a new secret with the same permissions and a
    fresh lifetime, under `token`. The calling secret stays valid until its own expiry."""
    return await app_state.db.write(lifecycle.renew, principal, origin(request, app_state.settings))


def routes() -> list[ControllerRouterHandler]:
    return [ardexa_renew]
