"""The console's members page: add a member, change a role, grant integrations:write, remove a member; the
last-owner rule is shown on the page and enforced by the accounts service, as for the API."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
import sqlalchemy as sa
from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from sensorgate.accounts import service
from sensorgate.accounts.passwords import hash_password
from sensorgate.accounts.schemas import MemberIn, MemberPatch
from sensorgate.auth.principal import Membership, Principal
from sensorgate.auth.scopes import ROLES, Scope
from sensorgate.console import forms
from sensorgate.console.views import ConsoleUser, Id, Org, page
from sensorgate.kit.errors import ApiError
from sensorgate.kit.paging import MAX_PAGE_SIZE
from sensorgate.kit.times import utcnow
from sensorgate.web.state import AppStateDep

FORM_BODY = 8 * 1024
MEMBER_FIELDS = frozenset({"email", "role", "permissions", "password"})


def _members(conn: sa.Connection, principal: Principal, slug: str, number: int) -> tuple[Any, int]:
    return service.list_members(conn, principal, slug, number, MAX_PAGE_SIZE), service.owner_count(
        conn, principal, slug
    )


async def _page(
    request: Request[Any, Any, Any],
    viewer: Principal,
    membership: Membership,
    app_state: Any,
    *,
    number: int = 1,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Template:
    members, owners = await app_state.db.read(_members, viewer, membership.organization, number)
    is_owner = Scope.ORG_OWN in membership.permissions
    return page(
        request,
        "members.html",
        "Members",
        viewer,
        membership,
        current="Members",
        status=status,
        members=members,
        owners=owners,
        is_owner=is_owner,
        roles=ROLES,
        add_roles=[r for r in ROLES if is_owner or r != "owner"],
        errors=errors or {},
        form=form or {"role": "viewer"},
    )


@get("/orgs/{org:str}/members")
async def members_page(
    request: Request[Any, Any, Any],
    org: Org,
    viewer: ConsoleUser,
    app_state: AppStateDep,
    number: Annotated[int, QueryParameter(name="page", ge=1, le=1_000_000)] = 1,
) -> Template:
    return await _page(request, viewer, viewer.membership_named(org), app_state, number=number)


@post("/orgs/{org:str}/members", request_max_body_size=FORM_BODY)
async def add_member(
    request: Request[Any, Any, Any], org: Org, viewer: ConsoleUser, app_state: AppStateDep
) -> Template | Redirect:
    membership = viewer.membership_named(org)
    form = await request.form()
    payload = {
        "email": forms.text(form, "email"),
        "role": forms.text(form, "role"),
        "permissions": [Scope.INTEGRATIONS_WRITE] if forms.checked(form, "integrations") else [],
        "password": str(form.get("password") or "") or None,
    }
    try:
        body = forms.decode(MemberIn, payload, MEMBER_FIELDS)
        hashed = await anyio.to_thread.run_sync(hash_password, body.password) if body.password else None
        await app_state.db.write(service.add_member, viewer, org, body, hashed, utcnow())
    except ApiError as exc:
        if exc.status in (401, 404) and exc.field is None:
            raise
        shown = {**payload, "password": "", "integrations": bool(payload["permissions"])}
        return await _page(
            request, viewer, membership, app_state, errors=forms.errors_of(exc), form=shown, status=exc.status
        )
    return Redirect(f"/orgs/{org}/members?done=member-added", status_code=303)


@post("/orgs/{org:str}/members/{user_id:int}", request_max_body_size=FORM_BODY)
async def change_member(
    request: Request[Any, Any, Any], org: Org, user_id: Id, viewer: ConsoleUser, app_state: AppStateDep
) -> Template | Redirect:
    membership = viewer.membership_named(org)
    form = await request.form()
    payload: dict[str, Any] = {"permissions": [Scope.INTEGRATIONS_WRITE] if forms.checked(form, "integrations") else []}
    if forms.text(form, "role"):
        payload["role"] = forms.text(form, "role")
    try:
        patch = forms.decode(MemberPatch, payload, MEMBER_FIELDS)
        await app_state.db.write(service.update_member, viewer, org, user_id, patch)
    except ApiError as exc:
        if exc.status == 401:
            raise
        errors = {f"member-{user_id}": exc.message}
        return await _page(request, viewer, membership, app_state, errors=errors, status=exc.status)
    return Redirect(f"/orgs/{org}/members?done=member-changed", status_code=303)


@post("/orgs/{org:str}/members/{user_id:int}/remove", request_max_body_size=FORM_BODY)
async def remove_member(
    request: Request[Any, Any, Any], org: Org, user_id: Id, viewer: ConsoleUser, app_state: AppStateDep
) -> Template | Redirect:
    membership = viewer.membership_named(org)
    try:
        await app_state.db.write(service.remove_member, viewer, org, user_id)
    except ApiError as exc:
        if exc.status == 401:
            raise
        errors = {f"member-{user_id}": exc.message}
        return await _page(request, viewer, membership, app_state, errors=errors, status=exc.status)
    if user_id == viewer.user_id:
        return Redirect("/", status_code=303)  # you left: this organization is no longer yours to see
    return Redirect(f"/orgs/{org}/members?done=member-removed", status_code=303)


ROUTES = [members_page, add_member, change_member, remove_member]
