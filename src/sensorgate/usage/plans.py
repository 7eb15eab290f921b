"""Plans: how many data requests a credential may make per window and per day.

The default plan allows 1,000,000 requests per 15 minutes (as Ayyeka does) and sets no daily quota. An
organization may override it (organizations.rate_limits), and a credential may override that
(credentials.limits, the `limits` field of POST /v1/keys); each field falls back on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sensorgate.accounts.models import organizations
from sensorgate.credentials.models import credentials
from sensorgate.kit.timeparse import parse_duration

DEFAULT_REQUESTS = 1_000_000
DEFAULT_WINDOW = "PT15M"
DEFAULT_WINDOW_SECONDS = 900


@dataclass(frozen=True, slots=True)
class Plan:
    requests: int
    window: str  # ISO 8601, as the caller wrote it
    window_seconds: int
    daily: int | None  # None: no daily quota

    def as_json(self) -> dict[str, Any]:
        return {"requests": self.requests, "window": self.window, "daily": self.daily}


DEFAULT_PLAN = Plan(DEFAULT_REQUESTS, DEFAULT_WINDOW, DEFAULT_WINDOW_SECONDS, None)


def effective_plan(credential: dict[str, Any] | None, organization: dict[str, Any] | None) -> Plan:
    """Per field: the credential's, else the organization's, else the default's."""
    layers = [layer for layer in (credential, organization) if layer]

    def pick(name: str) -> Any:
        return next((layer[name] for layer in layers if layer.get(name) is not None), None)

    window = pick("window") or DEFAULT_WINDOW
    return Plan(pick("requests") or DEFAULT_REQUESTS, window, window_seconds(window), pick("daily"))


def window_seconds(text: str) -> int:
    """A window's length in seconds; months count 30 days (a rate window, not a calendar period)."""
    try:
        duration = parse_duration(text, "limits.window")
    except ValueError:
        return DEFAULT_WINDOW_SECONDS
    return max(1, duration.months * 30 * 86_400 + duration.days * 86_400 + duration.ms // 1000)


def plans_of(conn: sa.Connection, credential_ids: list[int]) -> dict[int, Plan]:
    rows = conn.execute(
        sa.select(credentials.c.id, credentials.c.limits, organizations.c.rate_limits)
        .join(organizations, organizations.c.id == credentials.c.organization_id)
        .where(credentials.c.id.in_(credential_ids))
    )
    return {row.id: effective_plan(row.limits, row.rate_limits) for row in rows}
