"""A world for the dialects: organization acme with two sensors and a week of readings, a read key, and
organization globex with a sensor of its own that acme's keys must never reach."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import add_user, login

Client = TestClient[Litestar]
HOUR = 3600
# Whole hours, a week back from a fixed point well inside the past, so that windows are exact.
START = 1_795_000_000 - 1_795_000_000 % HOUR


@dataclass
class World:
    owner: Client
    app: Litestar
    key: str  # data:read on acme
    room: dict[str, Any]  # temperature, humidity, battery and rssi, hourly for a week
    lab: dict[str, Any]  # co2, hourly for a day
    other: dict[str, Any]  # globex's sensor
    other_key: str
    key_id: int = 0
    other_owner: Client | None = None  # globex's owner, logged in, to make more of its keys

    def new_key(self, **fields: Any) -> str:
        """Another acme key, e.g. new_key(scopes=["data:write"]) or new_key(limits={...})."""
        return make_key(self.owner, **fields)["secret"]  # type: ignore[no-any-return]

    def as_key(self, secret: str | None = None, header: str = "ApiKey") -> Client:
        client = TestClient(app=self.app, base_url="https://testserver.local")
        if secret is None:
            secret = self.key
        if secret:
            client.headers[header] = secret
        return client


def _sensor(client: Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/sensors", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _backfill(client: Client, items: list[dict[str, Any]]) -> None:
    response = client.post("/v1/measurements", json={"items": items})
    assert response.status_code == 200, response.text


def make_key(client: Client, **fields: Any) -> dict[str, Any]:
    """A key of the logged-in client's organization (data:read unless told), as POST /v1/keys answers it."""
    response = client.post("/v1/keys", json={"name": "integration", "scopes": ["data:read"], **fields})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def world(client: Client, db: Any, app: Litestar) -> World:
    add_user(db, "ann@acme.example", "acme", "owner")
    login(client, "ann@acme.example")
    room = _sensor(
        client,
        {
            "name": "Room 1",
            "serial": "02D0C",
            "type": "Aranet4",
            "tags": ["office"],
            "assets": ["Building A"],
            "interval": HOUR,
            "metrics": [
                {"metric": "temperature"},
                {"metric": "humidity"},
                {"metric": "battery"},
                {"metric": "rssi", "unit": "dBm"},
            ],
        },
    )
    lab = _sensor(client, {"name": "Lab", "serial": "03396", "interval": HOUR, "metrics": [{"metric": "co2"}]})
    items = []
    for hour in range(7 * 24):
        t = START + hour * HOUR
        items += [
            {"sensor": room["id"], "metric": "temperature", "value": 20 + hour % 5, "time": t},
            {"sensor": room["id"], "metric": "humidity", "value": 40 + hour % 7, "time": t},
            {"sensor": room["id"], "metric": "battery", "value": 100 - hour / 10, "time": t},
            {"sensor": room["id"], "metric": "rssi", "value": -70 - hour % 3, "time": t},
        ]
    items += [{"sensor": lab["id"], "metric": "co2", "value": 400 + h, "time": START + h * HOUR} for h in range(24)]
    _backfill(client, items)
    key = make_key(client)

    other_owner = TestClient(app=app, base_url="https://testserver.local")
    add_user(db, "bob@globex.example", "globex", "owner")
    login(other_owner, "bob@globex.example")
    other = _sensor(other_owner, {"name": "Globex room", "serial": "99999", "metrics": [{"metric": "temperature"}]})
    _backfill(other_owner, [{"sensor": other["id"], "metric": "temperature", "value": 1.0, "time": START}])
    other_key = make_key(other_owner)["secret"]
    return World(client, app, key["secret"], room, lab, other, other_key, key["id"], other_owner)
