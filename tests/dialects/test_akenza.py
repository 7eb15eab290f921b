"""Akenza's /v3 reads through HTTP, on SQLite and PostgreSQL: devices, tags, samples and aggregations, in
Akenza's shapes (tests/dialects/akenza_shapes.py), through the same guard and reach as /v1."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import assert_error
from tests.dialects import akenza_shapes as shapes
from tests.dialects.conftest import HOUR, START, Client, World

WEEK_END = START + 7 * 24 * HOUR


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def akenza(world: World, secret: str | None = None) -> Client:
    return world.as_key(secret, header="x-api-key")


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def walk(client: Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item, as Akenza's examples read a list: page 0, 1, ... until `last`."""
    items, number = [], 0
    while True:
        body = ok(client.get(path, params={**params, "page": number}))
        shapes.page(body)
        assert body["number"] == number and body["first"] == (number == 0)
        assert body["numberOfElements"] == len(body["content"]) and body["empty"] == (not body["content"])
        items += body["content"]
        if body["last"]:
            assert len(items) == body["totalElements"]
            return items
        number += 1


def organization_of(world: World) -> str:
    return str(ok(world.owner.get("/v1/workspaces"))["items"][0]["organizationId"])


# Devices and tags ---------------------------------------------------------------------------------------------


def test_assets_walk_every_device_exactly_once(world: World) -> None:
    for n in range(3):
        made = world.owner.post("/v1/sensors", json={"name": f"Extra {n}", "metrics": [{"metric": "co2"}]})
        assert made.status_code == 201, made.text
    ours = {str(s["id"]) for s in ok(world.owner.get("/v1/sensors"))["items"]}
    client = akenza(world)
    workspace, organization = str(world.room["workspaceId"]), organization_of(world)
    for params in ({"type": "DEVICE"}, {"workspaceId": workspace}, {"organizationId": organization}, {}):
        devices = walk(client, "/v3/assets", size=2, **params)
        assert [d["id"] for d in devices] == sorted(ours, key=int), params  # each once, by id
        for found in devices:
            shapes.device(found)
            assert found["workspaceId"] == workspace and found["organizationId"] == organization
    first = ok(client.get("/v3/assets", params={"size": 2}))
    assert (first["totalElements"], first["totalPages"], first["size"], first["last"]) == (5, 3, 2, False)
    assert first["pageable"]["pageNumber"] == 0 and first["pageable"]["offset"] == 0
    assert ok(client.get("/v3/assets", params={"size": 5000}))["size"] == 200  # Spring caps the size


def test_assets_of_another_workspace_or_kind_are_an_empty_page(world: World) -> None:
    client = akenza(world)
    for params in ({"type": "SIM_CARD"}, {"workspaceId": str(world.other["workspaceId"])}, {"page": 7}):
        body = ok(client.get("/v3/assets", params=params))
        shapes.page(body)
        assert body["content"] == [] and body["empty"] and body["last"]
    assert ok(client.get("/v3/assets", params={"page": 7}))["totalElements"] == 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"type": "GATEWAY"}, "asset type"),
        ({"workspaceId": "abc"}, "workspaceId"),
        ({"organizationId": "-1"}, "organizationId"),
        ({"page": -1}, "page"),
        ({"size": 0}, "size"),
    ],
)
def test_bad_asset_queries_are_400(world: World, params: dict[str, Any], message: str) -> None:
    body = assert_error(akenza(world).get("/v3/assets", params=params), 400, message)
    shapes.conforms(body, shapes.ERROR)


def test_a_device_by_id_and_by_device_id(world: World) -> None:
    client = akenza(world)
    room = ok(client.get(f"/v3/devices/{world.room['id']}"))
    shapes.device(room)
    assert (room["id"], room["name"], room["deviceId"]) == (str(world.room["id"]), "Room 1", "02D0C")
    assert room["tags"] == [{"id": "office", "name": "office"}] and room["description"] == "Aranet4"
    assert room["onlineTimeout"] == 6 * 60  # six hourly intervals, in minutes
    assert room["properties"]["metrics"] == ["temperature", "humidity", "battery", "rssi"]
    assert ok(client.get("/v3/devices/by-device-id", params={"deviceId": "02D0C"})) == room
    assert_error(client.get("/v3/devices/by-device-id", params={"deviceId": "nope"}), 404, "nope")
    assert_error(client.get("/v3/devices/by-device-id"), 400, "deviceId")
    for missing in ("99999", "abc", "0x1f", str(2**31), str(2**63)):
        assert_error(client.get(f"/v3/devices/{missing}"), 404, "not found")


