"""Ayyeka API paths: `POST /auth/token`, then `/v2.0/...` with `Authorization: Bearer <JWT>`. Thin: parse, call,
answer.

The token endpoint is /v1/oauth/token's own service (the same OAuth clients, secrets and 15 tokens per 15
minutes). The data paths take the same `principal` as /v1, so the guard, scopes (data:read), rate limits, usage
counts and the key log are /v1's. Only the paths, the names and the shapes are Ayyeka's (docs/dialects.md).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import MediaType, Request, Response, Router, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter, QueryParameter
from litestar.types import ControllerRouterHandler

from sensorgate.auth.openapi import OAUTH_CLIENT, callers
from sensorgate.auth.principal import PrincipalDep
from sensorgate.auth.scopes import Scope
from sensorgate.credentials.oauth.requests import parse_form
from sensorgate.credentials.oauth.routes import FORM_BYTES, NO_STORE
from sensorgate.credentials.oauth.schemas import TokenOut
from sensorgate.credentials.routes import origin
from sensorgate.dialects.ayyeka import reads
from sensorgate.dialects.ayyeka.errors import ayyeka_error
from sensorgate.dialects.ayyeka.shapes import (
    AyyekaAggregationBatch,
    AyyekaDevice,
    AyyekaError,
    AyyekaSample,
    AyyekaSampleBatch,
    AyyekaSite,
    AyyekaStream,
)
from sensorgate.kit.context import POINTS_KEY
from sensorgate.kit.errors import BadRequest
from sensorgate.kit.ids import MAX_ID
from sensorgate.kit.times import MAX_TIME_MS, utcnow
from sensorgate.measurements.arrivals import MAX_SAMPLE_ID
from sensorgate.web.state import AppStateDep

READ = {"scope": Scope.DATA_READ}
TIME_FRAMES = (10, 15, 20, 30, 60)  # minutes, Ayyeka's
MAX_EPOCH = MAX_TIME_MS // 1000
MAX_BACKFILL_HOURS = 10 * 366 * 24  # ten years

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
FromDate = Annotated[int | None, QueryParameter(name="fromDate", ge=0, le=MAX_EPOCH, description="Unix time, seconds")]
ToDate = Annotated[int | None, QueryParameter(name="toDate", ge=0, le=MAX_EPOCH, description="Unix time, seconds")]


WHY_ERROR = "Ayyeka's error body; the status is the one /v1 would answer (docs/dialects.md)."


def _errors(*statuses: int) -> dict[int, ResponseSpec]:
    codes = sorted({*statuses, 401, 403, 429, 503})
    spec = ResponseSpec(data_container=AyyekaError, generate_examples=False, description=WHY_ERROR)
    return dict.fromkeys(codes, spec)


def _now_ms() -> int:
    return int(utcnow().timestamp() * 1000)


def _required(value: int | None, name: str, what: str) -> int:
    if value is None:
        # Litestar's own refusal of a missing parameter does not name it; this one does.
        raise BadRequest(f"{name} is required: {what}")
    return value


def _count(request: Request[Any, Any, Any], samples: int) -> None:
    request.scope[POINTS_KEY] = samples  # type: ignore[literal-required]


# The token ----------------------------------------------------------------------------------------------------


@post(
    "/token",
    status_code=200,
    request_max_body_size=FORM_BYTES,
    security=OAUTH_CLIENT,
    responses=_errors(400, 413),
    operation_id="ayyekaToken",
)
async def token(request: Request[Any, Any, Any], app_state: AppStateDep) -> Response[TokenOut]:
    """An access token for an OAuth client, exactly as POST /v1/oauth/token gives it: HTTP Basic
    `client_id:client_secret` and the form `grant_type=client_credentials`. At most 15 per 15 minutes per client
    (the plan's `tokens`). Send it as `Authorization: Bearer` to /v2.0."""
    form = parse_form(await request.body(), request.headers.get("content-type"))
    issued, rate = await app_state.oauth.token(
        form, request.headers.get("authorization"), origin(request, app_state.settings)
    )
    return Response(issued, media_type=MediaType.JSON, headers={**NO_STORE, **(rate.headers() if rate else {})})


# Sites, devices, streams --------------------------------------------------------------------------------------


@get("/site", opt=READ, responses=_errors(), operation_id="ayyekaSites")
async def sites(principal: PrincipalDep, app_state: AppStateDep) -> list[AyyekaSite]:
    """The sites: the workspaces the token reaches (at most 10,000)."""
    return await app_state.db.read(reads.sites, principal)


@get("/site/{site_id:int}", opt=READ, responses=_errors(404), operation_id="ayyekaSite")
async def site(site_id: Id, principal: PrincipalDep, app_state: AppStateDep) -> AyyekaSite:
    """One site (workspace). Another tenant's is not found."""
    return await app_state.db.read(reads.site, principal, site_id)


@get("/device", opt=READ, responses=_errors(), operation_id="ayyekaDevices")
async def devices(principal: PrincipalDep, app_state: AppStateDep) -> list[AyyekaDevice]:
    """The devices: the sensors the token reaches (at most 10,000), by id."""
    return await app_state.db.read(reads.devices, principal)


@get("/device/{device_id:int}", opt=READ, responses=_errors(404), operation_id="ayyekaDevice")
async def device(device_id: Id, principal: PrincipalDep, app_state: AppStateDep) -> AyyekaDevice:
    """One device (sensor). Another tenant's is not found."""
    return await app_state.db.read(reads.device, principal, device_id)


@get("/stream", opt=READ, responses=_errors(), operation_id="ayyekaStreams")
async def streams(principal: PrincipalDep, app_state: AppStateDep) -> list[AyyekaStream]:
    """The streams: one per sensor and metric the token reaches (at most 10,000), in the unit values are served
    in (the token's preferred one, else the metric's canonical unit)."""
    return await app_state.db.read(reads.streams, principal)


@get("/stream/{stream_id:int}", opt=READ, responses=_errors(404), operation_id="ayyekaStream")
async def stream(stream_id: Id, principal: PrincipalDep, app_state: AppStateDep) -> AyyekaStream:
    """One stream. Another tenant's is not found."""
    return await app_state.db.read(reads.stream, principal, stream_id)


# Samples ------------------------------------------------------------------------------------------------------


def _window(from_date: int | None, to_date: int | None) -> tuple[int, int]:
    start = _required(from_date, "fromDate", "Unix time in seconds") * 1000
    end = _required(to_date, "toDate", "Unix time in seconds") * 1000
    if start >= end:
        raise BadRequest("fromDate must be before toDate")
    return start, end


@get("/stream/{stream_id:int}/sample/range", opt=READ, responses=_errors(400, 404), operation_id="ayyekaSampleRange")
async def sample_range(
    request: Request[Any, Any, Any],
    stream_id: Id,
    principal: PrincipalDep,
    app_state: AppStateDep,
    from_date: FromDate = None,
    to_date: ToDate = None,
) -> AyyekaSampleBatch:
    """The stream's samples with fromDate <= time < toDate, oldest first, at most 10,000; `has_more` says there
    are more: ask again from the last sample's time."""
    start, end = _window(from_date, to_date)
    found = await app_state.db.read(reads.sample_range, principal, stream_id, start, end)
    _count(request, len(found.samples))
    return found


@get("/stream/{stream_id:int}/sample/last", opt=READ, responses=_errors(404), operation_id="ayyekaSampleLast")
async def sample_last(stream_id: Id, principal: PrincipalDep, app_state: AppStateDep) -> AyyekaSample:
    """The stream's newest sample. 404 while it has none."""
    return await app_state.db.read(reads.last_sample, principal, stream_id)


@get("/stream/{stream_id:int}/sample/agg", opt=READ, responses=_errors(400, 404), operation_id="ayyekaSampleAgg")
async def sample_agg(
    request: Request[Any, Any, Any],
    stream_id: Id,
    principal: PrincipalDep,
    app_state: AppStateDep,
    time_frame: Annotated[int | None, QueryParameter(name="timeFrame", ge=0, le=1440)] = None,
    from_date: FromDate = None,
    to_date: ToDate = None,
) -> AyyekaAggregationBatch:
    """Min, max, avg, sum and the number of samples per frame of `timeFrame` minutes (10, 15, 20, 30 or 60) over
    [fromDate, toDate), from the same aggregates as /v1; frames start on whole multiples of their length, empty
    ones are left out. At most 10,000 frames a call; `has_more` says the window goes on."""
    minutes = _required(time_frame, "timeFrame", "10, 15, 20, 30 or 60 (minutes)")
    if minutes not in TIME_FRAMES:
        raise BadRequest(f"timeFrame must be 10, 15, 20, 30 or 60 (minutes), not {minutes}")
    start, end = _window(from_date, to_date)
    found = await app_state.db.read(reads.aggregated, principal, stream_id, minutes, start, end, _now_ms())
    _count(request, len(found.samples))
    return found


# Batch delivery -----------------------------------------------------------------------------------------------


@get("/sample/batch", opt=READ, responses=_errors(400), operation_id="ayyekaSampleBatch")
async def sample_batch(
    request: Request[Any, Any, Any],
    principal: PrincipalDep,
    app_state: AppStateDep,
    enable_ack: Annotated[bool, QueryParameter(name="enableAck")] = True,
    sample_after: Annotated[int | None, QueryParameter(name="sampleID", ge=0, le=MAX_SAMPLE_ID)] = None,
    backfill_hours: Annotated[int | None, QueryParameter(name="backfillHours", ge=0, le=MAX_BACKFILL_HOURS)] = None,
    agent: Annotated[str | None, QueryParameter(max_length=200)] = None,
) -> AyyekaSampleBatch:
    """The next samples for this client, by id, at most 1,000; `has_more` says more are waiting. The client's
    position is kept in the database, so every process agrees on it. With `enableAck` (the default) the batch is
    leased for 60 s: asked again meanwhile, the same batch comes; POST /sample/batch/ack moves past it. With
    `enableAck=false` the position moves past the batch at once. `sampleID` starts after that id, and
    `backfillHours` from the samples timed that many hours ago. `agent` is accepted and not kept."""
    if sample_after is not None and backfill_hours is not None:
        raise BadRequest("give either sampleID or backfillHours, not both")
    now = _now_ms()
    since = now - backfill_hours * 3_600_000 if backfill_hours is not None else None
    found = await app_state.db.write(reads.batch, principal, now, enable_ack, sample_after, since)
    _count(request, len(found.samples))
    return found


@post("/sample/batch/ack", opt=READ, status_code=204, responses=_errors(400), operation_id="ayyekaSampleBatchAck")
async def sample_batch_ack(
    principal: PrincipalDep,
    app_state: AppStateDep,
    sample_id: Annotated[int | None, QueryParameter(name="sampleId", ge=0, le=MAX_SAMPLE_ID)] = None,
    agent: Annotated[str | None, QueryParameter(max_length=200)] = None,
) -> None:
    """Acknowledge every sample up to `sampleId` (the last id of a batch received). An id already acknowledged
    changes nothing; one never delivered is a 400."""
    await app_state.db.write(reads.ack, principal, _required(sample_id, "sampleId", "the last sample id received"))


@post("/sample/batch/backfill", opt=READ, status_code=204, responses=_errors(400), operation_id="ayyekaSampleBackfill")
async def sample_batch_backfill(
    principal: PrincipalDep,
    app_state: AppStateDep,
    sample_date: Annotated[
        int | None, QueryParameter(name="sampleDate", ge=0, le=MAX_EPOCH, description="Unix time, seconds")
    ] = None,
) -> None:
    """Deliver again from the samples timed at `sampleDate` or later (and every sample that arrived after the
    first of them)."""
    when = _required(sample_date, "sampleDate", "Unix time in seconds") * 1000
    await app_state.db.write(reads.rewind, principal, when)


@get("/sample/batch/status", opt=READ, responses=_errors(400, 404), operation_id="ayyekaSampleBatchStatus")
async def sample_batch_status(principal: PrincipalDep, app_state: AppStateDep) -> AyyekaSample:
    """The last sample delivered to this client. 404 before the first batch."""
    return await app_state.db.read(reads.batch_status, principal)


HANDLERS = [
    sites,
    site,
    devices,
    device,
    streams,
    stream,
    sample_range,
    sample_last,
    sample_agg,
    sample_batch,
    sample_batch_ack,
    sample_batch_backfill,
    sample_batch_status,
]


def routes() -> list[ControllerRouterHandler]:
    return [
        Router(path="/auth", route_handlers=[token], tags=["ayyeka"], exception_handlers={Exception: ayyeka_error}),
        Router(
            path="/v2.0",
            route_handlers=HANDLERS,
            tags=["ayyeka"],
            exception_handlers={Exception: ayyeka_error},
            security=callers(unsafe=True),
        ),
    ]
