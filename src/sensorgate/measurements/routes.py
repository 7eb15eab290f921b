"""HTTP routes for metrics, latest values, history, aggregates and backfill. Thin: parse, call, answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, HeaderParameter, QueryParameter
from litestar.types import ControllerRouterHandler

from sensorgate.auth.openapi import callers
from sensorgate.auth.principal import PrincipalDep
from sensorgate.auth.scopes import Scope
from sensorgate.db.engine import Database
from sensorgate.kit.context import POINTS_KEY
from sensorgate.kit.etag import conditional
from sensorgate.kit.openapi import NOT_MODIFIED, documents_body, errors, text, with_content
from sensorgate.kit.times import time_window, utcnow
from sensorgate.kit.wire import decode_body
from sensorgate.measurements import aggregate, aggregate_csv, history, ingest, latest
from sensorgate.measurements.csv_input import parse_csv
from sensorgate.measurements.cursor import cursor_key
from sensorgate.measurements.schemas import AggregateOut, BackfillIn, HistoryOut, LatestOut
from sensorgate.measurements.series_access import parse_ids, parse_names
from sensorgate.settings import Settings


class MeasurementsState:
    """What the measurement routes use of the app's state, which they ask for as the `app_state` dependency.

    web.state.AppState is one; naming only what is used here keeps these routes from importing anything above
    their own package.
    """

    __slots__ = ()
    db: Database
    settings: Settings


MeasurementsStateDep = NamedDependency[MeasurementsState]

# 100,000 points of about 90 bytes each, with room to spare.
BACKFILL_BODY = 16 * 1024 * 1024
_encode = msgspec.json.Encoder().encode
_decode_batch = msgspec.json.Decoder(ingest.BatchIn).decode

Ids = Annotated[str | None, QueryParameter(max_length=2000, description="comma-separated sensor ids (at most 100)")]
Names = Annotated[str | None, QueryParameter(max_length=500, description="comma-separated metric names")]
Unit = Annotated[str | None, QueryParameter(max_length=20, description="convert values to this unit")]
Time = Annotated[str | None, QueryParameter(max_length=40, description="ISO 8601 time or epoch seconds")]
# Read by kit.etag.conditional from the request; a parameter only so that the OpenAPI document shows it.
IfNoneMatch = Annotated[
    str | None, HeaderParameter(name="If-None-Match", max_length=200, description="an ETag this answered before")
]
ETAG = [ResponseHeader(name="ETag", description="send it in If-None-Match to get a 304", documentation_only=True)]
CSV_EXAMPLE = "sensor,metric,value,time\n1,temperature,21.5,2026-11-02T10:15:00Z\n1,humidity,48,2026-11-02T10:15:00Z\n"


def _now_ms() -> int:
    return int(utcnow().timestamp() * 1000)


class MeasurementController(Controller):
    path = "/v1/measurements"
    tags = ["measurements"]

    @get(
        "/latest",
        opt={"scope": Scope.DATA_READ},
        security=callers(Scope.DATA_READ),
        responses={**errors(400, 404), **NOT_MODIFIED},
        response_headers=ETAG,
    )
    async def latest_values(
        self,
        request: Request[Any, Any, Any],
        principal: PrincipalDep,
        app_state: MeasurementsStateDep,
        sensor: Ids = None,
        metric: Names = None,
        unit: Unit = None,
        if_none_match: IfNoneMatch = None,
    ) -> Response[LatestOut]:
        """The newest value of each series, with its novelty: new, expiring (older than 3 reporting
        intervals) or old (older than 6). Without `sensor`, every series the caller reaches (at most 10,000).
        Answers 304 to a matching If-None-Match."""
        out = await app_state.db.read(
            latest.latest_values, principal, parse_ids(sensor, "sensor", 1000), parse_names(metric), unit, _now_ms()
        )
        request.scope[POINTS_KEY] = len(out.items)  # type: ignore[literal-required]
        return conditional(request, _encode(out))

    @get(
        "/",
        opt={"scope": Scope.DATA_READ},
        security=callers(Scope.DATA_READ),
        responses={**errors(400, 404), **NOT_MODIFIED},
        response_headers=ETAG,
    )
    async def history(
        self,
        request: Request[Any, Any, Any],
        principal: PrincipalDep,
        app_state: MeasurementsStateDep,
        sensor: Ids = None,
        metric: Names = None,
        from_: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
        to: Time = None,
        last: Annotated[str | None, QueryParameter(max_length=20, description="ISO 8601 duration, e.g. PT6H")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=history.MAX_LIMIT)] = 1000,
        cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
        unit: Unit = None,
        order: FromQuery[Literal["asc", "desc"]] = "asc",
        if_none_match: IfNoneMatch = None,
    ) -> Response[HistoryOut]:
        """Points in a window (default: the last 24 hours), ordered by series then time, a page at a time.

        Follow `next` until it is null to get every point of the window exactly once, even while new points
        arrive: the window is fixed by the first page. Answers 304 to a matching If-None-Match.
        """
        span = time_window(from_, to, last, _now_ms())
        out = await app_state.db.read(
            history.history,
            principal,
            sensor_ids=parse_ids(sensor, "sensor"),
            metrics=parse_names(metric),
            unit=unit,
            span=span,
            descending=order == "desc",
            limit=limit,
            cursor=cursor,
            cursor_key=cursor_key(app_state.settings.secret_key),
        )
        request.scope[POINTS_KEY] = len(out.items)  # type: ignore[literal-required]
        return conditional(request, _encode(out))

    @get(
        "/aggregate",
        opt={"scope": Scope.DATA_READ, "offers": [MediaType.JSON, "text/csv"]},
        security=callers(Scope.DATA_READ),
        responses={
            200: ResponseSpec(
                data_container=AggregateOut,
                generate_examples=False,
                description="The buckets, as JSON or (format=csv) CSV",
            ),
            **errors(400, 404),
        },
        operation_class=with_content(responses={200: {"text/csv": text(aggregate_csv.EXAMPLE, "one row a bucket")}}),
    )
    async def aggregate(
        self,
        request: Request[Any, Any, Any],
        principal: PrincipalDep,
        app_state: MeasurementsStateDep,
        sensor: Ids = None,
        metric: Names = None,
        from_: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
        to: Time = None,
        bucket: Annotated[str, QueryParameter(max_length=20, description="ISO 8601 duration, PT1M to P1Y")] = "PT1H",
        fn: Annotated[str, QueryParameter(max_length=40)] = "min,max,avg,sum,count",
        tz: Annotated[str, QueryParameter(max_length=64)] = "UTC",
        unit: Unit = None,
        fmt: Annotated[Literal["json", "csv"], QueryParameter(name="format")] = "json",
    ) -> Response[bytes]:
        """count, min, max, avg and sum per bucket. Buckets of a day or longer align to midnight in `tz`
        (days are 23 or 25 hours long across DST changes); shorter ones to the UTC epoch. The window is
        widened to whole buckets (default: the last 24 hours); empty buckets are left out. `format=csv`
        answers text/csv with the same numbers."""
        wanted = aggregate.parse_request(from_, to, bucket, fn, tz, _now_ms())
        out = await app_state.db.read(
            aggregate.aggregate, principal, parse_ids(sensor, "sensor"), parse_names(metric), unit, wanted
        )
        request.scope[POINTS_KEY] = len(out.items)  # type: ignore[literal-required]
        if fmt == "csv":
            return Response(
                aggregate_csv.to_csv(out, wanted.functions).encode(),
                media_type="text/csv",  # Litestar adds "; charset=utf-8" to every text/* type
                headers={"Content-Disposition": 'attachment; filename="aggregate.csv"'},
            )
        return Response(_encode(out), media_type=MediaType.JSON)

    @post(
        "/",
        request_max_body_size=BACKFILL_BODY,
        status_code=200,
        opt={"scope": Scope.DATA_WRITE},
        security=callers(Scope.DATA_WRITE, unsafe=True),
        responses=errors(400, 413),
        dependencies=documents_body(BackfillIn),
        operation_class=with_content(request={"text/csv": text(CSV_EXAMPLE, "a header row, then one point a row")}),
    )
    async def backfill(
        self, request: Request[Any, Any, Any], principal: PrincipalDep, app_state: MeasurementsStateDep
    ) -> ingest.IngestOut:
        """Write up to 100,000 points atomically, as JSON `{"items": [...]}` or as CSV (`Content-Type:
        text/csv`, header `sensor,metric,value,time`). Needs data:write.

        `time` defaults to now and may be at most 5 minutes ahead of the server's clock. A point that
        exists is replaced, so a retry is harmless. Any bad item rejects the whole batch with a 400 that
        lists each bad index in `details`.
        """
        body = await request.body()
        if request.headers.get("content-type", "").split(";")[0].strip().lower() == "text/csv":
            items = parse_csv(body)
        else:
            items = decode_body(_decode_batch, body).items
        return await app_state.db.write(ingest.ingest, principal, items, _now_ms())


ROUTES: list[ControllerRouterHandler] = [MeasurementController]
