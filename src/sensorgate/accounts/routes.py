"""HTTP routes for login, the current user, workspaces and members. Thin: parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from litestar.types import ControllerRouterHandler

from sensorgate.accounts import service, sessions
from sensorgate.accounts.passwords import hash_password
from sensorgate.accounts.schemas import (
    LoginIn,
    LoginOut,
    MemberIn,
    MemberOut,
    MemberPage,
    MemberPatch,
    MeOut,
    UserOut,
    WorkspaceIn,
    WorkspaceOut,
    WorkspacePage,
)
from sensorgate.accounts.throttle import LoginThrottle
from sensorgate.auth import openapi
from sensorgate.auth.guard import CSRF_COOKIE, SESSION_COOKIE, client_address, session_cookies
from sensorgate.auth.principal import PrincipalDep
from sensorgate.db.engine import Database
from sensorgate.kit.ids import PathId
from sensorgate.kit.openapi import errors
from sensorgate.kit.paging import DEFAULT_PAGE_SIZE, PageNumber, PageSize
from sensorgate.kit.times import iso, utcnow
from sensorgate.settings import Settings


class AccountsState:
    """What the account routes use of the app's state, which they ask for as the `app_state` dependency.

    web.state.AppState is one; naming only what is used here keeps these routes from importing anything above
    their own package.
    """

    __slots__ = ()
    db: Database
    settings: Settings
    login_throttle: LoginThrottle


AccountsStateDep = NamedDependency[AccountsState]

# Login and account bodies are tiny; a small cap keeps a flood of large bodies cheap to refuse.
SMALL_BODY = 16 * 1024


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["auth"]

    @post(
        "/login",
        request_max_body_size=SMALL_BODY,
        status_code=200,
        responses=errors(400, 401, 413, 429, guarded=False, why={401: "Wrong email or password."}),
    )
    async def login(
        self,
        data: JSONBody[LoginIn],
        request: Request[Any, Any, Any],
        app_state: AccountsStateDep,
    ) -> Response[LoginOut]:
        """Log in to the console with email and password.

        Sets an HttpOnly session cookie and returns the CSRF token that unsafe requests must send in
        `X-CSRF-Token`. Repeated failures for one email or from one address answer 429 with Retry-After.
        """
        done = await sessions.log_in(
            app_state.db,
            app_state.login_throttle,
            app_state.settings,
            data.email,
            data.password,
            ip=client_address(request),
            user_agent=request.headers.get("user-agent"),
        )
        user, opened = done.user, done.session
        body = LoginOut(
            user=UserOut(id=user.id, email=user.email, created_at=iso(user.created_at)),
            csrf_token=opened.csrf_token,
            expires_at=iso(opened.expires_at),
        )
        max_age = app_state.settings.session_hours * 3600
        cookies = session_cookies(opened.token, opened.csrf_token, max_age, app_state.settings.cookies_secure)
        response = Response(body, cookies=cookies)
        return response

    @post(
        "/logout",
        status_code=204,
        security=openapi.sessions(unsafe=True),
        responses=errors(),
        # Expired at once: the browser drops both cookies.
        response_cookies=[
            Cookie(key=SESSION_COOKIE, max_age=0, expires=0),
            Cookie(key=CSRF_COOKIE, max_age=0, expires=0),
        ],
    )
    async def logout(self, principal: PrincipalDep, app_state: AccountsStateDep) -> None:
        """End the console session. Needs the X-CSRF-Token header."""
        if principal.session_id is not None:
            await app_state.db.write(sessions.close_session, principal.session_id)


@get("/v1/me", tags=["auth"], security=openapi.callers(), responses=errors())
async def me(principal: PrincipalDep, app_state: AccountsStateDep) -> MeOut:
    """The caller: user, organizations with role and permissions, and how it authenticated."""
    return await app_state.db.read(service.me, principal)


class WorkspaceController(Controller):
    path = "/v1/workspaces"
    tags = ["workspaces"]

    @get("/", security=openapi.callers(), responses=errors(400))
    async def list_workspaces(
        self,
        principal: PrincipalDep,
        app_state: AccountsStateDep,
        page: PageNumber = 1,
        size: PageSize = DEFAULT_PAGE_SIZE,
    ) -> WorkspacePage:
        """The workspaces of every organization the caller belongs to, by id."""
        return await app_state.db.read(service.list_workspaces, principal, page, size)

    @post(
        "/",
        request_max_body_size=SMALL_BODY,
        security=openapi.sessions(unsafe=True),
        responses=errors(400, 404, 409, 413, why={409: "The slug is taken, in this or another organization."}),
    )
    async def create_workspace(
        self, data: JSONBody[WorkspaceIn], principal: PrincipalDep, app_state: AccountsStateDep
    ) -> WorkspaceOut:
        """Create a workspace. Needs owner or admin. Slugs are unique across the installation (409 if taken)."""
        return await app_state.db.write(service.create_workspace, principal, data, utcnow())


OrgSlug = Annotated[str, PathParameter(description="organization slug")]


class MembersController(Controller):
    path = "/v1/organizations/{org:str}/members"
    tags = ["members"]

    @get("/", security=openapi.sessions(), responses=errors(400, 404))
    async def list_members(
        self,
        org: OrgSlug,
        principal: PrincipalDep,
        app_state: AccountsStateDep,
        page: PageNumber = 1,
        size: PageSize = DEFAULT_PAGE_SIZE,
    ) -> MemberPage:
        """The organization's members. Needs access:manage (owner or admin)."""
        return await app_state.db.read(service.list_members, principal, org, page, size)

    @post(
        "/",
        request_max_body_size=SMALL_BODY,
        security=openapi.sessions(unsafe=True),
        responses=errors(400, 404, 409, 413, why={409: "Already a member."}),
    )
    async def add_member(
        self, org: OrgSlug, data: JSONBody[MemberIn], principal: PrincipalDep, app_state: AccountsStateDep
    ) -> MemberOut:
        """Add a member. A new email needs `password` and creates the account. Only owners add owners.

        `permissions` grants extra permissions on top of the role; today only `integrations:write`.
        """
        password_hash = await anyio.to_thread.run_sync(hash_password, data.password) if data.password else None
        return await app_state.db.write(service.add_member, principal, org, data, password_hash, utcnow())

    @patch(
        "/{user_id:int}",
        request_max_body_size=SMALL_BODY,
        security=openapi.sessions(unsafe=True),
        responses=errors(400, 404, 409, 413, why={409: "The last owner cannot be demoted."}),
    )
    async def update_member(
        self,
        org: OrgSlug,
        user_id: PathId,
        data: JSONBody[MemberPatch],
        principal: PrincipalDep,
        app_state: AccountsStateDep,
    ) -> MemberOut:
        """Change a member's role or granted permissions. The last owner cannot be demoted (409)."""
        return await app_state.db.write(service.update_member, principal, org, user_id, data)

    @delete(
        "/{user_id:int}",
        status_code=204,
        security=openapi.sessions(unsafe=True),
        responses=errors(400, 404, 409, why={409: "The last owner cannot be removed."}),
    )
    async def remove_member(
        self, org: OrgSlug, user_id: PathId, principal: PrincipalDep, app_state: AccountsStateDep
    ) -> None:
        """Remove a member. The last owner cannot be removed (409)."""
        await app_state.db.write(service.remove_member, principal, org, user_id)


ROUTES: list[ControllerRouterHandler] = [AuthController, me, WorkspaceController, MembersController]
