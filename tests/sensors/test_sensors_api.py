"""Sensors, device groups, assets and the metrics catalogue over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import add_user, assert_error, login
from tests.measurements.conftest import backfill, make_sensor

Client = TestClient[Litestar]


def test_create_returns_the_sensor_with_canonical_units(owner: Client) -> None:
    body = {
        "name": "Boiler room",
        "serial": "AR-1",
        "type": "Aranet4",
        "interval": 60,
        "deviceGroup": "floor-1",
        "assets": ["boiler", "basement"],
        "tags": ["heating"],
        "metrics": [{"metric": "temperature", "unit": "F"}, {"metric": "co2"}, {"metric": "vibration", "unit": "mm/s"}],
    }
    response = owner.post("/v1/sensors", json=body)
    assert response.status_code == 201
    sensor = response.json()
    assert sensor["name"] == "Boiler room" and sensor["serial"] == "AR-1" and sensor["interval"] == 60
    assert sensor["deviceGroup"] == "floor-1" and sensor["assets"] == ["basement", "boiler"]
    assert sensor["metrics"] == [
        {"metric": "temperature", "unit": "°C", "virtual": False},
        {"metric": "co2", "unit": "ppm", "virtual": False},
        {"metric": "vibration", "unit": "mm/s", "virtual": False},
    ]
    assert sensor["lastSeen"] is None
    assert owner.get(f"/v1/sensors/{sensor['id']}").json() == sensor


def test_values_sent_in_another_unit_are_stored_canonical(owner: Client) -> None:
    sensor = make_sensor(owner, metrics=[{"metric": "temperature", "unit": "°F"}])
    backfill(owner, [{"sensor": sensor["id"], "metric": "temperature", "value": 212, "time": 1_700_000_000}])
    [item] = owner.get("/v1/measurements/latest", params={"sensor": sensor["id"]}).json()["items"]
    assert item["unit"] == "°C" and item["value"] == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "x", "metrics": []}, "metrics"),
        ({"name": "x"}, "metrics"),
        ({"name": " ", "metrics": [{"metric": "temperature"}]}, "name"),
        ({"name": "x", "metrics": [{"metric": "Bad Name"}]}, "metric"),
        ({"name": "x", "metrics": [{"metric": "vibration"}]}, "unit"),
        ({"name": "x", "metrics": [{"metric": "temperature", "unit": "furlongs"}]}, "°F"),
        ({"name": "x", "metrics": [{"metric": "temperature"}, {"metric": "temperature"}]}, "once"),
        ({"name": "x", "interval": 0, "metrics": [{"metric": "temperature"}]}, "interval"),
        ({"name": "x", "tags": ["t"] * 33, "metrics": [{"metric": "temperature"}]}, "tags"),
        ({"name": "x", "metrics": [{"metric": "v", "unit": "x", "expression": "a + 1"}]}, "inputs"),
    ],
)
def test_create_with_bad_input_is_400_and_writes_nothing(owner: Client, body: dict[str, Any], message: str) -> None:
    assert_error(owner.post("/v1/sensors", json=body), 400, message)
    assert owner.get("/v1/sensors").json()["totalItems"] == 0


def test_virtual_metric_needs_a_safe_expression_over_existing_series(owner: Client) -> None:
    source = make_sensor(owner)
    ref = {"sensor": source["id"], "metric": "temperature"}
    bad_expression = {"metric": "v", "unit": "°C", "expression": "__import__('os')", "inputs": {"t": ref}}
    assert_error(owner.post("/v1/sensors", json={"name": "v", "metrics": [bad_expression]}), 400)
    unknown_input = {"metric": "v", "unit": "°C", "expression": "t * 2", "inputs": {"t": {**ref, "metric": "co2"}}}
    assert_error(owner.post("/v1/sensors", json={"name": "v", "metrics": [unknown_input]}), 400, "no such input")
    good = {"metric": "v", "unit": "°C", "expression": "t * 2", "inputs": {"t": ref}}
    assert owner.post("/v1/sensors", json={"name": "v", "metrics": [good]}).status_code == 201


def test_create_with_a_taken_serial_is_409(owner: Client) -> None:
    make_sensor(owner, serial="S-1")
    assert_error(owner.post("/v1/sensors", json={"name": "b", "serial": "S-1", "metrics": [{"metric": "co2"}]}), 409)


def test_create_without_a_session_is_401(client: Client) -> None:
    assert_error(client.post("/v1/sensors", json={"name": "x", "metrics": [{"metric": "co2"}]}), 401)


def test_a_viewer_cannot_create_sensors(client: Client, db: Any) -> None:
    add_user(db, "vic@acme.example", "acme", "viewer")
    login(client, "vic@acme.example")
    assert_error(client.post("/v1/sensors", json={"name": "x", "metrics": [{"metric": "co2"}]}), 403, "sensors:write")


def test_creating_in_another_tenants_workspace_is_404(owner: Client, db: Any) -> None:
    add_user(db, "eve@evil.example", "evil")
    evil_workspace = 2
    body = {"name": "x", "workspaceId": evil_workspace, "metrics": [{"metric": "co2"}]}
    assert_error(owner.post("/v1/sensors", json=body), 404)


def test_list_filters_and_pages(owner: Client) -> None:
    make_sensor(owner, "Kitchen", serial="K-1", deviceGroup="floor-1", assets=["house"])
    make_sensor(owner, "Cellar", serial="C-1", deviceGroup="floor-0")
    make_sensor(owner, "Attic", serial="A-1", deviceGroup="floor-1")
    names = lambda **p: [s["name"] for s in owner.get("/v1/sensors", params=p).json()["items"]]  # noqa: E731
    assert names() == ["Kitchen", "Cellar", "Attic"]
    assert names(deviceGroup="floor-1") == ["Kitchen", "Attic"]
    assert names(asset="house") == ["Kitchen"]
    assert names(q="ELL") == ["Cellar"]
    assert names(q="a-1") == ["Attic"]
    page = owner.get("/v1/sensors", params={"size": 2, "page": 2}).json()
    assert [s["name"] for s in page["items"]] == ["Attic"] and page["totalItems"] == 3 and page["totalPages"] == 2
    assert_error(owner.get("/v1/sensors", params={"size": 500}), 400)
    assert_error(owner.get("/v1/sensors", params={"workspaceId": "x"}), 400)


def test_another_tenants_sensors_are_invisible_and_404(owner: Client, app: Litestar, db: Any) -> None:
    mine = make_sensor(owner)
    add_user(db, "eve@evil.example", "evil")
    with TestClient(app=app, base_url="https://testserver.local") as eve:
        login(eve, "eve@evil.example")
        assert eve.get("/v1/sensors").json()["items"] == []
        assert_error(eve.get(f"/v1/sensors/{mine['id']}"), 404)
        assert_error(eve.patch(f"/v1/sensors/{mine['id']}", json={"name": "mine now"}), 404)
        assert_error(eve.delete(f"/v1/sensors/{mine['id']}"), 404)
        assert eve.get("/v1/device-groups").json()["items"] == []
    assert owner.get(f"/v1/sensors/{mine['id']}").json()["name"] == "Room 1"


def test_get_an_unknown_sensor_is_404_and_needs_a_session(owner: Client, app: Litestar) -> None:
    assert_error(owner.get("/v1/sensors/424242"), 404)
    with TestClient(app=app) as anonymous:
        assert_error(anonymous.get("/v1/sensors/1"), 401)
        assert_error(anonymous.get("/v1/sensors"), 401)


def test_patch_changes_only_what_is_given(owner: Client) -> None:
    sensor = make_sensor(owner, serial="S-1", tags=["a"])
    response = owner.patch(
        f"/v1/sensors/{sensor['id']}",
        json={"name": "Renamed", "deviceGroup": "g2", "assets": ["room"], "metrics": [{"metric": "co2"}]},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Renamed" and body["serial"] == "S-1" and body["tags"] == ["a"]
    assert body["deviceGroup"] == "g2" and body["assets"] == ["room"]
    assert [m["metric"] for m in body["metrics"]] == ["temperature", "humidity", "co2"]


def test_patch_bad_input_conflict_and_permission(owner: Client, client: Client, db: Any) -> None:
    first, second = make_sensor(owner, serial="S-1"), make_sensor(owner, "Two", serial="S-2")
    assert_error(owner.patch(f"/v1/sensors/{first['id']}", json={"interval": -5}), 400)
    assert_error(owner.patch(f"/v1/sensors/{first['id']}", json={"colour": "red"}), 400)
    assert_error(owner.patch(f"/v1/sensors/{second['id']}", json={"serial": "S-1"}), 409)
    add_user(db, "vic@acme.example", "acme", "viewer")
    login(client, "vic@acme.example")
    assert_error(client.patch(f"/v1/sensors/{first['id']}", json={"name": "x"}), 403)
    assert_error(client.delete(f"/v1/sensors/{first['id']}"), 403)


def test_delete_removes_the_sensor_and_its_data(owner: Client) -> None:
    sensor = make_sensor(owner)
    backfill(owner, [{"sensor": sensor["id"], "metric": "temperature", "value": 1.0, "time": 1_700_000_000}])
    assert owner.delete(f"/v1/sensors/{sensor['id']}").status_code == 204
    assert_error(owner.get(f"/v1/sensors/{sensor['id']}"), 404)
    assert_error(owner.get("/v1/measurements/latest", params={"sensor": sensor["id"]}), 404)
    again = make_sensor(owner)
    assert owner.get("/v1/measurements/latest", params={"sensor": again["id"]}).json()["items"] == []


def test_device_groups_and_assets(owner: Client, app: Litestar) -> None:
    a = make_sensor(owner, deviceGroup="floor-1", assets=["house"])
    b = make_sensor(owner, "B", deviceGroup="floor-1", assets=["house", "garden"])
    groups = owner.get("/v1/device-groups").json()["items"]
    assert [(g["name"], g["sensors"]) for g in groups] == [("floor-1", 2)]
    assets = {x["name"]: x["sensors"] for x in owner.get("/v1/assets").json()["items"]}
    assert assets == {"house": [a["id"], b["id"]], "garden": [b["id"]]}
    with TestClient(app=app) as anonymous:
        assert_error(anonymous.get("/v1/device-groups"), 401)
        assert_error(anonymous.get("/v1/assets"), 401)


def test_metrics_catalogue_lists_units(client: Client) -> None:
    items = {m["metric"]: m for m in client.get("/v1/metrics").json()["items"]}
    assert items["temperature"]["unit"] == "°C" and "°F" in items["temperature"]["units"]
    assert items["pressure"]["unit"] == "hPa" and "inHg" in items["pressure"]["units"]
