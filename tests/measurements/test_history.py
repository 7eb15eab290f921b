"""GET /v1/measurements: windows, order, units, stable cursors and conditional GETs."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import add_user, assert_error, login
from tests.measurements.conftest import backfill, make_sensor

Client = TestClient[Litestar]
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def seed(client: Client, sensor: int, count: int, metric: str = "temperature", step: int = 60) -> None:
    backfill(
        client, [{"sensor": sensor, "metric": metric, "time": T0 + step * i, "value": float(i)} for i in range(count)]
    )


def get(client: Client, **params: Any) -> Any:
    response = client.get("/v1/measurements", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_window_is_from_inclusive_to_exclusive(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    seed(owner, sensor, 10)
    items = get(owner, sensor=sensor, **{"from": T0 + 60, "to": T0 + 180})["items"]
    assert [p["value"] for p in items] == [1.0, 2.0]  # the point at `to` belongs to the next window
    assert items[0] == {"sensor": sensor, "metric": "temperature", "time": "2026-01-01T00:01:00.000Z", "value": 1.0}


def test_last_counts_back_from_to(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    seed(owner, sensor, 10)
    items = get(owner, sensor=sensor, last="PT2M", to="2026-01-01T00:09:00Z")["items"]
    assert [p["value"] for p in items] == [7.0, 8.0]


def test_order_desc_and_metric_filter(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    seed(owner, sensor, 3)
    seed(owner, sensor, 3, metric="humidity")
    common = {"sensor": sensor, "from": T0, "to": T0 + 600}
    assert [p["value"] for p in get(owner, **common, metric="humidity", order="desc")["items"]] == [2.0, 1.0, 0.0]
    both = get(owner, **common)["items"]
    assert [p["metric"] for p in both] == ["temperature"] * 3 + ["humidity"] * 3


def test_unit_converts_values(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    backfill(owner, [{"sensor": sensor, "metric": "temperature", "time": T0, "value": 100.0}])
    [point] = get(owner, sensor=sensor, metric="temperature", unit="F", **{"from": T0, "to": T0 + 1})["items"]
    assert point["value"] == pytest.approx(212.0)
    assert_error(owner.get("/v1/measurements", params={"sensor": sensor, "unit": "ppm", "metric": "temperature"}), 400)


def test_cursor_walk_returns_each_point_once_while_writes_arrive(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    seed(owner, sensor, 500)
    seed(owner, sensor, 300, metric="humidity")
    window = {"sensor": sensor, "from": T0, "to": T0 + 60 * 500}
    stop = threading.Event()

    def writer() -> None:
        # New points inside and after the window, and replacements of points already walked.
        n = 0
        while not stop.is_set() and n < 200:
            backfill(
                owner,
                [
                    {"sensor": sensor, "metric": "temperature", "time": T0 + 60 * 600 + n, "value": -1.0},
                    {"sensor": sensor, "metric": "temperature", "time": T0 + 30 + 60 * n, "value": -2.0},
                    {"sensor": sensor, "metric": "humidity", "time": T0 + 60 * (n % 300), "value": -3.0},
                ],
            )
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen: list[tuple[str, str]] = []
        page = get(owner, **window, limit=37)
        while True:
            seen += [(p["metric"], p["time"]) for p in page["items"]]
            if page["next"] is None:
                break
            page = get(owner, sensor=sensor, cursor=page["next"], limit=37)
    finally:
        stop.set()
        thread.join()
    assert len(seen) == len(set(seen)), "a point came twice"
    original = {("temperature", f"2026-01-01T{i // 60:02d}:{i % 60:02d}:00.000Z") for i in range(500)}
    original |= {("humidity", f"2026-01-01T{i // 60:02d}:{i % 60:02d}:00.000Z") for i in range(300)}
    assert original <= set(seen)
    assert all(time <= "2026-01-01T08:19:00.000Z" for _, time in seen)  # nothing past the fixed window


def test_a_cursor_of_another_query_or_a_forged_one_is_400(owner: Client) -> None:
    first, second = make_sensor(owner)["id"], make_sensor(owner, "Two")["id"]
    seed(owner, first, 5)
    cursor = get(owner, sensor=first, limit=2, **{"from": T0, "to": T0 + 600})["next"]
    assert_error(owner.get("/v1/measurements", params={"sensor": second, "cursor": cursor}), 400, "another query")
    assert_error(owner.get("/v1/measurements", params={"sensor": first, "cursor": cursor[:-3] + "AAA"}), 400, "cursor")
    assert_error(owner.get("/v1/measurements", params={"sensor": first, "cursor": "%%%"}), 400, "cursor")


def test_etag_answers_304_until_the_data_changes(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    seed(owner, sensor, 3)
    params = {"sensor": sensor, "from": T0, "to": T0 + 600}
    first = owner.get("/v1/measurements", params=params)
    tag = first.headers["etag"]
    again = owner.get("/v1/measurements", params=params, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    seed(owner, sensor, 4)
    changed = owner.get("/v1/measurements", params=params, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "sensor is required"),
        ({"sensor": "a,b"}, "sensor"),
        ({"sensor": ",".join(map(str, range(1, 102)))}, "at most 100"),
        ({"sensor": "1", "from": "yesterday"}, "from"),
        ({"sensor": "1", "from": T0, "last": "PT1H"}, "either"),
        ({"sensor": "1", "last": "P1M"}, "no months"),
        ({"sensor": "1", "from": T0 + 10, "to": T0}, "before"),
        ({"sensor": "1", "limit": 0}, "limit"),
        ({"sensor": "1", "limit": 10_001}, "limit"),
        ({"sensor": "1", "order": "sideways"}, "order"),
    ],
)
def test_bad_parameters_are_400(owner: Client, params: dict[str, Any], message: str) -> None:
    make_sensor(owner)
    assert_error(owner.get("/v1/measurements", params=params), 400, message)


def test_another_tenants_sensor_is_404_and_a_session_is_needed(owner: Client, app: Litestar, db: Any) -> None:
    sensor = make_sensor(owner)["id"]
    seed(owner, sensor, 3)
    add_user(db, "eve@evil.example", "evil")
    with TestClient(app=app, base_url="https://testserver.local") as eve:
        login(eve, "eve@evil.example")
        for path in ("/v1/measurements", "/v1/measurements/latest", "/v1/measurements/aggregate"):
            assert_error(eve.get(path, params={"sensor": sensor, "from": T0}), 404)
        assert eve.get("/v1/measurements/latest").json()["items"] == []
    with TestClient(app=app) as anonymous:
        assert_error(anonymous.get("/v1/measurements", params={"sensor": sensor}), 401)
    assert_error(owner.get("/v1/measurements", params={"sensor": sensor, "metric": "co2"}), 404, "no metric")


def test_consecutive_hourly_windows_tile_a_day(owner: Client) -> None:
    """[from, to): an integrator who pulls every hour gets each point of the day once, boundaries included."""
    sensor = make_sensor(owner)["id"]
    day = T0
    # A point every ten minutes, on the hours too, through the day and on the next midnight.
    points = [{"sensor": sensor, "metric": "temperature", "time": day + 600 * i, "value": float(i)} for i in range(145)]
    backfill(owner, points)
    seen: list[float] = []
    buckets: list[int] = []
    for hour in range(24):
        window = {"sensor": sensor, "metric": "temperature", "from": day + 3600 * hour, "to": day + 3600 * (hour + 1)}
        seen += [p["value"] for p in get(owner, **window, limit=100)["items"]]
        hourly = owner.get("/v1/measurements/aggregate", params={**window, "bucket": "PT1H"}).json()["items"]
        buckets.append(sum(item["count"] for item in hourly))
    assert seen == [float(i) for i in range(144)]  # each once; the next midnight's point is tomorrow's
    assert buckets == [6] * 24
