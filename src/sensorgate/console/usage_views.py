"""The usage charts (console/charts.py) of an organization or of one key, from the usage history service: per UTC
day, the requests against the daily quota, the refusals of each reason, the points returned and the errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sensorgate.console.charts import Chart, bar_chart, format_number
from sensorgate.usage.history import UsageHistory

# What a refusal's reason means, in the words of docs/api.md's usage section.
REASONS = {
    "limit": "past the window's limit or the day's quota",
    "scope": "a scope the key lacks",
    "revoked": "a revoked key",
    "expired": "an expired key or secret",
    "address": "an address outside the allowlist",
    "signature": "a bad signature",
    "replayed": "a replayed signed request",
    "secret": "a wrong secret",
}


@dataclass(frozen=True, slots=True)
class Figure:
    heading: str
    total: str  # the period's sum, as the heading shows it
    chart: Chart
    note: str = ""


def _bars(
    heading: str, unit: str, total: int, values: list[tuple[date, float]], note: str = "", **limit: Any
) -> Figure:
    return Figure(heading, format_number(total), bar_chart(heading, unit, values, **limit), note)


def figures(history: UsageHistory, *, one_key: bool) -> list[Figure]:
    """The charts of a usage page, in order. The daily quota is per key: on one key's page it is drawn over the
    key's requests; on an organization's, over the most requests one key made each day."""
    days, total = history.days, history.total
    daily = history.plan.daily
    quota = {"limit": daily, "limit_label": f"daily quota {format_number(daily)}"} if daily else {}
    no_quota = "No daily quota: only the window's limit applies."
    requests = [(d.day, float(d.requests)) for d in days]
    if one_key:
        found = [_bars("Requests per day", "requests", total.requests, requests, "" if daily else no_quota, **quota)]
    else:
        busiest = [(d.day, float(d.busiest)) for d in days]
        found = [
            _bars("Requests per day", "requests", total.requests, requests),
            _bars(
                "Most requests by one key, per day",
                "requests",
                total.busiest,
                busiest,
                "Each key has the daily quota to itself." if daily else no_quota,
                **quota,
            ),
        ]
    found.append(_bars("Refusals per day", "refusals", total.refused, [(d.day, float(d.refused)) for d in days]))
    for reason in history.reasons:
        values = [(d.day, float(d.by_reason.get(reason, 0))) for d in days]
        found.append(_bars(f"Refusals: {reason}", "refusals", total.by_reason[reason], values, REASONS.get(reason, "")))
    found.append(_bars("Points returned per day", "points", total.points, [(d.day, float(d.points)) for d in days]))
    errors = [(d.day, float(d.errors)) for d in days]
    answered = "Requests let through that answered 4xx or 5xx."
    found.append(_bars("Errors per day", "errors", total.errors, errors, answered))
    return found
