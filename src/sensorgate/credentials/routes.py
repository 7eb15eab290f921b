"""HTTP routes for API keys. Thin: parse, call the service, answer."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, MediaType, Request, Response, delete, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.types import ControllerRouterHandler

from sensorgate.accounts.guard import client_address
from sensorgate.accounts.principal import PrincipalDep
from sensorgate.audit import log
from sensorgate.credentials import lifecycle, service
from sensorgate.credentials.schemas import KeyCreated, KeyIn, KeyOut, ReissueIn, RenewOut
from sensorgate.kit.times import utcnow
from sensorgate.usage import report
from sensorgate.web.state import AppState, AppStateDep

logger = logging.getLogger(__name__)


def origin(request: Request[Any, Any, Any], app_state: AppState) -> service.Origin:
    """Where a change comes from (for the audit trail), and the keys it may need to make secrets."""
    return service.Origin(
        ip=client_address(request),
        user_agent=request.headers.get("user-agent"),
        now=utcnow(),
        pepper=app_state.settings.hash_pepper,
        master_key=app_state.settings.master_key_bytes,
    )


async def _flush(app_state: AppState) -> None:
    """Write this process's pending usage first, so its last second shows; a report still answers if that fails."""
    try:
        await app_state.usage.flush(app_state.db)
    except Exception:
        logger.warning("could not write usage counts before a report; they are kept for the next try", exc_info=True)


def _forget(app_state: AppState, key: KeyOut, hashes: list[bytes]) -> None:
    """Drop a revoked key from this process's caches, whatever its kind; other processes follow within 1 s."""
    app_state.keys.forget(hashes)
    app_state.signed.forget(key.public_id)
    app_state.oauth.tokens.forget_client(key.id)


