"""HTTP routes for login, the current user, workspaces and members. Thin: parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, Response, delete, get, patch, post
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
    MemberPatch,
    MeOut,
    UserOut,
    WorkspaceIn,
    WorkspaceOut,
)
from sensorgate.accounts.throttle import LoginThrottle
from sensorgate.auth.guard import CSRF_COOKIE, SESSION_COOKIE, client_address, session_cookies
from sensorgate.auth.principal import PrincipalDep
from sensorgate.db.engine import Database
from sensorgate.kit.ids import PathId
from sensorgate.kit.paging import DEFAULT_PAGE_SIZE, Page, PageNumber, PageSize
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

    @post("/login", request_max_body_size=SMALL_BODY, status_code=200)
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

    @post("/logout", status_code=204)
    async def logout(self, principal: PrincipalDep, app_state: AccountsStateDep) -> Response[None]:
        """End the console session. Needs the X-CSRF-Token header."""
        if principal.session_id is not None:
            await app_state.db.write(sessions.close_session, principal.session_id)
        response: Response[None] = Response(None, status_code=204)
        response.delete_cookie(SESSION_COOKIE)
        response.delete_cookie(CSRF_COOKIE)
        return response


@get("/v1/me", tags=["auth"])
async def me(principal: PrincipalDep, app_state: AccountsStateDep) -> MeOut:
    """The caller: user, organizations with role and permissions, and how it authenticated."""
    return await app_state.db.read(service.me, principal)


class WorkspaceController(Controller):
    path = "/v1/workspaces"
    tags = ["workspaces"]

    @get("/")
    async def list_workspaces(
        self,
        principal: PrincipalDep,
        app_state: AccountsStateDep,
        page: PageNumber = 1,
        size: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[WorkspaceOut]:
        """The workspaces of every organization the caller belongs to, by id."""
        return await app_state.db.read(service.list_workspaces, principal, page, size)

    @post("/", request_max_body_size=SMALL_BODY)
    async def create_workspace(
        self, data: JSONBody[WorkspaceIn], principal: PrincipalDep, app_state: AccountsStateDep
    ) -> WorkspaceOut:
        """Create a workspace. Needs owner or admin. Slugs are unique across the installation (409 if taken)."""
        return await app_state.db.write(service.create_workspace, principal, data, utcnow())


OrgSlug = Annotated[str, PathParameter(description="organization slug")]


class MembersController(Controller):
    path = "/v1/organizations/{org:str}/members"
    tags = ["members"]

    @get("/")
    async def list_members(
        self,
        org: OrgSlug,
        principal: PrincipalDep,
        app_state: AccountsStateDep,
        page: PageNumber = 1,
        size: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[MemberOut]:
        """The organization's members. Needs access:manage (owner or admin)."""
        return await app_state.db.read(service.list_members, principal, org, page, size)

    @post("/", request_max_body_size=SMALL_BODY)
    async def add_member(
        self, org: OrgSlug, data: JSONBody[MemberIn], principal: PrincipalDep, app_state: AccountsStateDep
    ) -> MemberOut:
        """Add a member. A new email needs `password` and creates the account. Only owners add owners.

        `permissions` grants extra permissions on top of the role; today only `integrations:write`.
        """
        password_hash = await anyio.to_thread.run_sync(hash_password, data.password) if data.password else None
        return await app_state.db.write(service.add_member, principal, org, data, password_hash, utcnow())

    @patch("/{user_id:int}", request_max_body_size=SMALL_BODY)
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

    @delete("/{user_id:int}", status_code=204)
    async def remove_member(
        self, org: OrgSlug, user_id: PathId, principal: PrincipalDep, app_state: AccountsStateDep
    ) -> None:
        """Remove a member. The last owner cannot be removed (409)."""
        await app_state.db.write(service.remove_member, principal, org, user_id)


ROUTES: list[ControllerRouterHandler] = [AuthController, me, WorkspaceController, MembersController]
