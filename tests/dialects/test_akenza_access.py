"""Akenza's backfill through the same ingest as /v1, and what every /v3 path refuses: another tenant's devices
(404), a missing credential or scope, a spent rate limit (429 with X-RateLimit-*), in /v1's error object. Also
the OpenAPI document and SENSORGATE_DIALECTS."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from sensorgate.app import create_app
from sensorgate.kit.times import utcnow
from sensorgate.settings import Settings
from tests.conftest import assert_error, make_settings
from tests.dialects import akenza_shapes as shapes
from tests.dialects.conftest import HOUR, START, World
from tests.dialects.test_akenza import akenza, iso, ok, query

AT = START + 3 * HOUR + 30 * 60  # between the world's hourly points


def writer(world: World) -> Any:
    return akenza(world, world.new_key(name="writer", scopes=["data:read", "data:write"]))


def test_a_single_sample_is_ingested_with_rollups(world: World) -> None:
    client, room = writer(world), world.room["id"]
    path = f"/v3/devices/{room}/backfill"
    written = ok(client.post(path, params={"timestamp": iso(AT)}, json={"temperature": 30.5, "humidity": 55}))
    assert written == {"samples": 1, "values": 2, "replaced": 0}
    [sample] = query(client, room, timestamp={"gte": iso(AT), "lt": iso(AT + 1)})
    assert sample["data"] == {"temperature": 30.5, "humidity": 55}
    hourly = {"dataKey": "temperature", "accumulator": "MAX", "interval": {"from": iso(AT), "to": iso(AT + 1)}}
    series = ok(client.post(f"/v3/devices/{room}/query/aggregated/hourly/time-series", json=hourly))
    assert series["dataPoints"] == [30.5]  # the hour's rollup holds it
    again = ok(client.post(path, params={"timestamp": iso(AT), "topic": "default"}, json={"temperature": 31}))
    assert again == {"samples": 1, "values": 1, "replaced": 1}


def test_a_sample_without_a_timestamp_is_now(world: World) -> None:
    client, room = writer(world), world.room["id"]
    before = utcnow().replace(microsecond=0)
    assert ok(client.post(f"/v3/devices/{room}/backfill", json={"battery": 80}))["values"] == 1
    latest = ok(client.get(f"/v3/devices/{room}/query/latest-sample"))
    assert latest["data"] == {"battery": 80} and before <= shapes.instant(latest["timestamp"]) <= utcnow()


def test_bulk_runs_the_alarm_rules_and_virtual_sensors(world: World) -> None:
    room = world.room["id"]
    rule = {"name": "Too warm", "metric": "temperature", "condition": "above", "threshold": 25.0, "sensor": room}
    assert world.owner.post("/v1/alarm-rules", json=rule).status_code == 201
    inputs = {"t": {"sensor": room, "metric": "temperature"}, "rh": {"sensor": room, "metric": "humidity"}}
    dew = {"metric": "dew_point", "unit": "°C", "expression": "dewpoint(t, rh)", "inputs": inputs}
    virtual = world.owner.post("/v1/sensors", json={"name": "Dew", "metrics": [dew]}).json()["id"]
    samples = [
        {"data": {"temperature": 26, "humidity": 50}, "timestamp": iso(AT)},
        {"data": {"temperature": 20, "humidity": 50}, "timestamp": iso(AT + 60), "topic": "default"},
    ]
    client = writer(world)
    assert ok(client.post(f"/v3/devices/{room}/backfill/bulk", json=samples)) == {
        "samples": 2,
        "values": 4,
        "replaced": 0,
    }
    [alarm] = ok(world.owner.get("/v1/alarms", params={"from": AT, "to": AT + HOUR}))["items"]
    assert (alarm["value"], alarm["raisedAt"], alarm["resolvedAt"]) == (26.0, iso(AT), iso(AT + 60))
    dews = query(client, virtual, timestamp={"gte": iso(AT), "lte": iso(AT + 60)})
    # Newest first: 20 °C then 26 °C, both at 50 %.
    assert [s["data"]["dew_point"] for s in dews] == [pytest.approx(9.26, abs=0.05), pytest.approx(14.77, abs=0.05)]


def test_query_answers_can_be_posted_back(world: World) -> None:
    client, lab = writer(world), world.lab["id"]
    read = query(client, lab)
    assert ok(client.post(f"/v3/devices/{lab}/backfill/bulk", json=read)) == {
        "samples": 24,
        "values": 24,
        "replaced": 24,
    }


def test_a_sample_holds_the_metrics_measured_at_its_instant(world: World) -> None:
    client, room = writer(world), world.room["id"]
    samples = [
        {"data": {"temperature": 1}, "timestamp": iso(AT)},
        {"data": {"humidity": 2}, "timestamp": iso(AT + 1)},
        {"data": {"temperature": 3, "battery": 4}, "timestamp": iso(AT + 2)},
    ]
    assert ok(client.post(f"/v3/devices/{room}/backfill/bulk", json=samples))["values"] == 4
    bounds = {"gte": iso(AT), "lte": iso(AT + 2)}
    one_by_one = [query(client, room, timestamp=bounds, limit=1, skip=skip) for skip in range(4)]
    assert [[s["data"] for s in page] for page in one_by_one] == [
        [{"temperature": 3, "battery": 4}],
        [{"humidity": 2}],
        [{"temperature": 1}],
        [],
    ]


@pytest.mark.parametrize(
    ("samples", "message", "details"),
    [
        ([{"data": {"temperature": 1}, "topic": "uplink"}], "topic", [(0, "topic")]),
        ([{"data": {"temperature": "warm"}}], "1 of 1 samples", [(0, "data.temperature")]),
        ([{"data": {"co2": 400}}, {"data": {"temperature": 1}}], "1 of 2", [(0, "data.co2")]),
        ([{"data": {"temperature": 1, "humidity": 2}, "timestamp": "soon"}], "1 of 1", [(0, "timestamp")]),
        ([{"data": {"temperature": 1}, "timestamp": "2999-01-01T00:00:00Z"}], "1 of 1", [(0, "timestamp")]),
        ([{"data": {}}], "data is empty", None),
        ([], "no samples", None),
        ([{"values": {"temperature": 1}}], "data", None),
    ],
)
def test_bad_samples_are_400_and_write_nothing(
    world: World, samples: list[dict[str, Any]], message: str, details: list[tuple[int, str]] | None
) -> None:
    client, room = writer(world), world.room["id"]
    body = assert_error(client.post(f"/v3/devices/{room}/backfill/bulk", json=samples), 400, message)
    if details is not None:
        assert [(d["index"], d["field"]) for d in body["details"]] == details  # type: ignore[attr-defined]
    assert len(query(client, room, topic="*")) == 7 * 24


def test_backfill_needs_data_write(world: World) -> None:
    path = f"/v3/devices/{world.room['id']}/backfill"
    shapes.conforms(assert_error(akenza(world).post(path, json={"temperature": 1}), 403, "data:write"), shapes.ERROR)
    shapes.conforms(assert_error(akenza(world, "").post(path, json={"temperature": 1}), 401), shapes.ERROR)


# Another tenant -----------------------------------------------------------------------------------------------


def device_paths(device: object) -> list[tuple[str, str, Any]]:
    interval = {"from": iso(START), "to": iso(START + HOUR)}
    aggregation = {"dataKey": "temperature", "accumulator": "MAX", "interval": interval}
    return [
        ("GET", f"/v3/devices/{device}", None),
        ("POST", f"/v3/devices/{device}/query", {}),
        ("GET", f"/v3/devices/{device}/query/topics", None),
        ("GET", f"/v3/devices/{device}/query/latest-sample", None),
        *[("POST", f"/v3/devices/{device}/query/{route}", aggregation) for route in AGGREGATIONS],
        ("POST", f"/v3/devices/{device}/backfill", {"temperature": 1}),
        ("POST", f"/v3/devices/{device}/backfill/bulk", [{"data": {"temperature": 1}}]),
    ]


AGGREGATIONS = ("aggregated/hourly/time-series", "aggregated/hourly/kpi", "raw/time-series", "raw/kpi")


def test_another_tenants_devices_are_not_found(world: World) -> None:
    assert world.other_owner is not None
    globex_writer = world.other_owner.post(
        "/v1/keys", json={"name": "globex writer", "scopes": ["data:read", "data:write"]}
    ).json()["secret"]
    acme_writer = world.new_key(name="acme writer", scopes=["data:read", "data:write"])
    for secret, device in ((globex_writer, world.room["id"]), (acme_writer, world.other["id"])):
        client = akenza(world, secret)
        for method, path, body in device_paths(device):
            response = client.request(method, path, json=body)
            shapes.conforms(assert_error(response, 404, "not found"), shapes.ERROR)
    globex = akenza(world, world.other_key)
    [theirs] = ok(globex.get("/v3/assets"))["content"]
    assert theirs["id"] == str(world.other["id"])
    assert_error(globex.get("/v3/devices/by-device-id", params={"deviceId": "02D0C"}), 404)
    assert ok(globex.get("/v3/assets", params={"workspaceId": str(world.room["workspaceId"])}))["content"] == []
    assert ok(globex.get("/v3/tags"))["content"] == []
    assert len(query(akenza(world), world.room["id"])) == 7 * 24  # globex wrote nothing


def test_no_or_a_wrong_key_is_401_in_our_error_object(world: World) -> None:
    for client in (akenza(world, ""), akenza(world, "sg_live_wrong")):
        for method, path, body in [("GET", "/v3/assets", None), *device_paths(world.room["id"])]:
            shapes.conforms(assert_error(client.request(method, path, json=body), 401), shapes.ERROR)


# Rate limits --------------------------------------------------------------------------------------------------

RATE = re.compile(r'"(window|daily)";r=(\d+);t=(\d+)')


@pytest.mark.parametrize(("limits", "which"), [({"requests": 2, "window": "PT1H"}, "window"), ({"daily": 2}, "daily")])
def test_a_429_carries_x_ratelimit_headers(world: World, limits: dict[str, Any], which: str) -> None:
    client = akenza(world, world.new_key(name="tight", limits=limits))
    answers = [client.get("/v3/assets") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert all("x-ratelimit-limit" not in a.headers for a in answers[:2])  # on a 429 only
    refused = answers[2]
    shapes.conforms(assert_error(refused, 429, "used up"), shapes.ERROR)
    assert refused.headers["x-ratelimit-limit"] == "2" and refused.headers["x-ratelimit-remaining"] == "0"
    stated = {name: (int(r), int(t)) for name, r, t in RATE.findall(refused.headers["ratelimit"])}
    assert refused.headers["x-ratelimit-reset"] == str(stated[which][1])  # the same verdict as RateLimit
    assert int(refused.headers["x-ratelimit-reset"]) > 0 and int(refused.headers["retry-after"]) > 0


def test_v1_gets_no_x_ratelimit_headers(world: World) -> None:
    client = akenza(world, world.new_key(name="tight", limits={"requests": 1, "window": "PT1H"}))
    assert client.get("/v1/sensors").status_code == 200
    refused = client.get("/v1/sensors")
    assert refused.status_code == 429 and "ratelimit" in refused.headers and "x-ratelimit-limit" not in refused.headers


# The document and the switch ----------------------------------------------------------------------------------


def test_every_akenza_route_is_in_the_openapi_document_under_its_tag(world: World) -> None:
    document = ok(world.owner.get("/docs/openapi.json"))
    operations = [op for path, item in document["paths"].items() if path.startswith("/v3/") for op in item.values()]
    assert len(operations) == 13
    assert all(op["tags"] == ["akenza"] and op["operationId"].startswith("akenza") for op in operations)
    assert len({op["operationId"] for op in operations}) == 13


def test_akenza_can_be_turned_off(settings: Settings, tmp_path: Path) -> None:
    off = create_app(make_settings(settings.database_url or "", tmp_path, dialects="aranet,ardexa"))
    with TestClient(app=off) as client:
        assert client.get("/v3/assets", headers={"x-api-key": "sg_live_x"}).status_code == 404
        assert not [p for p in client.get("/docs/openapi.json").json()["paths"] if p.startswith("/v3/")]