def test_tags_page_with_their_device_counts(world: World) -> None:
    assert world.owner.patch(f"/v1/sensors/{world.lab['id']}", json={"tags": ["office", "lab"]}).status_code == 200
    client = akenza(world)
    tags = walk(client, "/v3/tags", size=1, workspaceId=str(world.room["workspaceId"]))
    for tag in tags:
        shapes.conforms(tag, shapes.TAG)
    assert [(t["id"], t["name"], t["taggedDevices"]) for t in tags] == [("lab", "lab", 1), ("office", "office", 2)]
    assert walk(client, "/v3/tags", organizationId=organization_of(world)) == tags
    assert walk(client, "/v3/tags", workspaceId=str(world.other["workspaceId"])) == []


# Samples ------------------------------------------------------------------------------------------------------


def query(client: Client, device: object, **body: Any) -> list[dict[str, Any]]:
    found = ok(client.post(f"/v3/devices/{device}/query", json=body))
    assert isinstance(found, list)
    for sample in found:
        shapes.device_data(sample)
    return found


def test_query_answers_one_sample_per_time_newest_first(world: World) -> None:
    client = akenza(world)
    found = query(client, world.room["id"], topic="*")
    assert len(found) == 7 * 24
    assert [s["timestamp"] for s in found] == [iso(WEEK_END - HOUR * (i + 1)) for i in range(7 * 24)]
    newest = found[0]
    assert newest["akenzaDeviceId"] == str(world.room["id"]) and newest["topic"] == "default"
    hour = 7 * 24 - 1
    assert newest["data"] == {
        "temperature": 20 + hour % 5,
        "humidity": 40 + hour % 7,
        "battery": pytest.approx(100 - hour / 10),
        "rssi": -70 - hour % 3,
    }
    assert query(client, world.room["id"]) == found  # topic "default" by default
    assert ok(client.post(f"/v3/devices/{world.room['id']}/query", content=b"")) == found  # no body: defaults
    assert query(client, world.room["id"], topic="uplink") == []


def test_query_bounds_are_exact(world: World) -> None:
    client = akenza(world)
    at = START + 10 * HOUR
    cases = [
        ({"gte": iso(at), "lt": iso(at + 3 * HOUR)}, [at + 2 * HOUR, at + HOUR, at]),
        ({"gt": iso(at), "lte": iso(at + 3 * HOUR)}, [at + 3 * HOUR, at + 2 * HOUR, at + HOUR]),
        ({"gt": iso(at - 1), "lt": iso(at + 1), "gte": iso(at - HOUR)}, [at]),
    ]
    for bounds, times in cases:
        assert [s["timestamp"] for s in query(client, world.room["id"], timestamp=bounds)] == [iso(t) for t in times]


def test_skip_and_limit_walk_every_sample_exactly_once(world: World) -> None:
    client = akenza(world)
    bounds = {"lte": iso(WEEK_END)}  # a fixed end: the positions stay still
    seen: list[str] = []
    while page := query(client, world.room["id"], timestamp=bounds, limit=50, skip=len(seen)):
        assert len(page) <= 50
        seen += [s["timestamp"] for s in page]
    assert len(seen) == len(set(seen)) == 7 * 24
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"limit": 8001}, "limit"),
        ({"limit": 0}, "limit"),
        ({"skip": -1}, "skip"),
        ({"timestamp": {"gte": "yesterday"}}, "timestamp.gte"),
        ({"timestamp": {"gt": "2026-01-02T00:00:00Z", "lt": "2026-01-01T00:00:00Z"}}, "bounds"),
        ({"timestamp": {"after": "2026-01-01T00:00:00Z"}}, "after"),
        ({"topics": "*"}, "topics"),
    ],
)
def test_bad_queries_are_400(world: World, body: dict[str, Any], message: str) -> None:
    response = akenza(world).post(f"/v3/devices/{world.room['id']}/query", json=body)
    shapes.conforms(assert_error(response, 400, message), shapes.ERROR)


def test_topics_and_the_latest_sample(world: World) -> None:
    client = akenza(world)
    assert ok(client.get(f"/v3/devices/{world.room['id']}/query/topics")) == ["default"]
    latest = ok(client.get(f"/v3/devices/{world.lab['id']}/query/latest-sample"))
    shapes.device_data(latest)
    assert latest["timestamp"] == iso(START + 23 * HOUR) and latest["data"] == {"co2": 423}
    assert ok(client.get(f"/v3/devices/{world.room['id']}/query/latest-sample"))["data"].keys() == {
        "temperature",
        "humidity",
        "battery",
        "rssi",
    }
    empty = world.owner.post("/v1/sensors", json={"name": "New", "metrics": [{"metric": "co2"}]}).json()["id"]
    assert ok(client.get(f"/v3/devices/{empty}/query/topics")) == []
    assert_error(client.get(f"/v3/devices/{empty}/query/latest-sample"), 404, "no data")


# Aggregations -------------------------------------------------------------------------------------------------


