"""The console's key pages: the list, create (and the secret, shown once), a key's page with edit, reissue,
revoke, delete and its log. Each calls the credentials and usage services the API calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from sensorgate.auth.principal import Membership, Principal
from sensorgate.console import forms, key_form
from sensorgate.console.examples import examples
from sensorgate.console.key_views import KINDS, STATUSES, KeyView, key_view, keys_view, log_window, new_key_view
from sensorgate.console.usage_views import figures
from sensorgate.console.views import ConsoleUser, Id, Org, page
from sensorgate.credentials import lifecycle, service
from sensorgate.credentials.routes import origin
from sensorgate.credentials.schemas import KeyCreated, KeyPatch
from sensorgate.kit.errors import ApiError, BadRequest
from sensorgate.kit.ids import MAX_ID
from sensorgate.kit.times import utcnow
from sensorgate.usage import history
from sensorgate.usage.key_log import EVENTS
from sensorgate.web.state import AppStateDep

FORM_BODY = 32 * 1024  # a key form is well under this; a larger body is refused before it is read
PRESET_TEXT = {"7d": "7 days", "14d": "14 days", "1m": "1 month", "2m": "2 months", "3m": "3 months",
               "6m": "6 months", "1y": "1 year"}  # fmt: skip
# When the old secret stops after a reissue: hours from now, or None for its own expiry.
OLD_SECRET_ENDS = {"1h": ("in 1 hour", 1), "24h": ("in 24 hours", 24), "7d": ("in 7 days", 168),
                   "own": ("when it expires on its own", None)}  # fmt: skip
# The edit form's fields and their wire names: KeyPatch's.
EDITABLE = {"name": "name", "description": "description", "owner": "owner", "email": "email",
            "can_renew": "canRenew", "lifetime_days": "lifetimeDays"}  # fmt: skip
PATCH_FIELDS = frozenset(EDITABLE.values())


def _org(principal: Principal, slug: str) -> Membership:
    return principal.membership_named(slug)


@get("/orgs/{org:str}/keys")
async def keys_page(
    request: Request[Any, Any, Any],
    org: Org,
    viewer: ConsoleUser,
    app_state: AppStateDep,
    kind: Annotated[str, QueryParameter(max_length=20)] = "",
    status: Annotated[str, QueryParameter(max_length=20)] = "all",
    workspace: Annotated[str, QueryParameter(max_length=20)] = "",
    revoked: Annotated[str, QueryParameter(max_length=5)] = "",
) -> Template:
    membership = _org(viewer, org)
    kind = kind if kind in KINDS else ""
    status = status if status in STATUSES else "all"
    chosen = int(workspace) if workspace.isdigit() else None
    view = await app_state.db.read(
        keys_view,
        viewer,
        membership.organization_id,
        kind=kind,
        status=status,
        workspace=chosen,
        revoked=bool(revoked),
        now=utcnow(),
    )
    return page(
        request,
        "keys.html",
        "Keys",
        viewer,
        membership,
        current="Keys",
        rows=view.rows,
        active=view.standing,
        may_create=True,
        kinds=[("", "Any kind"), *KINDS.items()],
        statuses=list(STATUSES.items()),
        workspaces=view.offer.workspaces,
        filters={"kind": kind, "status": status, "workspace": chosen, "revoked": bool(revoked)},
    )


def _new_key_page(
    request: Request[Any, Any, Any],
    viewer: Principal,
    membership: Membership,
    offer: Any,
    form: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    narrower_of: Any = None,
    status: int = 200,
) -> Template:
    return page(
        request,
        "key_new.html",
        "Create a key",
        viewer,
        membership,
        current="Keys",
        status=status,
        form=form,
        errors=errors or {},
        narrower_of=narrower_of,
        active=offer.standing,
        kinds=list(KINDS.items()),
        scopes=offer.scopes,
        workspaces=offer.workspaces,
        groups=offer.groups,
        presets=[(p, PRESET_TEXT[p]) for p in offer.presets],
        longest=offer.longest_days,
        may_all=viewer.workspace_ids is None,
    )


@get("/orgs/{org:str}/keys/new")
async def new_key_page(
    request: Request[Any, Any, Any],
    org: Org,
    viewer: ConsoleUser,
    app_state: AppStateDep,
    workspace: Annotated[str, QueryParameter(max_length=20)] = "",
    narrower: Annotated[int | None, QueryParameter(name="from", ge=1, le=MAX_ID)] = None,
) -> Template:
    """The create form, least privilege first; `from=ID` fills it in from a key, with only the scopes it used."""
    membership = _org(viewer, org)
    offer, source = await app_state.db.read(new_key_view, viewer, membership.organization_id, narrower, utcnow())
    chosen = int(workspace) if workspace.isdigit() else None
    form = key_form.narrower(source, offer) if source else key_form.defaults(offer, chosen)
    return _new_key_page(request, viewer, membership, offer, form, narrower_of=source.key if source else None)


@post("/orgs/{org:str}/keys", request_max_body_size=FORM_BODY, status_code=201)
async def create_key(
    request: Request[Any, Any, Any], org: Org, viewer: ConsoleUser, app_state: AppStateDep
) -> Template:
    membership = _org(viewer, org)
    form = await request.form()
    try:
        body = key_form.key_in(form, membership.organization)
        created = await app_state.db.write(service.create_key, viewer, body, origin(request, app_state.settings))
    except ApiError as exc:
        if exc.status in (401, 404) and exc.field is None:
            raise
        offer, _ = await app_state.db.read(new_key_view, viewer, membership.organization_id, None, utcnow())
        return _new_key_page(
            request, viewer, membership, offer, key_form.values(form), errors=forms.errors_of(exc), status=exc.status
        )
    return _created_page(request, viewer, membership, created, reissued=False)


def _created_page(
    request: Request[Any, Any, Any], viewer: Principal, membership: Membership, created: KeyCreated, *, reissued: bool
) -> Template:
    base = str(request.base_url)
    return page(
        request,
        "key_created.html",
        "New secret" if reissued else "Key created",
        viewer,
        membership,
        current="Keys",
        status=201,
        created=created,
        kind=KINDS.get(created.key.kind, created.key.kind),
        reissued=reissued,
        examples=examples(created.key.kind, base, created.secret, created.public_id),
    )


async def _key(app_state: Any, viewer: Principal, membership: Membership, key_id: Id, **log: Any) -> KeyView:
    return await app_state.db.read(  # type: ignore[no-any-return]
        key_view,
        viewer,
        membership.organization_id,
        key_id,
        log_window=log.get("window"),
        event=log.get("event"),
        now=utcnow(),
        usage_days=log.get("usage_days"),
    )


def _key_page(
    request: Request[Any, Any, Any],
    viewer: Principal,
    membership: Membership,
    view: KeyView,
    *,
    errors: dict[str, str] | None = None,
    edit: dict[str, Any] | None = None,
    filters: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    key = view.row.key
    filters = filters or {"from": "", "to": "", "event": ""}
    csv = f"/v1/keys/{key.id}/log?format=csv"
    if view.log is not None:
        csv += f"&from={view.log.start}&to={view.log.end}" + (f"&event={filters['event']}" if filters["event"] else "")
    return page(
        request,
        "key.html",
        key.name,
        viewer,
        membership,
        current="Keys",
        status=status,
        row=view.row,
        log=view.log,
        errors=errors or {},
        edit=edit or _editable(key),
        filters=filters,
        events=EVENTS,
        csv=csv,
        old_ends=[(k, text) for k, (text, _) in OLD_SECRET_ENDS.items()],
        groups={g.id: f"{g.name} ({g.workspace})" for g in view.offer.groups},
        slugs={w.id: w.name for w in view.offer.workspaces},
        longest=view.offer.longest_days,
        usage=view.usage,
        figures=figures(view.usage, one_key=True) if view.usage else [],
        period=view.usage and len(view.usage.days),
        periods=history.PERIODS,
    )


def _editable(key: Any) -> dict[str, Any]:
    """The edit form's values for this key, as text (a checkbox: a bool)."""
    return {name: getattr(key, name) if name == "can_renew" else str(getattr(key, name)) for name in EDITABLE}


