"""The web console: log in and out, the organization overview, and the key, member and settings pages (keys.py,
members.py, settings.py). Every page is a session's, under the same services and permissions as the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from litestar import MediaType, Request, Router, get, post
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router

from sensorgate.accounts import service as accounts
from sensorgate.accounts import sessions
from sensorgate.auth.guard import CSRF_COOKIE, SESSION_COOKIE, client_address, session_cookies
from sensorgate.auth.principal import Principal
from sensorgate.console import keys, members, sensors, settings, setup, usage
from sensorgate.console.views import HEADERS, ConsoleUser, Org, error_page, page
from sensorgate.credentials.service import manages_keys
from sensorgate.kit.errors import ApiError, Unauthorized
from sensorgate.web.offers import ANYTHING
from sensorgate.web.state import AppStateDep

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
LOGIN_BODY = 4 * 1024


async def console_user(request: Request[Any, Any, Any], app_state: AppStateDep) -> Principal:
    return await app_state.guard.console_principal(request)


def _safe_next(target: str) -> str:
    """Only a path of this site: never another host (`//evil`, `/\\evil`), so login cannot redirect away."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


@get("/")
async def home(request: Request[Any, Any, Any], app_state: AppStateDep) -> Redirect | Template:
    """Your first organization's overview; the login page without a session."""
    try:
        viewer = await app_state.guard.console_principal(request)
    except Unauthorized:
        return Redirect("/login", status_code=303)
    if not viewer.memberships:
        return page(request, "error.html", "No organization", viewer, message="You belong to no organization yet: "
                    "ask an owner or admin to add you.", back="/login")  # fmt: skip
    first = min(viewer.memberships.values(), key=lambda m: m.organization)
    return Redirect(f"/orgs/{first.organization}/", status_code=303)


@get("/login")
async def login_page(
    request: Request[Any, Any, Any], next_path: Annotated[str, QueryParameter(name="next", max_length=500)] = "/"
) -> Template:
    return page(request, "login.html", "Log in", None, next=_safe_next(next_path), email="", error=None)


@post("/login", request_max_body_size=LOGIN_BODY)
async def log_in(request: Request[Any, Any, Any], app_state: AppStateDep) -> Template | Redirect:
    """The same login as POST /v1/auth/login, throttle included; the cookies are the same too."""
    form = await request.form()
    email, password = str(form.get("email") or "").strip().lower(), str(form.get("password") or "")
    target = _safe_next(str(form.get("next") or "/"))
    try:
        if not email or not password or len(email) > 254 or len(password) > 256:
            raise Unauthorized("email and password are required, at most 254 and 256 characters")
        done = await sessions.log_in(
            app_state.db,
            app_state.login_throttle,
            app_state.settings,
            email,
            password,
            ip=client_address(request),
            user_agent=request.headers.get("user-agent"),
        )
    except ApiError as exc:
        status = 400 if exc.status == 401 else exc.status
        return page(request, "login.html", "Log in", None, status=status, next=target, email=email, error=exc.message)
    max_age = app_state.settings.session_hours * 3600
    cookies = session_cookies(done.session.token, done.session.csrf_token, max_age, app_state.settings.cookies_secure)
    return Redirect(target, status_code=303, cookies=cookies)


@post("/logout", request_max_body_size=LOGIN_BODY)
async def log_out(viewer: ConsoleUser, app_state: AppStateDep) -> Redirect:
    if viewer.session_id is not None:
        await app_state.db.write(sessions.close_session, viewer.session_id)
    response = Redirect("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@get("/orgs/{org:str}/")
async def overview(request: Request[Any, Any, Any], org: Org, viewer: ConsoleUser, app_state: AppStateDep) -> Template:
    """The organization: your role, and its workspaces."""
    membership = viewer.membership_named(org)
    found = await app_state.db.read(accounts.list_workspaces, viewer, 1, 200)
    workspaces = [w for w in found.items if w.organization_id == membership.organization_id]
    return page(
        request,
        "overview.html",
        membership.organization_name,
        viewer,
        membership,
        current="Overview",
        workspaces=workspaces,
        may_manage_keys=manages_keys(membership.permissions),
    )


ROUTES = [
    Router(
        path="/",
        route_handlers=[
            home,
            login_page,
            log_in,
            log_out,
            overview,
            *keys.ROUTES,
            *members.ROUTES,
            *settings.ROUTES,
            *sensors.ROUTES,
            *setup.ROUTES,
            *usage.ROUTES,
        ],
        dependencies={"viewer": Provide(console_user)},
        exception_handlers={ApiError: error_page, HTTPException: error_page},
        response_headers=HEADERS,
        include_in_schema=False,
        tags=["console"],
        opt={"offers": [MediaType.HTML]},
    ),
    create_static_files_router(
        path="/console/static",
        directories=[HERE / "static"],
        include_in_schema=False,
        send_as_attachment=False,
        opt={"offers": [ANYTHING]},
    ),
]
