"""HTTP routes for API keys. Thin: parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.types import ControllerRouterHandler

from sensorgate.accounts.guard import client_address
from sensorgate.accounts.principal import PrincipalDep
from sensorgate.credentials import service
from sensorgate.credentials.schemas import KeyCreated, KeyIn, KeyOut
from sensorgate.kit.timeutil import utcnow
from sensorgate.service.state import AppState, AppStateDep


def _request(request: Request[Any, Any, Any], app_state: AppState) -> service.Request:
    return service.Request(
        ip=client_address(request),
        user_agent=request.headers.get("user-agent"),
        now=utcnow(),
        pepper=app_state.settings.hash_pepper,
    )


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
        return await app_state.db.write(service.create_key, principal, data, _request(request, app_state))

    @get("/")
    async def list_keys(
        self,
        principal: PrincipalDep,
        app_state: AppStateDep,
        include_revoked: Annotated[bool, QueryParameter(name="includeRevoked")] = False,
    ) -> dict[str, list[KeyOut]]:
        """Your keys (all the organization's with access:manage), by id, at most 1,000. Never shows a secret."""
        return {"items": await app_state.db.read(service.list_keys, principal, include_revoked)}

    @get("/{key_id:int}")
    async def get_key(self, key_id: FromPath[int], principal: PrincipalDep, app_state: AppStateDep) -> KeyOut:
        """One key. A key you may not see answers 404."""
        return await app_state.db.read(service.get_key, principal, key_id)

    @post("/{key_id:int}/revoke", status_code=200)
    async def revoke_key(
        self, request: Request[Any, Any, Any], key_id: FromPath[int], principal: PrincipalDep, app_state: AppStateDep
    ) -> KeyOut:
        """Revoke a key and all its secrets, for good. Refused everywhere within a second."""
        key, hashes = await app_state.db.write(
            service.revoke_key, principal, key_id, _request(request, app_state), delete=False
        )
        app_state.keys.forget(hashes)
        return key

    @delete("/{key_id:int}", status_code=204)
    async def delete_key(
        self, request: Request[Any, Any, Any], key_id: FromPath[int], principal: PrincipalDep, app_state: AppStateDep
    ) -> None:
        """Delete a key: revoked for good and listed only with includeRevoked=true. The audit trail stays."""
        _, hashes = await app_state.db.write(
            service.revoke_key, principal, key_id, _request(request, app_state), delete=True
        )
        app_state.keys.forget(hashes)


ROUTES: list[ControllerRouterHandler] = [KeyController]
