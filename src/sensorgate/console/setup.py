"""The console's setup pages: virtual sensors, alarm rules, assets and device groups, each listed and created.

A form is decoded into the API's own input struct (SensorIn, RuleIn, AssetIn, DeviceGroupIn) and handed to the same
service as POST /v1/sensors, /v1/alarm-rules, /v1/assets and /v1/device-groups, so a bad expression or threshold
is refused with the API's status and words, shown next to its field. Every member reads these pages; creating
needs sensors:write, which the service checks (a role without it gets no form, and 403 if it posts anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from sensorgate.alarms import service as alarms
from sensorgate.alarms.schemas import RuleIn
from sensorgate.auth.principal import Membership, Principal
from sensorgate.auth.scopes import Scope
from sensorgate.console import forms
from sensorgate.console.setup_views import SetupView, named_view, rules_view, virtual_view
from sensorgate.console.views import ConsoleUser, Org, page
from sensorgate.kit.errors import ApiError, BadRequest
from sensorgate.kit.times import utcnow
from sensorgate.sensors import service as sensors
from sensorgate.sensors.schemas import AssetIn, DeviceGroupIn, SensorIn
from sensorgate.web.state import AppStateDep

FORM_BODY = 16 * 1024  # a setup form is well under this; a larger body is refused before it is read
# The tabs of the setup pages, in order: (path, label).
TABS = [("virtual-sensors", "Virtual sensors"), ("alarm-rules", "Alarm rules"), ("assets", "Assets"),
        ("device-groups", "Device groups")]  # fmt: skip
SENSOR_FIELDS = frozenset({"name", "workspaceId", "metric", "unit", "expression", "inputs", "interval"})
RULE_FIELDS = frozenset({"name", "metric", "condition", "threshold", "low", "high", "holdSeconds", "severity",
                         "sensor", "deviceGroup", "workspaceId"})  # fmt: skip
NAMED_FIELDS = frozenset({"name", "workspaceId"})
Number = Annotated[int, QueryParameter(name="page", ge=1, le=1_000_000)]


def _show(
    request: Request[Any, Any, Any],
    viewer: Principal,
    membership: Membership,
    tab: str,
    view: SetupView,
    form: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
    **context: Any,
) -> Template:
    title = dict(TABS)[tab]
    return page(
        request,
        f"setup_{tab.replace('-', '_')}.html",
        title,
        viewer,
        membership,
        current="Setup",
        status=status,
        tabs=TABS,
        tab=tab,
        view=view,
        form=form,
        errors=errors or {},
        may_create=Scope.SENSORS_WRITE in membership.permissions,
        **context,
    )


def _refused(exc: ApiError) -> dict[str, str]:
    """An error for the form, with the API's words; a 404 here is about what the form named (a workspace, a
    sensor, a device group), so it is shown on the form too. No session: the login page."""
    if exc.status == 401:
        raise exc
    return forms.errors_of(exc)


def _workspace(form: FormMultiDict) -> str | None:
    return forms.optional(form, "workspace")


# --- virtual sensors ------------------------------------------------------------------------------------------


def _inputs(form: FormMultiDict) -> dict[str, dict[str, str]]:
    """`name=sensor/metric` per line: the series each variable of the expression reads."""
    found = {}
    for line in forms.lines(form, "inputs"):
        name, sep, ref = line.partition("=")
        sensor, slash, metric = ref.strip().partition("/")
        if not sep or not slash or not name.strip() or not sensor.strip() or not metric.strip():
            raise BadRequest(f"inputs: write one name=sensor/metric per line, not {line[:60]!r}", field="inputs")
        found[name.strip()] = {"sensor": sensor.strip(), "metric": metric.strip()}
    return found


@get("/orgs/{org:str}/virtual-sensors")
async def virtual_page(
    request: Request[Any, Any, Any], org: Org, viewer: ConsoleUser, app_state: AppStateDep, number: Number = 1
) -> Template:
    membership = viewer.membership_named(org)
    view = await app_state.db.read(virtual_view, viewer, membership.organization_id, number)
    return _show(request, viewer, membership, "virtual-sensors", view, {})


@post("/orgs/{org:str}/virtual-sensors", request_max_body_size=FORM_BODY)
async def create_virtual(
    request: Request[Any, Any, Any], org: Org, viewer: ConsoleUser, app_state: AppStateDep
) -> Template | Redirect:
    membership = viewer.membership_named(org)
    form = await request.form()
    shown = {name: forms.text(form, name) for name in ("name", "workspace", "metric", "unit", "expression")}
    shown["inputs"] = str(form.get("inputs") or "")
    try:
        metric = {"metric": shown["metric"], "unit": shown["unit"] or None, "expression": shown["expression"],
                  "inputs": _inputs(form)}  # fmt: skip
        payload = {"name": shown["name"], "workspaceId": _workspace(form), "metrics": [metric]}
        body = forms.decode(SensorIn, payload, SENSOR_FIELDS)
        await app_state.db.write(sensors.create_sensor, viewer, body, utcnow())
    except ApiError as exc:
        view = await app_state.db.read(virtual_view, viewer, membership.organization_id, 1)
        errors = _refused(exc)
        return _show(request, viewer, membership, "virtual-sensors", view, shown, errors=errors, status=exc.status)
    return Redirect(f"/orgs/{org}/virtual-sensors?done=virtual-created", status_code=303)


# --- alarm rules ----------------------------------------------------------------------------------------------

RULE_DEFAULTS = {"condition": "above", "severity": "warning", "hold": "0", "watch": "sensor"}


@get("/orgs/{org:str}/alarm-rules")
async def rules_page(
    request: Request[Any, Any, Any], org: Org, viewer: ConsoleUser, app_state: AppStateDep
) -> Template:
    membership = viewer.membership_named(org)
    view = await app_state.db.read(rules_view, viewer, membership.organization_id)
    return _show(request, viewer, membership, "alarm-rules", view, dict(RULE_DEFAULTS))


@post("/orgs/{org:str}/alarm-rules", request_max_body_size=FORM_BODY)
async def create_rule(
    request: Request[Any, Any, Any], org: Org, viewer: ConsoleUser, app_state: AppStateDep
) -> Template | Redirect:
    membership = viewer.membership_named(org)
    form = await request.form()
    names = ("name", "metric", "condition", "threshold", "low", "high", "hold", "severity", "watch", "sensor",
             "device_group", "workspace")  # fmt: skip
    shown = {name: forms.text(form, name) for name in names}
    watch = shown["watch"]
    payload = {
        "name": shown["name"],
        "metric": shown["metric"],
        "condition": shown["condition"],
        "threshold": shown["threshold"] or None,
        "low": shown["low"] or None,
        "high": shown["high"] or None,
        "holdSeconds": shown["hold"] or 0,
        "severity": shown["severity"] or "warning",  # the API's default, as when the field is left out
        # What it watches, as the API takes it: a sensor, a device group, or (neither) the workspace.
        "sensor": (shown["sensor"] or None) if watch == "sensor" else None,
        "deviceGroup": (shown["device_group"] or None) if watch == "group" else None,
        "workspaceId": _workspace(form) if watch != "sensor" else None,
    }
    try:
        body = forms.decode(RuleIn, payload, RULE_FIELDS)
        await app_state.db.write(alarms.create_rule, viewer, body, utcnow())
    except ApiError as exc:
        view = await app_state.db.read(rules_view, viewer, membership.organization_id)
        errors = _refused(exc)
        return _show(request, viewer, membership, "alarm-rules", view, shown, errors=errors, status=exc.status)
    return Redirect(f"/orgs/{org}/alarm-rules?done=rule-created", status_code=303)


# --- assets and device groups ---------------------------------------------------------------------------------


def _named(tab: str, kind: str, struct: type[AssetIn] | type[DeviceGroupIn], create: Callable[..., Any]) -> list[Any]:
    """The list and create routes of assets or device groups: the same form, a name and a workspace."""

    @get(f"/orgs/{{org:str}}/{tab}", name=f"console-{tab}")
    async def listed(
        request: Request[Any, Any, Any], org: Org, viewer: ConsoleUser, app_state: AppStateDep
    ) -> Template:
        membership = viewer.membership_named(org)
        view = await app_state.db.read(named_view, viewer, membership.organization_id, kind)
        return _show(request, viewer, membership, tab, view, {})

    @post(f"/orgs/{{org:str}}/{tab}", request_max_body_size=FORM_BODY, name=f"console-{tab}-create")
    async def made(
        request: Request[Any, Any, Any], org: Org, viewer: ConsoleUser, app_state: AppStateDep
    ) -> Template | Redirect:
        membership = viewer.membership_named(org)
        form = await request.form()
        shown = {"name": forms.text(form, "name"), "workspace": forms.text(form, "workspace")}
        try:
            body = forms.decode(struct, {"name": shown["name"], "workspaceId": _workspace(form)}, NAMED_FIELDS)
            await app_state.db.write(create, viewer, body, utcnow())
        except ApiError as exc:
            view = await app_state.db.read(named_view, viewer, membership.organization_id, kind)
            errors = _refused(exc)
            return _show(request, viewer, membership, tab, view, shown, errors=errors, status=exc.status)
        return Redirect(f"/orgs/{org}/{tab}?done={tab}-created", status_code=303)

    return [listed, made]


ROUTES = [
    virtual_page,
    create_virtual,
    rules_page,
    create_rule,
    *_named("assets", "assets", AssetIn, sensors.create_asset),
    *_named("device-groups", "groups", DeviceGroupIn, sensors.create_device_group),
]
