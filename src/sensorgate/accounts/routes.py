"""HTTP routes for login, the current user, workspaces and members. Thin: parse, call the service, answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody, PathParameter
from litestar.types import ControllerRouterHandler

from sensorgate.accounts import service, sessions, store
from sensorgate.accounts.guard import client_address
from sensorgate.accounts.passwords import hash_password, verify_password
from sensorgate.accounts.principal import PrincipalDep
from sensorgate.accounts.schemas import (
    LoginIn,
    LoginOut,
    MemberIn,
    MemberOut,
    MemberPatch,
    MembershipOut,
    MeOut,
    UserOut,
    WorkspaceIn,
    WorkspaceOut,
)
from sensorgate.kit.errors import Unauthorized
from sensorgate.kit.paging import DEFAULT_PAGE_SIZE, Page, PageNumber, PageSize
from sensorgate.kit.times import iso, utcnow
from sensorgate.web.state import AppStateDep

# Login and account bodies are tiny; a small cap keeps a flood of large bodies cheap to refuse.
SMALL_BODY = 16 * 1024


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["auth"]

    @post("/login", request_max_body_size=SMALL_BODY, status_code=200)
    async def login(
        self, data: JSONBody[LoginIn], request: Request[Any, Any, Any], app_state: AppStateDep
    ) -> Response[LoginOut]:
        """Log in to the console with email and password.

        Sets an HttpOnly session cookie and returns the CSRF token that unsafe requests must send in
        `X-CSRF-Token`. Repeated failures for one email or from one address answer 429 with Retry-After.
        """
        address = client_address(request)
        await app_state.login_throttle.check(data.email, address)
        user = await app_state.db.read(store.user_by_email, data.email)
        ok, new_hash = await anyio.to_thread.run_sync(
            verify_password, user.password_hash if user else None, data.password
        )
        if not ok or user is None:
            await app_state.login_throttle.failed(data.email, address)
            raise Unauthorized("wrong email or password")
        await app_state.login_throttle.succeeded(data.email)
        settings = app_state.settings
        opened = await app_state.db.write(
            sessions.open_session,
            settings.hash_pepper,
            user.id,
            now=utcnow(),
            lifetime=timedelta(hours=settings.session_hours),
            ip=address,
            user_agent=request.headers.get("user-agent"),
            new_password_hash=new_hash,
        )
        body = LoginOut(
            user=UserOut(id=user.id, email=user.email, created_at=iso(user.created_at)),
            csrf_token=opened.csrf_token,
            expires_at=iso(opened.expires_at),
        )
        response = Response(body)
        max_age = settings.session_hours * 3600
        secure = settings.cookies_secure
        response.set_cookie(
            sessions.SESSION_COOKIE,
            opened.token,
            httponly=True,
            samesite="lax",
            secure=secure,
            max_age=max_age,
        )
        # Readable by the console's script, so a reloaded page can still send X-CSRF-Token.
        response.set_cookie(
            sessions.CSRF_COOKIE,
            opened.csrf_token,
            httponly=False,
            samesite="strict",
            secure=secure,
            max_age=max_age,
        )
        return response

    @post("/logout", status_code=204)
    async def logout(self, principal: PrincipalDep, app_state: AppStateDep) -> Response[None]:
        """End the console session. Needs the X-CSRF-Token header."""
        if principal.session_id is not None:
            await app_state.db.write(sessions.close_session, principal.session_id)
        response: Response[None] = Response(None, status_code=204)
        response.delete_cookie(sessions.SESSION_COOKIE)
        response.delete_cookie(sessions.CSRF_COOKIE)
        return response


@get("/v1/me", tags=["auth"])
async def me(principal: PrincipalDep, app_state: AppStateDep) -> MeOut:
    """The caller: user, organizations with role and permissions, and how it authenticated."""
    user = None
    if principal.credential_id is None:
        row = await app_state.db.read(store.user_by_id, principal.user_id or 0)
        if row is None:
            raise Unauthorized("this account no longer exists")
        user = UserOut(id=row.id, email=row.email, created_at=iso(row.created_at))
    memberships = [
        MembershipOut(
            organization_id=m.organization_id,
            organization=m.organization,
            organization_name=m.organization_name,
            role=m.role,
            permissions=sorted(m.permissions),
        )
        for m in principal.memberships.values()
    ]
    return MeOut(user=user, memberships=memberships, auth=principal.kind, credential=principal.credential_id)


class WorkspaceController(Controller):
    path = "/v1/workspaces"
    tags = ["workspaces"]

    @get("/")
    async def list_workspaces(
        self, principal: PrincipalDep, app_state: AppStateDep, page: PageNumber = 1, size: PageSize = DEFAULT_PAGE_SIZE
    ) -> Page[WorkspaceOut]:
        """The workspaces of every organization the caller belongs to, by id."""
        return await app_state.db.read(service.list_workspaces, principal, page, size)

    @post("/", request_max_body_size=SMALL_BODY)
    async def create_workspace(
        self, data: JSONBody[WorkspaceIn], principal: PrincipalDep, app_state: AppStateDep
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
        app_state: AppStateDep,
        page: PageNumber = 1,
        size: PageSize = DEFAULT_PAGE_SIZE,
    ) -> Page[MemberOut]:
        """The organization's members. Needs access:manage (owner or admin)."""
        return await app_state.db.read(service.list_members, principal, org, page, size)

    @post("/", request_max_body_size=SMALL_BODY)
    async def add_member(
        self, org: OrgSlug, data: JSONBody[MemberIn], principal: PrincipalDep, app_state: AppStateDep
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
        user_id: FromPath[int],
        data: JSONBody[MemberPatch],
        principal: PrincipalDep,
        app_state: AppStateDep,
    ) -> MemberOut:
        """Change a member's role or granted permissions. The last owner cannot be demoted (409)."""
        return await app_state.db.write(service.update_member, principal, org, user_id, data)

    @delete("/{user_id:int}", status_code=204)
    async def remove_member(
        self, org: OrgSlug, user_id: FromPath[int], principal: PrincipalDep, app_state: AppStateDep
    ) -> None:
        """Remove a member. The last owner cannot be removed (409)."""
        await app_state.db.write(service.remove_member, principal, org, user_id)


ROUTES: list[ControllerRouterHandler] = [AuthController, me, WorkspaceController, MembersController]
