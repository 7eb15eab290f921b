"""Aquanow's answers: its APIKeysObject and its usage for the day, keyed by key (docs/dialects.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec

from sensorgate.credentials.schemas import KeyCreated
from sensorgate.credentials.user_keys import UserKey
from sensorgate.usage.report import KeyUsage


class ApiKey(msgspec.Struct, rename="camel"):
    """One key: `keyId` is our key id, `key` the public id sent in x-api-key (an API key's prefix, for an API key),
    `userName` the email of the user it belongs to. Times are epoch milliseconds."""

    key_id: str
    key: str
    user_name: str
    created_at: int
    updated_at: int
    type: Literal["regular"] = "regular"


class NewApiKey(ApiKey, kw_only=True):
    """A key just made, with its secret: the answer of the create, and the only time the secret is shown."""

    secret: str


class DayUsage(msgspec.Struct, rename="camel"):
    """One key's usage today: `items` maps its keyId to `[[used, limit]]`: requests served today and the daily
    quota (null: none). `usagePlanId` names the effective plan."""

    start_date: str
    end_date: str
    items: dict[str, list[list[int | None]]]
    usage_plan_id: str


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def api_key(found: UserKey) -> ApiKey:
    return ApiKey(str(found.id), found.key, found.user_name, _ms(found.created_at), _ms(found.updated_at))


def new_api_key(created: KeyCreated, found: UserKey) -> NewApiKey:
    listed = api_key(found)
    return NewApiKey(
        listed.key_id, listed.key, listed.user_name, listed.created_at, listed.updated_at, secret=created.secret
    )


def plan_id(plan: dict[str, Any]) -> str:
    daily = plan.get("daily")
    return f"{plan['requests']}/{plan['window']}" + (f"+{daily}/day" if daily else "")


def usage(items: list[KeyUsage], day: date) -> dict[str, DayUsage]:
    """Keyed by each key's public id (an API key has none: its keyId), as Aquanow keys it by API key."""
    text = day.isoformat()
    return {
        item.public_id or str(item.key): DayUsage(
            start_date=text,
            end_date=text,
            items={str(item.key): [[item.requests, item.daily_limit]]},
            usage_plan_id=plan_id(item.plan),
        )
        for item in items
    }
