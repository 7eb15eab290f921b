"""The create-key form: its starting values (least privilege), its values after a failed post, and the KeyIn it
becomes, the same struct `POST /v1/keys` decodes."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.datastructures import FormMultiDict

from sensorgate.auth.scopes import Scope
from sensorgate.console import forms
from sensorgate.console.key_views import KeyRow
from sensorgate.credentials.offer import Offer
from sensorgate.credentials.schemas import KeyIn

KEY_FIELDS = frozenset(f.encode_name for f in msgspec.structs.fields(KeyIn))
TEXT_FIELDS = ("kind", "name", "description", "owner", "email", "reach", "device_group", "expires", "expires_on")
AREA_FIELDS = ("ip_allowlist", "units")
LIMIT_FIELDS = ("requests", "window", "daily", "tokens")


def defaults(offer: Offer, workspace: int | None) -> dict[str, Any]:
    """Least privilege, as Ardexa advises: data:read, the shortest preset, one workspace."""
    ids = [w.id for w in offer.workspaces]
    chosen = workspace if workspace in ids else (ids[0] if ids else None)
    return {
        "kind": "api_key",
        "reach": "list",
        "workspace": [str(chosen)] if chosen is not None else [],
        "scope": [Scope.DATA_READ] if Scope.DATA_READ in offer.scopes else [],
        "expires": offer.presets[0] if offer.presets else "date",
    }


def narrower(row: KeyRow, offer: Offer) -> dict[str, Any]:
    """A key like this one with only the scopes it used in the last 30 days."""
    key = row.key
    return {
        "kind": key.kind,
        "name": f"{key.name} (narrower)"[:200],
        "description": key.description,
        "owner": key.owner,
        "email": key.email,
        "reach": "all" if key.all_workspaces else "list",
        "workspace": [str(i) for i in (key.exclude_workspaces if key.all_workspaces else key.workspaces)],
        "device_group": str(key.device_group) if key.device_group is not None else "",
        "scope": row.health.used_scopes,
        "expires": offer.presets[0] if offer.presets else "date",
        "can_renew": key.can_renew,
        "ip_allowlist": "\n".join(key.ip_allowlist),
        "units": "\n".join(f"{m}={u}" for m, u in key.units.items()),
    }


def values(form: FormMultiDict) -> dict[str, Any]:
    """The form as posted, to show it again next to its errors."""
    found: dict[str, Any] = {name: forms.text(form, name) for name in (*TEXT_FIELDS, *LIMIT_FIELDS)}
    found |= {name: str(form.get(name) or "") for name in AREA_FIELDS}
    found["workspace"] = forms.numbers(form, "workspace")
    found["scope"] = forms.numbers(form, "scope")
    found["can_renew"] = forms.checked(form, "can_renew")
    return found


def key_in(form: FormMultiDict, organization: str) -> KeyIn:
    """The KeyIn this form asks for, in the page's organization, or the API's 400 about the field that is wrong."""
    payload: dict[str, Any] = {
        "organization": organization,
        "kind": forms.text(form, "kind") or "api_key",
        "name": forms.text(form, "name"),
        "description": forms.text(form, "description"),
        "owner": forms.text(form, "owner"),
        "email": forms.optional(form, "email"),
        "deviceGroup": forms.optional(form, "device_group"),
        "scopes": forms.numbers(form, "scope"),
        "canRenew": forms.checked(form, "can_renew"),
        "ipAllowlist": forms.lines(form, "ip_allowlist"),
        "units": forms.pairs(form, "units", "units"),
    }
    ticked: list[int | str] = [int(v) if v.isdigit() else v for v in forms.numbers(form, "workspace")]
    if forms.text(form, "reach") == "all":
        payload |= {"allWorkspaces": True, "excludeWorkspaces": ticked}
    else:
        payload["workspaces"] = ticked
    expires = forms.text(form, "expires")
    if expires == "date":
        payload["expiresAt"] = forms.midnight_utc(forms.text(form, "expires_on"), "expiresAt")
    elif expires:
        payload["expiresIn"] = expires
    limits = {name: forms.text(form, name) for name in LIMIT_FIELDS if forms.text(form, name)}
    if limits:
        payload["limits"] = limits
    if payload["deviceGroup"] is not None and payload["deviceGroup"].isdigit():
        payload["deviceGroup"] = int(payload["deviceGroup"])
    return forms.decode(KeyIn, payload, KEY_FIELDS)