def aggregation(accumulator: str, start: int, end: int, **fields: Any) -> dict[str, Any]:
    interval = {"from": iso(start), "to": iso(end)}
    return {"dataKey": "temperature", "accumulator": accumulator, "interval": interval, **fields}


def test_hourly_time_series(world: World) -> None:
    client = akenza(world)
    path = f"/v3/devices/{world.room['id']}/query/aggregated/hourly/time-series"
    found = ok(client.post(path, json=aggregation("MAX", START, START + 5 * HOUR)))
    shapes.time_series(found)
    assert (found["deviceId"], found["topic"], found["dataKey"]) == (str(world.room["id"]), "default", "temperature")
    assert found["timestamps"] == [iso(START + h * HOUR) for h in range(5)]
    assert found["dataPoints"] == [20, 21, 22, 23, 24]
    # Two hours past the data: their buckets are there, empty.
    tail = ok(client.post(path, json=aggregation("COUNT", WEEK_END - HOUR, WEEK_END + 2 * HOUR)))
    assert tail["dataPoints"] == [1, None, None]
    day = ok(client.post(path, json=aggregation("AVG", START, START + 2 * 24 * HOUR, bucketInterval="P1D")))
    assert len(day["timestamps"]) in (2, 3) and all(v is not None for v in day["dataPoints"][:2])
    other = ok(client.post(path, json=aggregation("MAX", START, START + 2 * HOUR, topic="uplink")))
    assert other["dataPoints"] == [None, None]


@pytest.mark.parametrize(("route", "hours"), [("aggregated/hourly", 7 * 24), ("raw", 24)])
def test_kpis(world: World, route: str, hours: int) -> None:
    client = akenza(world)
    path = f"/v3/devices/{world.room['id']}/query/{route}/kpi"
    expected = {"MIN": 20, "MAX": 24, "COUNT": hours, "SUM": sum(20 + h % 5 for h in range(hours))}
    for accumulator, value in expected.items():
        found = ok(client.post(path, json=aggregation(accumulator, START, START + hours * HOUR)))
        shapes.kpi(found)
        assert found["kpi"] == value, accumulator
    avg = ok(client.post(path, json=aggregation("AVG", START, START + hours * HOUR)))["kpi"]
    assert avg == pytest.approx(expected["SUM"] / hours)
    assert ok(client.post(path, json=aggregation("AVG", WEEK_END, WEEK_END + HOUR)))["kpi"] is None
    assert ok(client.post(path, json=aggregation("COUNT", WEEK_END, WEEK_END + HOUR)))["kpi"] == 0


def test_a_raw_kpi_is_at_most_a_week(world: World) -> None:
    path = f"/v3/devices/{world.room['id']}/query/raw/kpi"
    assert_error(akenza(world).post(path, json=aggregation("MAX", START, WEEK_END)), 400, "hourly/kpi")


def test_raw_time_series_takes_buckets_under_an_hour(world: World) -> None:
    path = f"/v3/devices/{world.room['id']}/query/raw/time-series"
    found = ok(akenza(world).post(path, json=aggregation("MIN", START, START + HOUR, bucketInterval="PT30M")))
    shapes.time_series(found)
    assert found["timestamps"] == [iso(START), iso(START + HOUR // 2)] and found["dataPoints"] == [20, None]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"accumulator": "FIRST"}, "FIRST is not served"),
        ({"accumulator": "MATCHED_COUNT"}, "alarms"),
        ({"accumulator": "MEDIAN"}, "accumulator"),
        ({"bucketInterval": "PT15M"}, "not whole hours"),
        ({"bucketInterval": "often"}, "bucketInterval"),
        ({"interval": {"from": iso(START + HOUR), "to": iso(START)}}, "before"),
        ({"interval": {"from": iso(START)}}, "to"),
        ({"dataKey": "co2"}, "no metric"),
    ],
)
def test_bad_aggregations_are_refused(world: World, fields: dict[str, Any], message: str) -> None:
    body = {**aggregation("MAX", START, START + HOUR), **fields}
    response = akenza(world).post(f"/v3/devices/{world.room['id']}/query/aggregated/hourly/time-series", json=body)
    status = 404 if fields.get("dataKey") else 400
    shapes.conforms(assert_error(response, status, message), shapes.ERROR)


def test_a_nul_in_a_data_key_is_never_a_500(world: World, database_url: str) -> None:
    """The raw reads bypass SQLAlchemy; a NUL still answers as a client error, in Akenza's shape."""
    body = {**aggregation("AVG", START, START + HOUR), "dataKey": "temp\x00"}
    response = akenza(world).post(f"/v3/devices/{world.room['id']}/query/raw/time-series", json=body)
    if database_url.startswith("postgresql"):  # its text cannot hold U+0000; SQLite's can
        shapes.conforms(assert_error(response, 400, "NUL character"), shapes.ERROR)
    else:
        shapes.conforms(assert_error(response, 404, "no metric"), shapes.ERROR)
