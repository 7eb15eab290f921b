"""GET /v1/measurements/latest: newest value per series, novelty, units and ETags."""

from __future__ import annotations

import time

from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import assert_error
from tests.measurements.conftest import backfill, make_sensor

Client = TestClient[Litestar]


def test_latest_values_with_novelty(owner: Client) -> None:
    sensor = make_sensor(owner, interval=60)["id"]
    now = int(time.time())
    backfill(
        owner,
        [
            {"sensor": sensor, "metric": "temperature", "time": now - 30, "value": 21.0},
            {"sensor": sensor, "metric": "temperature", "time": now - 600, "value": 20.0},
            {"sensor": sensor, "metric": "humidity", "time": now - 240, "value": 40.0},
        ],
    )
    other = make_sensor(owner, "Old", interval=60)["id"]
    backfill(owner, [{"sensor": other, "metric": "temperature", "time": now - 3600, "value": 5.0}])
    items = owner.get("/v1/measurements/latest", params={"sensor": f"{sensor},{other}"}).json()["items"]
    found = {(i["sensor"], i["metric"]): (i["value"], i["novelty"], i["unit"]) for i in items}
    assert found == {
        (sensor, "temperature"): (21.0, "new", "°C"),
        (sensor, "humidity"): (40.0, "expiring", "%"),
        (other, "temperature"): (5.0, "old", "°C"),
    }
    fahrenheit = owner.get("/v1/measurements/latest", params={"sensor": sensor, "metric": "temperature", "unit": "°F"})
    [item] = fahrenheit.json()["items"]
    assert item["unit"] == "°F" and abs(item["value"] - 69.8) < 1e-9


def test_latest_without_sensors_lists_everything_reachable_and_supports_etags(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    backfill(owner, [{"sensor": sensor, "metric": "temperature", "time": int(time.time()) - 5, "value": 1.0}])
    first = owner.get("/v1/measurements/latest")
    assert [i["sensor"] for i in first.json()["items"]] == [sensor]
    assert owner.get("/v1/measurements/latest", headers={"If-None-Match": first.headers["etag"]}).status_code == 304


def test_latest_errors(owner: Client, app: Litestar) -> None:
    assert_error(owner.get("/v1/measurements/latest", params={"sensor": "77777"}), 404)
    assert_error(owner.get("/v1/measurements/latest", params={"sensor": "x"}), 400)
    with TestClient(app=app) as anonymous:
        assert_error(anonymous.get("/v1/measurements/latest"), 401)