class KeyController(Controller):
    path = "/v1/keys"
    tags = ["keys"]

    @post("/", request_max_body_size=32 * 1024)
    async def create_key(
        self, request: Request[Any, Any, Any], data: JSONBody[KeyIn], principal: PrincipalDep, app_state: AppStateDep
    ) -> KeyCreated:
        """Create an API key. The secret is in this response and never again.

        Needs integrations:write (own keys) or access:manage, or a key with keys:write, which cannot grant more
        scopes, workspaces, device groups or lifetime than it has. `expiresIn` is 7d, 14d, 1m, 2m, 3m (the
        default), 6m or 1y, within the organization's longest lifetime. One user has at most 5 active keys
        (an organization setting): the 6th answers 409.
        """
        return await app_state.db.write(service.create_key, principal, data, origin(request, app_state))

    @get("/")
    async def list_keys(
        self,
        principal: PrincipalDep,
        app_state: AppStateDep,
        include_revoked: Annotated[bool, QueryParameter(name="includeRevoked")] = False,
    ) -> dict[str, list[KeyOut]]:
        """Your keys (all the organization's with access:manage), by id, at most 1,000. Never shows a secret."""
        return {"items": await app_state.db.read(service.list_keys, principal, include_revoked)}

    @get("/usage")
    async def key_usage(
        self,
        principal: PrincipalDep,
        app_state: AppStateDep,
        day: Annotated[str | None, QueryParameter(name="date", max_length=10)] = None,
    ) -> report.UsageReport:
        """Calls per key on one UTC day (`date=YYYY-MM-DD`, today by default, kept 400 days): requests served and
        attempts refused, next to the key's effective plan (`plan`, `dailyLimit`); today's report also shows what
        each key used of its current rate-limit window (`windowUsed`) and of its daily quota (`dailyUsed`). Keys
        you may see, or with usage:read, the calling key and the keys it created."""
        when = report.parse_day(day, utcnow())
        visible = service.reportable_keys(principal, "usage:read")
        await _flush(app_state)
        found = await app_state.db.read(report.usage_report, visible, when)
        return await report.add_counts(found, app_state.limits, utcnow().date())

    @get(
        "/{key_id:int}/log",
        responses={200: ResponseSpec(data_container=log.KeyLog, description="The log, as JSON or as CSV")},
    )
    async def key_log(
        self,
        key_id: FromPath[int],
        principal: PrincipalDep,
        app_state: AppStateDep,
        start: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
        end: Annotated[str | None, QueryParameter(name="to", max_length=40)] = None,
        fmt: Annotated[Literal["json", "csv"], QueryParameter(name="format")] = "json",
    ) -> Response[bytes]:
        """A key's audit trail in [from, to) (the last day by default, at most 31 days and 10,000 entries):
        created, edited, reissued, renewed, revoked, deleted, secrets_purged, used (per minute, with the count and
        the last address and user agent) and refused (per minute and reason). `format=csv` answers text/csv.
        Needs the key to be yours to see, or audit:read on a key reading itself or the keys it created."""
        lower, upper = log.window(start, end, utcnow())
        await _flush(app_state)
        trail = await app_state.db.read(service.key_log, principal, key_id, lower, upper)
        if fmt == "csv":
            return Response(
                log.to_csv(trail).encode(),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="key-{key_id}-log.csv"'},
            )
        return Response(msgspec.json.encode(trail), media_type=MediaType.JSON)

    @get("/{key_id:int}")
    async def get_key(self, key_id: FromPath[int], principal: PrincipalDep, app_state: AppStateDep) -> KeyOut:
        """One key. A key you may not see answers 404."""
        return await app_state.db.read(service.get_key, principal, key_id)

    @patch("/{key_id:int}", request_max_body_size=16 * 1024)
    async def update_key(
        self,
        request: Request[Any, Any, Any],
        key_id: FromPath[int],
        data: JSONBody[dict[str, Any]],
        principal: PrincipalDep,
        app_state: AppStateDep,
    ) -> KeyOut:
        """Edit name, description, owner, email, canRenew, or lifetimeDays (for later reissues and renewals).

        Scopes, workspaces, device group and the other fields that decide what a key may do answer 422:
        create a new key for new access.
        """
        changes = lifecycle.parse_patch(data)
        return await app_state.db.write(lifecycle.update_key, principal, key_id, changes, origin(request, app_state))

    @post("/{key_id:int}/reissue", status_code=201, request_max_body_size=4 * 1024)
    async def reissue_key(
        self,
        request: Request[Any, Any, Any],
        key_id: FromPath[int],
        principal: PrincipalDep,
        app_state: AppStateDep,
        data: JSONBody[ReissueIn | None] = None,
    ) -> KeyCreated:
        """A new secret with the same permissions, shown this once. The old secret stays valid until its own
        expiry, or until `oldSecretExpiresAt` when that is earlier."""
        old = lifecycle.old_expiry(data.old_secret_expires_at if data else None)
        return await app_state.db.write(lifecycle.reissue_key, principal, key_id, origin(request, app_state), old)

    @post("/{key_id:int}/revoke", status_code=200)
    async def revoke_key(
        self, request: Request[Any, Any, Any], key_id: FromPath[int], principal: PrincipalDep, app_state: AppStateDep
    ) -> KeyOut:
        """Revoke a key and all its secrets, for good. Refused everywhere within a second."""
        key, hashes = await app_state.db.write(
            service.revoke_key, principal, key_id, origin(request, app_state), delete=False
        )
        _forget(app_state, key, hashes)
        return key

    @delete("/{key_id:int}", status_code=204)
    async def delete_key(
        self, request: Request[Any, Any, Any], key_id: FromPath[int], principal: PrincipalDep, app_state: AppStateDep
    ) -> None:
        """Delete a key: revoked for good and listed only with includeRevoked=true. The audit trail stays."""
        key, hashes = await app_state.db.write(
            service.revoke_key, principal, key_id, origin(request, app_state), delete=True
        )
        _forget(app_state, key, hashes)


@get("/v1/token/renew", tags=["keys"])
async def renew_token(request: Request[Any, Any, Any], principal: PrincipalDep, app_state: AppStateDep) -> RenewOut:
    """Called with a key that has canRenew, before it expires: a new secret with the same permissions and a
    fresh lifetime. The calling secret stays valid until its own expiry."""
    return await app_state.db.write(lifecycle.renew, principal, origin(request, app_state))


ROUTES: list[ControllerRouterHandler] = [KeyController, renew_token]