@get("/orgs/{org:str}/keys/{key_id:int}")
async def key_page(
    request: Request[Any, Any, Any],
    org: Org,
    key_id: Id,
    viewer: ConsoleUser,
    app_state: AppStateDep,
    start: Annotated[str, QueryParameter(name="from", max_length=40)] = "",
    end: Annotated[str, QueryParameter(name="to", max_length=40)] = "",
    event: Annotated[str, QueryParameter(max_length=20)] = "",
    days: Annotated[str, QueryParameter(max_length=10)] = "",
) -> Template:
    membership = _org(viewer, org)
    filters = {"from": start, "to": end, "event": event}
    try:
        window = log_window(start, end, utcnow())
        period = history.parse_days(days)
        await app_state.usage.flush_before_reading(app_state.db)
        view = await _key(app_state, viewer, membership, key_id, window=window, event=event or None, usage_days=period)
    except BadRequest as exc:
        # A wrong filter shows the page without the log, the error next to the filter.
        view = await _key(app_state, viewer, membership, key_id)
        errors = {"days" if exc.field == "days" else "log": exc.message}
        return _key_page(request, viewer, membership, view, errors=errors, filters=filters, status=400)
    return _key_page(request, viewer, membership, view, filters=filters)


@post("/orgs/{org:str}/keys/{key_id:int}/edit", request_max_body_size=FORM_BODY)
async def edit_key(
    request: Request[Any, Any, Any], org: Org, key_id: Id, viewer: ConsoleUser, app_state: AppStateDep
) -> Template | Redirect:
    membership = _org(viewer, org)
    form = await request.form()
    view = await _key(app_state, viewer, membership, key_id)
    current = _editable(view.row.key)
    # A field the form leaves out stays as it is; an unticked checkbox is never sent, so it means "off".
    wanted = {name: forms.text(form, name) if name in form else current[name] for name in EDITABLE}
    wanted["can_renew"] = forms.checked(form, "can_renew")
    # Only what changed, so the key's log names the fields that did.
    changes = {EDITABLE[name]: value for name, value in wanted.items() if value != current[name]}
    try:
        patch = forms.decode(KeyPatch, changes, PATCH_FIELDS)
        await app_state.db.write(lifecycle.update_key, viewer, key_id, patch, origin(request, app_state.settings))
    except ApiError as exc:
        if exc.status in (401, 404):
            raise
        errors = forms.errors_of(exc)
        return _key_page(request, viewer, membership, view, errors=errors, edit=wanted, status=exc.status)
    return Redirect(f"/orgs/{org}/keys/{key_id}?done=edited", status_code=303)


