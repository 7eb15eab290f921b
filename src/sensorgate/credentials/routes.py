"""HTTP routes for API keys. Thin: parse, call the service, answer.

A key's usage report and its log are under /v1/keys too, in usage/routes.py, since they read usage counters.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.types import ControllerRouterHandler

from sensorgate.auth.guard import client_address
from sensorgate.auth.openapi import API_KEYS, callers, sessions
from sensorgate.auth.principal import PrincipalDep
from sensorgate.auth.scopes import Scope
from sensorgate.credentials import lifecycle, policy, service
from sensorgate.credentials.schemas import KeyCreated, KeyIn, KeyList, KeyOut, KeyPatch, ReissueIn, RenewOut
from sensorgate.credentials.verifiers import Verifiers
from sensorgate.db.engine import Database
from sensorgate.kit.ids import PathId
from sensorgate.kit.openapi import documents_body, errors, with_content
from sensorgate.kit.paging import Items
from sensorgate.kit.times import utcnow
from sensorgate.settings import Settings


class KeysState:
    """What the key routes use of the app's state, which they ask for as the `app_state` dependency.

    web.state.AppState is one; naming only what is used here keeps these routes from importing anything above
    their own package.
    """

    __slots__ = ()
    db: Database
    settings: Settings
    verifiers: Verifiers


KeysStateDep = NamedDependency[KeysState]


def origin(request: Request[Any, Any, Any], settings: Settings) -> service.Origin:
    """Where a change comes from (for the audit trail), and the keys it may need to make secrets."""
    return service.Origin(
        ip=client_address(request),
        user_agent=request.headers.get("user-agent"),
        now=utcnow(),
        pepper=settings.hash_pepper,
        master_key=settings.master_key_bytes,
    )


class KeyController(Controller):
    path = "/v1/keys"
    tags = ["keys"]

    @post(
        "/",
        request_max_body_size=32 * 1024,
        opt={"uses": Scope.KEYS_WRITE},
        security=callers(Scope.KEYS_WRITE, unsafe=True),
        responses=errors(400, 404, 409, 413, why={409: "The user's active-key limit is reached."}),
    )
    async def create_key(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[KeyIn],
        principal: PrincipalDep,
        app_state: KeysStateDep,
    ) -> KeyCreated:
        """Create an API key. The secret is in this response and never again.

        Needs integrations:write (own keys) or access:manage, or a key with keys:write, which cannot grant more
        scopes, workspaces, device groups or lifetime than it has. `expiresIn` is 7d, 14d, 1m, 2m, 3m (the
        default), 6m, 1y or Nd (N days, 1 to 3650), within the organization's longest lifetime. One user has at
        most 5 active keys (an organization setting): the 6th answers 409.
        """
        return await app_state.db.write(service.create_key, principal, data, origin(request, app_state.settings))

    @get("/", opt={"uses": Scope.KEYS_READ}, security=callers(Scope.KEYS_READ), responses=errors(400))
    async def list_keys(
        self,
        principal: PrincipalDep,
        app_state: KeysStateDep,
        include_revoked: Annotated[bool, QueryParameter(name="includeRevoked")] = False,
    ) -> KeyList:
        """Your keys (all the organization's with access:manage), by id, at most 1,000. Never shows a secret."""
        return Items(await app_state.db.read(service.list_keys, principal, include_revoked))

    @get("/{key_id:int}", opt={"uses": Scope.KEYS_READ}, security=callers(Scope.KEYS_READ), responses=errors(400, 404))
    async def get_key(self, key_id: PathId, principal: PrincipalDep, app_state: KeysStateDep) -> KeyOut:
        """One key. A key you may not see answers 404."""
        return await app_state.db.read(service.get_key, principal, key_id)

    @patch(
        "/{key_id:int}",
        request_max_body_size=16 * 1024,
        opt={"uses": Scope.KEYS_WRITE},
        security=callers(Scope.KEYS_WRITE, unsafe=True),
        responses=errors(
            400,
            404,
            409,
            413,
            422,
            why={
                403: "Not yours to manage, or a lifetime past the key that made this one.",
                409: "The key is revoked, and read-only.",
                422: "A field that decides what the key may do: create a new key instead.",
            },
        ),
        # The handler reads the body itself, to answer a fixed field with 422 and an unknown one with 400.
        dependencies=documents_body(KeyPatch),
    )
    async def update_key(
        self,
        request: Request[Any, Any, Any],
        key_id: PathId,
        principal: PrincipalDep,
        app_state: KeysStateDep,
    ) -> KeyOut:
        """Edit name, description, owner, email, canRenew, or lifetimeDays (for later reissues and renewals).

        Scopes, workspaces, device group and the other fields that decide what a key may do answer 422:
        create a new key for new access.
        """
        changes = lifecycle.parse_patch(await request.body())
        return await app_state.db.write(
            lifecycle.update_key, principal, key_id, changes, origin(request, app_state.settings)
        )

    @post(
        "/{key_id:int}/reissue",
        status_code=201,
        request_max_body_size=4 * 1024,
        opt={"uses": Scope.KEYS_WRITE},
        security=callers(Scope.KEYS_WRITE, unsafe=True),
        responses=errors(400, 404, 409, 413, why={409: "The key is revoked, or the key that made it has expired."}),
        operation_class=with_content(optional_body=True),
    )
    async def reissue_key(
        self,
        request: Request[Any, Any, Any],
        key_id: PathId,
        principal: PrincipalDep,
        app_state: KeysStateDep,
        data: JSONBody[ReissueIn | None] = None,
    ) -> KeyCreated:
        """A new secret with the same permissions, shown this once. The old secret stays valid until its own
        expiry, or until `oldSecretExpiresAt` when that is earlier."""
        old = lifecycle.old_expiry(data.old_secret_expires_at if data else None)
        return await app_state.db.write(
            lifecycle.reissue_key, principal, key_id, origin(request, app_state.settings), old
        )

    @post(
        "/{key_id:int}/revoke",
        status_code=200,
        opt={"uses": Scope.KEYS_WRITE},
        security=callers(Scope.KEYS_WRITE, unsafe=True),
        responses=errors(400, 404),
    )
    async def revoke_key(
        self,
        request: Request[Any, Any, Any],
        key_id: PathId,
        principal: PrincipalDep,
        app_state: KeysStateDep,
    ) -> KeyOut:
        """Revoke a key and all its secrets, for good, and every key made through it. Refused everywhere within a
        second."""
        revoked = await app_state.db.write(
            service.revoke_key, principal, key_id, origin(request, app_state.settings), delete=False
        )
        app_state.verifiers.forget(revoked)
        return revoked.key

    @delete(
        "/{key_id:int}",
        status_code=204,
        opt={"uses": Scope.KEYS_WRITE},
        security=callers(Scope.KEYS_WRITE, unsafe=True),
        responses=errors(400, 404),
    )
    async def delete_key(
        self,
        request: Request[Any, Any, Any],
        key_id: PathId,
        principal: PrincipalDep,
        app_state: KeysStateDep,
    ) -> None:
        """Delete a key: revoked for good (with every key made through it) and listed only with
        includeRevoked=true. The audit trail stays."""
        revoked = await app_state.db.write(
            service.revoke_key, principal, key_id, origin(request, app_state.settings), delete=True
        )
        app_state.verifiers.forget(revoked)


OrgSlug = Annotated[str, PathParameter(description="organization slug", max_length=63)]


@get("/v1/organizations/{org:str}/settings", tags=["organizations"], security=sessions(), responses=errors(400, 404))
async def organization_settings(org: OrgSlug, principal: PrincipalDep, app_state: KeysStateDep) -> policy.PolicyOut:
    """The organization's key policy: active keys per user, the longest key lifetime, and its plan (own fields and
    the effective plan). Needs access:manage (owner or admin)."""
    return await app_state.db.read(policy.policy, principal, org)


@patch(
    "/v1/organizations/{org:str}/settings",
    tags=["organizations"],
    request_max_body_size=4 * 1024,
    security=sessions(unsafe=True),
    responses=errors(400, 404, 413, why={403: "Only owners change the settings."}),
)
async def change_organization_settings(
    org: OrgSlug, data: JSONBody[policy.PolicyPatch], principal: PrincipalDep, app_state: KeysStateDep
) -> policy.PolicyOut:
    """Change the key policy; owners only. Fields left out stay; `plan` replaces the organization's own plan
    (fields it leaves out take the default: 1,000,000 requests per PT15M, no daily quota, 15 token requests). A
    plan applies within a minute. Lowering the active-key limit revokes nothing; it stops new keys past it."""
    return await app_state.db.write(policy.change, principal, org, data)


@get(
    "/v1/token/renew",
    tags=["keys"],
    security=API_KEYS,
    responses=errors(409, why={403: "The key may not renew.", 409: "The key that made this one has expired."}),
)
async def renew_token(request: Request[Any, Any, Any], principal: PrincipalDep, app_state: KeysStateDep) -> RenewOut:
    """Called with a key that has canRenew, before it expires: a new secret with the same permissions and a
    fresh lifetime. The calling secret stays valid until its own expiry."""
    return await app_state.db.write(lifecycle.renew, principal, origin(request, app_state.settings))


ROUTES: list[ControllerRouterHandler] = [
    KeyController,
    renew_token,
    organization_settings,
    change_organization_settings,
]
