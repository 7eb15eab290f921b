"""Aquanow's answer shapes, restated as test data of our own from its documentation pages (Accounts API, API
Keys; Authentication): each key with its JSON type. The examples there show `updatedAt` missing from a create's
answer, so a client cannot require it; we send it always."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

# APIKeysObject: times are epoch milliseconds, `type` is "regular".
API_KEY = {"keyId": str, "key": str, "userName": str, "type": str, "createdAt": int, "updatedAt": int}
KEY_TYPES = {"regular"}
# The usage of the day: {<api key>: {startDate, endDate, items: {<keyId>: [[used, limit]]}, usagePlanId}}.
DAY_USAGE = {"startDate": str, "endDate": str, "items": dict, "usagePlanId": str}
# Its clients read `(await res.json()).message` from every answer that is not a 200.
ERROR = {"message": str}
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MS_2020 = 1_577_836_800_000  # no key here is older than 2020: a time in seconds would be caught


def conforms(found: Any, shape: dict[str, Any]) -> None:
    assert isinstance(found, dict), found
    for name, kind in shape.items():
        assert name in found, (name, found)
        value = found[name]
        assert isinstance(value, kind) and not (kind is int and isinstance(value, bool)), (name, value)


def key_list(found: Any) -> list[dict[str, Any]]:
    """A bare array of APIKeysObject, none holding a secret."""
    assert isinstance(found, list), found
    for item in found:
        conforms(item, API_KEY)
        assert item["type"] in KEY_TYPES
        assert item["createdAt"] > MS_2020 and item["updatedAt"] >= item["createdAt"]
    return found


def day_usage(found: Any, today: date) -> dict[str, dict[str, Any]]:
    assert isinstance(found, dict), found
    for entry in found.values():
        conforms(entry, DAY_USAGE)
        assert entry["startDate"] == entry["endDate"] == today.isoformat() and DAY.fullmatch(entry["startDate"])
        for pairs in entry["items"].values():
            assert isinstance(pairs, list) and pairs, pairs
            for used, limit in pairs:
                assert isinstance(used, int) and (limit is None or isinstance(limit, int)), pairs
    return found


def error(response: Any, status: int, contains: str = "") -> str:
    """A refusal in Aquanow's shape, with our status and message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == set(ERROR), body
    conforms(body, ERROR)
    assert contains.lower() in body["message"].lower(), body["message"]
    return str(body["message"])
