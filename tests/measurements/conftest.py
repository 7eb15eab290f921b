"""Fixtures for the data endpoints: a logged-in owner of workspace `acme` and a helper to make sensors."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import add_user, login

Client = TestClient[Litestar]


@pytest.fixture
def owner(client: Client, db: Any) -> Client:
    add_user(db, "ann@acme.example", "acme", "owner")
    login(client, "ann@acme.example")
    return client


def make_sensor(client: Client, name: str = "Room 1", **fields: Any) -> dict[str, Any]:
    body = {"name": name, "metrics": [{"metric": "temperature"}, {"metric": "humidity"}], **fields}
    response = client.post("/v1/sensors", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def backfill(client: Client, items: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post("/v1/measurements", json={"items": items})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
