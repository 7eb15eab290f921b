"""POST /v1/measurements: atomic batches, replacement, every bad index listed, CSV."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import add_user, assert_error, login
from tests.measurements.conftest import backfill, make_sensor

Client = TestClient[Litestar]
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def history(client: Client, sensor: int, **params: Any) -> list[dict[str, Any]]:
    query = {"sensor": sensor, "from": T0 - 86_400 * 400, "to": int(time.time()) + 60, "limit": 10_000, **params}
    return client.get("/v1/measurements", params=query).json()["items"]  # type: ignore[no-any-return]


def test_a_batch_is_accepted_and_a_retry_replaces(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    items = [{"sensor": sensor, "metric": "temperature", "time": T0 + 60 * i, "value": float(i)} for i in range(50)]
    assert backfill(owner, items) == {"accepted": 50, "replaced": 0}
    changed = [{**item, "value": -1.0} for item in items[:10]] + [{**items[0], "time": T0 - 60, "value": 7}]
    assert backfill(owner, changed) == {"accepted": 11, "replaced": 10}
    values = {p["time"]: p["value"] for p in history(owner, sensor)}
    assert len(values) == 51
    assert values["2026-01-01T00:00:00.000Z"] == -1.0 and values["2026-01-01T00:49:00.000Z"] == 49.0


def test_a_duplicate_inside_one_batch_counts_as_replaced_and_the_last_wins(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    point = {"sensor": sensor, "metric": "humidity", "time": T0}
    assert backfill(owner, [{**point, "value": 1}, {**point, "value": 2}]) == {"accepted": 2, "replaced": 1}
    assert [p["value"] for p in history(owner, sensor)] == [2.0]


def test_time_defaults_to_now_and_accepts_iso_and_epoch_seconds(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    before = time.time()
    backfill(
        owner,
        [
            {"sensor": sensor, "metric": "temperature", "value": 1},
            {"sensor": sensor, "metric": "humidity", "value": 2, "time": "2026-01-01T01:00:00+01:00"},
            {"sensor": sensor, "metric": "humidity", "value": 3, "time": T0 + 1.5},
        ],
    )
    points = history(owner, sensor)
    humidity = [p["time"] for p in points if p["metric"] == "humidity"]
    assert humidity == ["2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.500Z"]
    [now_point] = [p for p in points if p["metric"] == "temperature"]
    assert now_point["time"] >= time.strftime("%Y-%m-%dT%H:%M", time.gmtime(before - 60))


def test_every_bad_index_is_listed_and_nothing_is_written(owner: Client, db: Any) -> None:
    sensor = make_sensor(owner)["id"]
    add_user(db, "eve@evil.example", "evil")
    good = {"sensor": sensor, "metric": "temperature", "value": 1.0, "time": T0}
    items = [
        good,
        {**good, "value": "warm"},
        {**good, "sensor": 999_999},
        {**good, "metric": "co2"},
        {**good, "time": "2999-01-01T00:00:00Z"},
        {**good, "time": "yesterday"},
        {"metric": "temperature", "value": 1.0},
        {**good, "value": True},
        {**good, "sensor": "1"},
        good,
    ]
    body = assert_error(owner.post("/v1/measurements", json={"items": items}), 400, "nothing was written")
    details = body["details"]
    assert isinstance(details, list)
    assert sorted({d["index"] for d in details}) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert history(owner, sensor) == []
    assert owner.get("/v1/measurements/latest", params={"sensor": sensor}).json()["items"] == []


def test_an_empty_metric_is_a_bad_index_not_a_500(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    body = assert_error(
        owner.post("/v1/measurements", json={"items": [{"sensor": sensor, "metric": "", "value": 1}]}), 400
    )
    assert body["details"] == [{"index": 0, "field": "metric", "message": "metric must not be empty"}]
    csv = owner.post("/v1/measurements", content=b"sensor,metric,value\n1,,5\n", headers={"Content-Type": "text/csv"})
    assert_error(csv, 400, "1 of 1 items are invalid")


def test_a_number_beyond_float_range_is_400_naming_its_index(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    # httpx will not encode infinity, so the number goes in as text.
    content = json.dumps({"items": [{"sensor": sensor, "metric": "temperature", "value": "HUGE"}]})
    response = owner.post(
        "/v1/measurements", content=content.replace('"HUGE"', "1e400"), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "items[0].value")
    assert history(owner, sensor) == []


def test_an_integer_beyond_float_range_is_400_naming_its_index(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    huge = 10**400
    good = {"sensor": sensor, "metric": "temperature", "value": 1, "time": T0}
    items = [good, {**good, "value": huge}, {**good, "time": huge}, {**good, "value": -huge}]
    body = assert_error(owner.post("/v1/measurements", json={"items": items}), 400, "nothing was written")
    assert body["details"] == [
        {"index": 1, "field": "value", "message": "value must be finite (no NaN or infinity)"},
        {"index": 2, "field": "time", "message": "time in epoch seconds must lie between 1970 and 9999"},
        {"index": 3, "field": "value", "message": "value must be finite (no NaN or infinity)"},
    ]
    csv = f"sensor,metric,value\n{sensor},temperature,{huge}\n"
    response = owner.post("/v1/measurements", content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert assert_error(response, 400)["details"][0]["field"] == "value"  # type: ignore[index]
    assert history(owner, sensor) == []


def test_another_tenants_sensor_is_a_bad_index_not_a_write(owner: Client, app: Litestar, db: Any) -> None:
    theirs = make_sensor(owner)["id"]
    add_user(db, "eve@evil.example", "evil")
    with TestClient(app=app, base_url="https://testserver.local") as eve:
        login(eve, "eve@evil.example")
        body = {"items": [{"sensor": theirs, "metric": "temperature", "value": 1.0, "time": T0}]}
        assert assert_error(eve.post("/v1/measurements", json=body), 400)["details"][0]["index"] == 0  # type: ignore[index]
    assert history(owner, theirs) == []


def test_a_viewer_cannot_backfill(client: Client, db: Any, owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    add_user(db, "vic@acme.example", "acme", "viewer")
    login(client, "vic@acme.example")
    body = {"items": [{"sensor": sensor, "metric": "temperature", "value": 1.0, "time": T0}]}
    assert_error(client.post("/v1/measurements", json=body), 403, "data:write")


def test_backfill_needs_a_session(client: Client) -> None:
    assert_error(client.post("/v1/measurements", json={"items": []}), 401)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b'{"items": [', "malformed"), (b'{"points": []}', "points"), (b'{"items": []}', "empty")],
)
def test_malformed_bodies_are_400(owner: Client, content: bytes, message: str) -> None:
    response = owner.post("/v1/measurements", content=content, headers={"Content-Type": "application/json"})
    assert_error(response, 400, message)


def test_more_than_the_maximum_batch_is_400(owner: Client) -> None:
    item = b'{"sensor":1,"metric":"t","value":1},'
    content = b'{"items":[' + item * 100_000 + item[:-1] + b"]}"
    assert_error(
        owner.post("/v1/measurements", content=content, headers={"Content-Type": "application/json"}), 400, "100000"
    )


def test_a_body_over_16_mib_is_413(owner: Client) -> None:
    content = b'{"items":[' + b" " * (16 * 1024 * 1024) + b"]}"
    response = owner.post("/v1/measurements", content=content, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "maximum")


def test_csv_upload_is_the_same_batch(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    csv = f"sensor,metric,value,time\n{sensor},temperature,21.5,{T0}\n{sensor},humidity,40,2026-01-01T00:01:00Z\n"
    response = owner.post("/v1/measurements", content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert response.json() == {"accepted": 2, "replaced": 0}
    assert [p["value"] for p in history(owner, sensor)] == [21.5, 40.0]


def test_csv_bad_rows_are_listed_by_index(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    rows = [f"{sensor},temperature,nan", f"{sensor},temperature,1", "abc,temperature,1", f"{sensor},temperature,inf"]
    csv = "sensor,metric,value\n" + "\n".join(rows) + "\n"
    body = assert_error(owner.post("/v1/measurements", content=csv.encode(), headers={"Content-Type": "text/csv"}), 400)
    assert [d["index"] for d in body["details"]] == [0, 2, 3]  # type: ignore[union-attr]
    assert history(owner, sensor) == []


def test_a_csv_field_past_the_parsers_limit_is_400_naming_the_row(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    csv = f"sensor,metric,value\n{sensor},temperature,1\n{sensor},temperature,{'1' * 131_073}\n"
    response = owner.post("/v1/measurements", content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert_error(response, 400, "CSV line 3: field larger than field limit (131072)")
    assert history(owner, sensor) == []
    header = "sensor,metric," + "v" * 131_073 + "\n"
    response = owner.post("/v1/measurements", content=header.encode(), headers={"Content-Type": "text/csv"})
    assert_error(response, 400, "CSV line 1")


def test_csv_with_a_wrong_header_is_400(owner: Client) -> None:
    response = owner.post("/v1/measurements", content=b"id,val\n1,2\n", headers={"Content-Type": "text/csv"})
    assert_error(response, 400, "header")


def test_ingest_keeps_latest_and_last_seen(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    backfill(owner, [{"sensor": sensor, "metric": "temperature", "time": T0 + i, "value": float(i)} for i in range(5)])
    backfill(owner, [{"sensor": sensor, "metric": "temperature", "time": T0 - 100, "value": 99.0}])  # older: no change
    [latest] = owner.get("/v1/measurements/latest", params={"sensor": sensor}).json()["items"]
    assert latest["value"] == 4.0 and latest["time"] == "2026-01-01T00:00:04.000Z"
    assert owner.get(f"/v1/sensors/{sensor}").json()["lastSeen"] == "2026-01-01T00:00:04.000Z"


def test_virtual_series_are_materialized_at_ingest(owner: Client) -> None:
    source = make_sensor(owner)["id"]
    inputs = {"t": {"sensor": source, "metric": "temperature"}, "rh": {"sensor": source, "metric": "humidity"}}
    virtual = owner.post(
        "/v1/sensors",
        json={
            "name": "dew",
            "metrics": [{"metric": "dew_point", "unit": "°C", "expression": "dewpoint(t, rh)", "inputs": inputs}],
        },
    ).json()["id"]
    backfill(
        owner,
        [
            {"sensor": source, "metric": "temperature", "time": T0, "value": 20.0},
            {"sensor": source, "metric": "humidity", "time": T0, "value": 50.0},
        ],
    )
    [point] = history(owner, virtual)
    assert point["metric"] == "dew_point" and point["value"] == pytest.approx(9.26, abs=0.05)
    assert owner.get(f"/v1/sensors/{virtual}").json()["lastSeen"] == "2026-01-01T00:00:00.000Z"
    body = {"items": [{"sensor": virtual, "metric": "dew_point", "time": T0, "value": 1.0}]}
    assert_error(owner.post("/v1/measurements", json=body), 400, "invalid")


def test_concurrent_batches_over_the_same_points_in_opposite_orders_all_succeed(owner: Client) -> None:
    """Two writers resending the same readings, each in its own order, as gateways retrying do. On PostgreSQL, rows
    locked in the order of each batch deadlocked: one of the two got 503 after the 1 s deadlock timeout."""
    sensors = [make_sensor(owner, f"Room {k}")["id"] for k in range(4)]
    items = [
        {"sensor": sensor, "metric": metric, "time": T0 + 60 * i, "value": float(i)}
        for sensor in sensors
        for metric in ("temperature", "humidity")
        for i in range(10)
    ]
    statuses: list[int] = []

    def send(order: list[dict[str, Any]]) -> None:
        for _ in range(15):
            statuses.append(owner.post("/v1/measurements", json={"items": order}).status_code)

    writers = [threading.Thread(target=send, args=(batch,)) for batch in (items, items[::-1], items, items[::-1])]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert statuses == [200] * 60, sorted(set(statuses))
    assert len(history(owner, sensors[0], metric="temperature")) == 10
