"""Service endpoints: health, metrics and the OpenAPI document."""

from __future__ import annotations

import hmac
from typing import Any

from litestar import Request, Response, get
from litestar.types import ControllerRouterHandler

from sensorgate.db.engine import ping
from sensorgate.kit import metrics
from sensorgate.kit.errors import ServiceUnavailable, Unauthorized
from sensorgate.kit.openapi import errors
from sensorgate.web.schemas import HealthOut
from sensorgate.web.state import AppStateDep


@get("/health", tags=["service"], responses=errors(guarded=False, why={503: "The database is not answering."}))
async def health(app_state: AppStateDep) -> HealthOut:
    """200 once the database answers; 503 with the error object while it does not.

    With Redis configured, `redis` says whether it answers a ping. Redis down is still 200 and status "ok" (the
    pinned answer): the service keeps answering without it (limits off, replays checked per process), and a
    load balancer that took every process out of rotation over it would turn a cache outage into a full one.
    """
    try:
        await app_state.db.read(ping)
    except Exception:
        raise ServiceUnavailable("the database is not answering", headers={"Retry-After": "2"}) from None
    redis = await app_state.limits.check()
    if redis is None:
        return HealthOut(status="ok")
    return HealthOut(status="ok", redis="ok" if redis else "unavailable")


@get(
    "/metrics",
    tags=["service"],
    include_in_schema=False,
    opt={"offers": ["text/plain", "application/openmetrics-text"]},
)
async def metrics_endpoint(request: Request[Any, Any, Any], app_state: AppStateDep) -> Response[bytes]:
    """Prometheus text format. Guarded by a bearer token when SENSORGATE_METRICS_TOKEN is set."""
    token = app_state.settings.metrics_token
    if token and not hmac.compare_digest(request.headers.get("authorization", ""), f"Bearer {token}"):
        raise Unauthorized("metrics need the bearer token set in SENSORGATE_METRICS_TOKEN")
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)


@get("/openapi.json", include_in_schema=False, media_type="application/vnd.oai.openapi+json")
async def openapi_json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    return request.app.openapi_schema.to_schema()


ROUTES: list[ControllerRouterHandler] = [health, metrics_endpoint, openapi_json]
