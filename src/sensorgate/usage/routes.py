"""HTTP routes for what keys did: the usage report per day and a key's log. Thin: parse, call, answer."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.types import ControllerRouterHandler

from sensorgate.auth.openapi import callers
from sensorgate.auth.principal import PrincipalDep
from sensorgate.auth.scopes import Scope
from sensorgate.credentials.service import reportable_keys
from sensorgate.db.engine import Database
from sensorgate.kit.ids import PathId
from sensorgate.kit.openapi import errors, text, with_content
from sensorgate.kit.times import utcnow
from sensorgate.usage import key_log, report
from sensorgate.usage.limits import CredentialLimiter
from sensorgate.usage.recorder import UsageRecorder


class UsageState:
    """What the usage routes use of the app's state, which they ask for as the `app_state` dependency.

    web.state.AppState is one; naming only what is used here keeps these routes from importing anything above
    their own package.
    """

    __slots__ = ()
    db: Database
    usage: UsageRecorder
    limits: CredentialLimiter


UsageStateDep = NamedDependency[UsageState]
CSV_EXAMPLE = (
    "time,event,count,lastAt,reason,ip,userAgent,actorUser,actorKey,details\n"
    "2026-11-02T10:15:00.000Z,used,42,2026-11-02T10:15:59.120Z,,203.0.113.7,curl/8.5.0,,,\n"
)


class KeyUsageController(Controller):
    path = "/v1/keys"
    tags = ["keys"]

    @get("/usage", opt={"uses": Scope.USAGE_READ}, security=callers(Scope.USAGE_READ), responses=errors(400))
    async def key_usage(
        self,
        principal: PrincipalDep,
        app_state: UsageStateDep,
        day: Annotated[str | None, QueryParameter(name="date", max_length=10)] = None,
    ) -> report.UsageReport:
        """Calls per key on one UTC day (`date=YYYY-MM-DD`, today by default, kept 400 days): requests served and
        attempts refused, next to the key's effective plan (`plan`, `dailyLimit`); today's report also shows what
        each key used of its current rate-limit window (`windowUsed`) and of its daily quota (`dailyUsed`). Keys
        you may see, or with usage:read, the calling key and the keys it created."""
        when = report.parse_day(day, utcnow())
        visible = reportable_keys(principal, Scope.USAGE_READ)
        await app_state.usage.flush_before_reading(app_state.db)
        found = await app_state.db.read(report.usage_report, visible, when)
        return await report.add_counts(found, app_state.limits, utcnow().date())

    @get(
        "/{key_id:int}/log",
        responses={
            200: ResponseSpec(
                data_container=key_log.KeyLog,
                generate_examples=False,
                description="The log, as JSON or (format=csv) CSV",
            ),
            **errors(400, 404),
        },
        opt={"uses": Scope.AUDIT_READ, "offers": [MediaType.JSON, "text/csv"]},
        security=callers(Scope.AUDIT_READ),
        operation_class=with_content(responses={200: {"text/csv": text(CSV_EXAMPLE, "the same columns as JSON")}}),
    )
    async def key_log(
        self,
        key_id: PathId,
        principal: PrincipalDep,
        app_state: UsageStateDep,
        start: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
        end: Annotated[str | None, QueryParameter(name="to", max_length=40)] = None,
        fmt: Annotated[Literal["json", "csv"], QueryParameter(name="format")] = "json",
        event: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> Response[bytes]:
        """A key's audit trail in [from, to) (the last day by default, at most 31 days and 10,000 entries):
        created, edited, reissued, renewed, revoked, deleted, secrets_purged, used (per minute, with the count and
        the last address and user agent) and refused (per minute and reason); `event=` keeps one kind of line.
        `format=csv` answers text/csv.
        Needs the key to be yours to see, or audit:read on a key reading itself or the keys it created."""
        lower, upper = key_log.window(start, end, utcnow())
        await app_state.usage.flush_before_reading(app_state.db)
        trail = await app_state.db.read(key_log.read_log, principal, key_id, lower, upper, event)
        if fmt == "csv":
            return Response(
                key_log.to_csv(trail).encode(),
                media_type="text/csv",  # Litestar adds "; charset=utf-8" to every text/* type
                headers={"Content-Disposition": f'attachment; filename="key-{key_id}-log.csv"'},
            )
        return Response(msgspec.json.encode(trail), media_type=MediaType.JSON)


ROUTES: list[ControllerRouterHandler] = [KeyUsageController]
