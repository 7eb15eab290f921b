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
from sensorgate.credentials.schemas import check_window
from sensorgate.usage import store

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


def plans_of(conn: sa.Connection, credential_ids: list[int]) -> dict[int, Plan]:
    return {row.id: effective_plan(row.limits, row.rate_limits) for row in store.plan_layers(conn, credential_ids)}
