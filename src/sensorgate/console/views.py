"""What every console page shares: the shell (who is logged in, the organization, the navigation their role may
use), the CSRF token for its forms, the security headers, and how an error becomes a page.

Pages are server-rendered Jinja2 templates (templates/) with one stylesheet and one small script (static/);
nothing is loaded from elsewhere, and every page works without the script but Copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from sensorgate.auth.guard import CSRF_COOKIE
from sensorgate.auth.principal import Membership, Principal
from sensorgate.auth.scopes import Scope
from sensorgate.credentials.service import manages_keys
from sensorgate.kit.context import get_context
from sensorgate.kit.errors import ApiError, Unauthorized
from sensorgate.kit.ids import PathId
from sensorgate.web.error_handler import render_error

# The page loads nothing from elsewhere and runs no inline script or style; a strict policy keeps it that way.
HEADERS = [
    ResponseHeader(
        name="Content-Security-Policy",
        value="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    # Pages hold a member list, a key's details and, once, its secret: no cache keeps them.
    ResponseHeader(name="Cache-Control", value="no-store"),
]

# Flash messages by code: a redirect names the code, so no text from a URL is ever shown.
FLASHES = {
    "edited": "Saved.",
    "revoked": "The key is revoked, for good, with every key made through it.",
    "deleted": "The key is deleted.",
    "member-added": "Member added.",
    "member-changed": "Member changed.",
    "member-removed": "Member removed.",
    "settings": "Settings saved.",
    "virtual-created": "Virtual sensor created.",
    "rule-created": "Alarm rule created.",
    "assets-created": "Asset created.",
    "device-groups-created": "Device group created.",
}

ConsoleUser = NamedDependency[Principal]
# Path parameters of console pages: an organization's slug and a key's or member's id.
Org = Annotated[str, PathParameter(max_length=63)]
Id = PathId


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    href: str
    current: bool


def navigation(membership: Membership, current: str) -> list[NavItem]:
    """The pages this role may use, under the same permissions the API checks: sensors and setup for every member
    (data:read; creating in setup needs sensors:write), keys and usage for integrations:write or access:manage,
    members and settings for access:manage."""
    base = f"/orgs/{membership.organization}"
    items = [("Overview", f"{base}/"), ("Sensors", f"{base}/sensors"), ("Setup", f"{base}/virtual-sensors")]
    if manages_keys(membership.permissions):
        items += [("Keys", f"{base}/keys"), ("Usage", f"{base}/usage")]
    if Scope.ACCESS_MANAGE in membership.permissions:
        items += [("Members", f"{base}/members"), ("Settings", f"{base}/settings")]
    return [NavItem(label, href, label == current) for label, href in items]


def page(
    request: Request[Any, Any, Any],
    template: str,
    title: str,
    principal: Principal | None,
    membership: Membership | None = None,
    *,
    current: str = "",
    status: int = 200,
    **context: Any,
) -> Template:
    """A page in the shell. `membership` is the organization the page is about."""
    flash = FLASHES.get(request.query_params.get("done", ""))
    memberships = sorted(principal.memberships.values(), key=lambda m: m.organization) if principal else []
    shell = {
        "title": title,
        "viewer": principal,
        "memberships": memberships,
        "org": membership,
        "nav": navigation(membership, current) if membership else [],
        "csrf": request.cookies.get(CSRF_COOKIE, ""),
        "flash": flash,
    }
    return Template(template_name=template, context={**shell, **context}, status_code=status)


def back_to(request: Request[Any, Any, Any]) -> str:
    """Where a failed page sends the user back to: the organization's overview, or home."""
    parts = request.url.path.split("/")
    return f"/orgs/{parts[2]}/" if len(parts) > 2 and parts[1] == "orgs" else "/"


def to_login(request: Request[Any, Any, Any]) -> Redirect:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/login?next={quote(target, safe='/')}" if request.method == "GET" else "/login", status_code=303)


def error_page(request: Request[Any, Any, Any], exc: ApiError | HTTPException) -> Response[Any]:
    """A console route's error as a page with the API's status and message; no session: the login page. Other
    exceptions are ours: the app's handler logs them with an errorId and answers 500."""
    if isinstance(exc, Unauthorized):
        return to_login(request)
    if get_context(request.scope).disconnected:
        return render_error(request, exc)  # the client is gone: one INFO line and a 499, as in the API
    if isinstance(exc, ApiError):
        status, message = exc.status, exc.message
    else:
        status, message = exc.status_code, str(exc.detail or HTTPStatus(exc.status_code).phrase)
    phrase = HTTPStatus(status).phrase
    return page(request, "error.html", phrase, None, status=status, message=message, back=back_to(request))