@post("/orgs/{org:str}/keys/{key_id:int}/reissue", request_max_body_size=FORM_BODY, status_code=201)
async def reissue_key(
    request: Request[Any, Any, Any], org: Org, key_id: Id, viewer: ConsoleUser, app_state: AppStateDep
) -> Template:
    membership = _org(viewer, org)
    form = await request.form()
    choice = forms.text(form, "old_secret_ends")
    if choice not in OLD_SECRET_ENDS:
        raise BadRequest(f"old_secret_ends is one of {', '.join(OLD_SECRET_ENDS)}")
    hours = OLD_SECRET_ENDS[choice][1]
    old_ends = None if hours is None else datetime.now(UTC) + timedelta(hours=hours)
    try:
        created = await app_state.db.write(
            lifecycle.reissue_key, viewer, key_id, origin(request, app_state.settings), old_ends
        )
    except ApiError as exc:
        if exc.status in (401, 404):
            raise
        view = await _key(app_state, viewer, membership, key_id)
        return _key_page(request, viewer, membership, view, errors={"reissue": exc.message}, status=exc.status)
    return _created_page(request, viewer, membership, created, reissued=True)


async def _confirmed(
    request: Request[Any, Any, Any], app_state: Any, viewer: Principal, membership: Membership, key_id: int
) -> KeyView | Template:
    """The key, when the form typed its name; else its page with the error next to the field."""
    form = await request.form()
    view = await _key(app_state, viewer, membership, key_id)
    if forms.text(form, "confirm") != view.row.key.name:
        message = "type the key's name exactly to confirm"
        return _key_page(request, viewer, membership, view, errors={"confirm": message}, status=400)
    return view


@post("/orgs/{org:str}/keys/{key_id:int}/revoke", request_max_body_size=FORM_BODY)
async def revoke_key(
    request: Request[Any, Any, Any], org: Org, key_id: Id, viewer: ConsoleUser, app_state: AppStateDep
) -> Template | Redirect:
    return await _revoke(request, org, key_id, viewer, app_state, delete=False)


@post("/orgs/{org:str}/keys/{key_id:int}/delete", request_max_body_size=FORM_BODY)
async def delete_key(
    request: Request[Any, Any, Any], org: Org, key_id: Id, viewer: ConsoleUser, app_state: AppStateDep
) -> Template | Redirect:
    return await _revoke(request, org, key_id, viewer, app_state, delete=True)


async def _revoke(
    request: Request[Any, Any, Any], org: Org, key_id: Id, viewer: Principal, app_state: Any, *, delete: bool
) -> Template | Redirect:
    membership = _org(viewer, org)
    confirmed = await _confirmed(request, app_state, viewer, membership, key_id)
    if isinstance(confirmed, Template):
        return confirmed
    revoked = await app_state.db.write(
        service.revoke_key, viewer, key_id, origin(request, app_state.settings), delete=delete
    )
    app_state.verifiers.forget(revoked)
    if delete:
        return Redirect(f"/orgs/{org}/keys?done=deleted", status_code=303)
    return Redirect(f"/orgs/{org}/keys/{key_id}?done=revoked", status_code=303)


ROUTES = [keys_page, new_key_page, create_key, key_page, edit_key, reissue_key, revoke_key, delete_key]
