"""Plans: how many data requests a credential may make per window and per day, and how many access tokens an
OAuth client may ask for per 15 minutes.

The default plan allows 1,000,000 requests per 15 minutes (as Ayyeka does), sets no daily quota and allows 15
token requests per 15 minutes. An organization may override it (organizations.rate_limits, set with `sensorgate
orgs plan`), and a credential may override that (credentials.limits, the `limits` field of POST /v1/keys); each
field falls back on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sensorgate.accounts import store as accounts_store
from sensorgate.credentials import store
from sensorgate.credentials.schemas import check_window

DEFAULT_REQUESTS = 1_000_000
DEFAULT_WINDOW = "PT15M"
DEFAULT_WINDOW_SECONDS = 900
DEFAULT_TOKENS = 15
FIELDS = ("requests", "window", "daily", "tokens")


@dataclass(frozen=True, slots=True)
class Plan:
    requests: int
    window: str  # ISO 8601, as the caller wrote it
    window_seconds: int
    daily: int | None  # None: no daily quota
    tokens: int = DEFAULT_TOKENS  # token requests per 15 minutes, for an OAuth client

    def as_json(self) -> dict[str, Any]:
        return {"requests": self.requests, "window": self.window, "daily": self.daily, "tokens": self.tokens}


DEFAULT_PLAN = Plan(DEFAULT_REQUESTS, DEFAULT_WINDOW, DEFAULT_WINDOW_SECONDS, None)


def effective_plan(credential: dict[str, Any] | None, organization: dict[str, Any] | None) -> Plan:
    """Per field: the credential's, else the organization's, else the default's."""
    layers = [layer for layer in (credential, organization) if layer]

    def pick(name: str) -> Any:
        return next((layer[name] for layer in layers if layer.get(name) is not None), None)

    window = pick("window") or DEFAULT_WINDOW
    return Plan(
        pick("requests") or DEFAULT_REQUESTS,
        window,
        window_seconds(window),
        pick("daily"),
        pick("tokens") or DEFAULT_TOKENS,
    )


def window_seconds(text: str) -> int:
    """A stored window's length in seconds (windows are checked when they are set: see check_window)."""
    try:
        return check_window(text)
    except ValueError:
        return DEFAULT_WINDOW_SECONDS


def organization_plan(conn: sa.Connection, organization_id: int) -> dict[str, Any] | None:
    """The organization's own fields, as stored (None: it has none)."""
    return accounts_store.organization_by_id(conn, organization_id).rate_limits  # type: ignore[no-any-return]


def set_organization_plan(conn: sa.Connection, organization_id: int, values: dict[str, Any] | None) -> None:
    accounts_store.update_organization(conn, organization_id, {"rate_limits": values})


def plans_of(conn: sa.Connection, credential_ids: list[int], depth: int = 0) -> dict[int, Plan]:
    """Each credential's plan: its own limits over its organization's plan over the default; for a key made by a
    key, its own limits over its maker's plan, and none looser than it. Read again each time, so that a maker's
    tighter plan tightens the keys it made."""
    rows = store.plan_layers(conn, credential_ids)
    plans = {row.id: effective_plan(row.limits, row.rate_limits) for row in rows}
    made = {row.id: row for row in rows if row.created_by_credential_id is not None}
    if made and depth < store.MAX_LINE:
        makers = plans_of(conn, sorted({row.created_by_credential_id for row in made.values()}), depth + 1)
        for credential_id, row in made.items():
            if row.created_by_credential_id in makers:
                plans[credential_id] = within(row.limits, makers[row.created_by_credential_id])
    return plans


def within(own: dict[str, Any] | None, ceiling: Plan) -> Plan:
    """A key's own limits, field by field, over its maker's plan, held within it: no more requests, a window no
    shorter (so no higher rate either), no larger daily quota, no more token requests."""
    own = own or {}
    window, seconds = ceiling.window, ceiling.window_seconds
    if own.get("window") and window_seconds(own["window"]) > seconds:
        window, seconds = own["window"], window_seconds(own["window"])
    dailies = [d for d in (own.get("daily"), ceiling.daily) if d is not None]
    return Plan(
        min(own.get("requests") or ceiling.requests, ceiling.requests),
        window,
        seconds,
        min(dailies) if dailies else None,
        min(own.get("tokens") or ceiling.tokens, ceiling.tokens),
    )


def looser_than(own: dict[str, Any], ceiling: Plan) -> list[str]:
    """The fields of a key's own limits that go beyond a ceiling, each saying what the ceiling allows."""
    found = []
    if own.get("requests") is not None and own["requests"] > ceiling.requests:
        found.append(f"requests {own['requests']} (at most {ceiling.requests})")
    if own.get("window") is not None and window_seconds(own["window"]) < ceiling.window_seconds:
        found.append(f"window {own['window']} (at least {ceiling.window})")
    if own.get("daily") is not None and ceiling.daily is not None and own["daily"] > ceiling.daily:
        found.append(f"daily {own['daily']} (at most {ceiling.daily})")
    if own.get("tokens") is not None and own["tokens"] > ceiling.tokens:
        found.append(f"tokens {own['tokens']} (at most {ceiling.tokens})")
    return found
