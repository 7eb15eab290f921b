"""The console's organization settings: the plan (request window, daily quota, token requests), the active-key
limit and the longest key lifetime. Admins see them; owners change them, through the same policy service as
`PATCH /v1/organizations/{org}/settings` and `sensorgate orgs limits`."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from sensorgate.auth.principal import Membership, Principal
from sensorgate.console import forms
from sensorgate.console.views import ConsoleUser, Org, page
from sensorgate.credentials import policy
from sensorgate.kit.errors import ApiError
from sensorgate.web.state import AppStateDep

FORM_BODY = 8 * 1024
PLAN_FIELDS = ("requests", "window", "daily", "tokens")
POLICY_FIELDS = frozenset({"maxActiveKeysPerUser", "maxKeyLifetimeDays", "plan"})


def _page(
    request: Request[Any, Any, Any],
    viewer: Principal,
    membership: Membership,
    current: policy.PolicyOut,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    if form is None:
        form = {
            "max_active_keys": str(current.max_active_keys_per_user),
            "max_lifetime": str(current.max_key_lifetime_days),
            **{name: str(current.plan.get(name, "")) for name in PLAN_FIELDS},
        }
    return page(
        request,
        "settings.html",
        "Settings",
        viewer,
        membership,
        current="Settings",
        status=status,
        policy=current,
        form=form,
        errors=errors or {},
    )


@get("/orgs/{org:str}/settings")
async def settings_page(
    request: Request[Any, Any, Any], org: Org, viewer: ConsoleUser, app_state: AppStateDep
) -> Template:
    membership = viewer.membership_named(org)
    current = await app_state.db.read(policy.policy, viewer, org)
    return _page(request, viewer, membership, current)


@post("/orgs/{org:str}/settings", request_max_body_size=FORM_BODY)
async def save_settings(
    request: Request[Any, Any, Any], org: Org, viewer: ConsoleUser, app_state: AppStateDep
) -> Template | Redirect:
    membership = viewer.membership_named(org)
    form = await request.form()
    values = {name: forms.text(form, name) for name in ("max_active_keys", "max_lifetime", *PLAN_FIELDS)}
    payload: dict[str, Any] = {
        "maxActiveKeysPerUser": values["max_active_keys"] or None,
        "maxKeyLifetimeDays": values["max_lifetime"] or None,
        # The plan is the organization's own fields; an empty one takes the default plan's.
        "plan": {name: values[name] for name in PLAN_FIELDS if values[name]},
    }
    try:
        patch = forms.decode(policy.PolicyPatch, payload, POLICY_FIELDS)
        await app_state.db.write(policy.change, viewer, org, patch)
    except ApiError as exc:
        if exc.status in (401, 404):
            raise
        current = await app_state.db.read(policy.policy, viewer, org)
        return _page(request, viewer, membership, current, form=values, errors=forms.errors_of(exc), status=exc.status)
    return Redirect(f"/orgs/{org}/settings?done=settings", status_code=303)


ROUTES = [settings_page, save_settings]
