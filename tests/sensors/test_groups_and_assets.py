"""POST /v1/device-groups and POST /v1/assets: made empty, listed, one name per workspace, under sensors:write."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import add_user, assert_error, login
from tests.measurements.conftest import make_sensor

Client = TestClient[Litestar]
PATHS = ["/v1/device-groups", "/v1/assets"]


def created(client: Client, path: str, **body: Any) -> dict[str, Any]:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_an_empty_group_and_asset_are_made_and_listed(owner: Client) -> None:
    group = created(owner, "/v1/device-groups", name="  building-a ")
    assert group == {"id": group["id"], "workspaceId": 1, "name": "building-a", "sensors": 0}
    asset = created(owner, "/v1/assets", name="boiler", workspaceId=1)
    assert asset == {"id": asset["id"], "workspaceId": 1, "name": "boiler", "sensors": []}
    assert owner.get("/v1/device-groups").json()["items"] == [group]
    assert owner.get("/v1/assets").json()["items"] == [asset]
    # A sensor naming them joins them rather than making others.
    sensor = make_sensor(owner, deviceGroup="building-a", assets=["boiler"])
    assert owner.get("/v1/device-groups").json()["items"] == [{**group, "sensors": 1}]
    assert owner.get("/v1/assets").json()["items"] == [{**asset, "sensors": [sensor["id"]]}]


@pytest.mark.parametrize("path", PATHS)
def test_a_name_is_taken_once_per_workspace(owner: Client, path: str) -> None:
    created(owner, path, name="north")
    assert_error(owner.post(path, json={"name": "north"}), 409, "named 'north' exists")
    assert len(owner.get(path).json()["items"]) == 1


@pytest.mark.parametrize("path", PATHS)
def test_a_create_that_loses_the_race_for_a_name_is_409(
    owner: Client, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two creates of one name at the same instant both pass the lookup; the database's unique index decides,
    and the loser gets the same 409, not a 500."""
    created(owner, path, name="north")
    monkeypatch.setattr("sensorgate.sensors.store.device_group_by_name", lambda *_: None)
    monkeypatch.setattr("sensorgate.sensors.store.asset_by_name", lambda *_: None)
    assert_error(owner.post(path, json={"name": "north"}), 409, "named 'north' exists")
    assert len(owner.get(path).json()["items"]) == 1


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "name"),
        ({"name": "   "}, "name must not be empty"),
        ({"name": "x" * 201}, "length <= "),
        ({"name": "a", "workspaceId": 0}, ">= 1"),
        ({"name": "a", "extra": 1}, "extra"),
    ],
)
def test_bad_bodies_are_400(owner: Client, path: str, body: dict[str, Any], message: str) -> None:
    assert_error(owner.post(path, json=body), 400, message)
    assert owner.get(path).json()["items"] == []


@pytest.mark.parametrize("path", PATHS)
def test_a_body_past_4_kib_is_413(owner: Client, path: str) -> None:
    assert_error(owner.post(path, json={"name": "a", "pad": "x" * 5000}), 413)


@pytest.mark.parametrize("path", PATHS)
def test_another_tenant_workspace_is_404_and_a_viewer_403(owner: Client, app: Litestar, db: Any, path: str) -> None:
    add_user(db, "eve@evil.example", "evil")
    add_user(db, "vic@acme.example", "acme", "viewer")
    with TestClient(app=app, base_url="https://testserver.local") as eve:
        login(eve, "eve@evil.example")
        assert_error(eve.post(path, json={"name": "spy", "workspaceId": 1}), 404, "workspace 1 not found")
    with TestClient(app=app, base_url="https://testserver.local") as viewer:
        login(viewer, "vic@acme.example")
        assert_error(viewer.post(path, json={"name": "mine"}), 403, "sensors:write")
    with TestClient(app=app) as anonymous:
        assert_error(anonymous.post(path, json={"name": "x"}), 401)
    assert owner.get(path).json()["items"] == []


@pytest.mark.parametrize("path", PATHS)
def test_keys_need_sensors_write_and_no_device_group(owner: Client, app: Litestar, path: str) -> None:
    make_sensor(owner, deviceGroup="g1")

    def secret(**fields: Any) -> str:
        response = owner.post("/v1/keys", json={"name": "k", "workspaces": ["acme"], **fields})
        assert response.status_code == 201, response.text
        return str(response.json()["secret"])

    reader = secret(scopes=["data:read"])
    grouped = secret(scopes=["sensors:write"], deviceGroup="g1")
    writer = secret(scopes=["sensors:write"])
    with TestClient(app=app, base_url="https://testserver.local") as client:
        client.headers["X-API-Key"] = reader
        assert_error(client.post(path, json={"name": "r"}), 403, "sensors:write")
        client.headers["X-API-Key"] = grouped
        assert_error(client.post(path, json={"name": "g"}), 403, "bound to a device group")
        client.headers["X-API-Key"] = writer
        assert client.post(path, json={"name": "w"}).status_code == 201
    assert "w" in [item["name"] for item in owner.get(path).json()["items"]]
