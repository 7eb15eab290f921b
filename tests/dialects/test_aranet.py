"""Aranet's /api/v1 through HTTP: every path we answer, in Aranet's shapes, with Aranet's refusals, and the same
access as /v1 (another tenant's data is never reachable)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sensorgate.kit.times import format_time
from tests.dialects import aranet_schemas as schema
from tests.dialects.conftest import HOUR, START, Client, World, make_key

WEEK = f"from={format_time(START * 1000)[:19]}&to={format_time((START + 7 * 24 * HOUR) * 1000)[:19]}"


def get(client: Client, path: str, status: int = 200) -> Any:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def aranet_error(response: Any, status: int, contains: str) -> None:
    """Aranet's error body: {"error": [{"message", "id"}]}, `id` being the request id."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"] and len(body["error"]) == 1, body
    assert contains.lower() in body["error"][0]["message"].lower(), body
    assert body["error"][0]["id"] == response.headers["x-request-id"]


def test_sensors_are_listed_in_aranets_shape(world: World) -> None:
    body = get(world.as_key(), "/api/v1/sensors")
    schema.assert_valid(body, schema.SENSORS, ("sensors", "links"))
    room = {s["id"]: s for s in body["sensors"]}[str(world.room["id"])]
    assert room["sensorId"] == "02D0C" and room["name"] == "Room 1" and room["type"] == "Aranet4"
    assert room["tags"] == ["office"]
    # Aranet's own metric numbers: temperature 1, humidity 2, battery 62, RSSI 61.
    assert sorted(s["metric"] for s in room["skills"]) == ["1", "2", "61", "62"]
    assert {link["rel"] for link in body["links"]["metric"]} == {"1", "2", "3", "61", "62"}
    assert body["links"]["type"] == [
        {"rel": "Aranet4", "name": "Aranet4", "href": "/api/v1/sensors/types/type/Aranet4"}
    ]
    # Only acme's sensors: globex's is not there.
    assert sorted(s["id"] for s in body["sensors"]) == sorted([str(world.room["id"]), str(world.lab["id"])])


def test_one_sensor_and_another_tenants_is_not_found(world: World) -> None:
    client = world.as_key()
    body = get(client, f"/api/v1/sensors/sensor/{world.room['id']}")
    schema.assert_valid(body, schema.SENSOR_ONE, ("sensor",))
    assert body["sensor"]["id"] == str(world.room["id"])
    for missing in (world.other["id"], 999_999, "abc", 2**31, 2**63):
        aranet_error(client.get(f"/api/v1/sensors/sensor/{missing}"), 404, "not found")


def test_a_base_filter_matches_nothing_and_bases_say_there_are_none(world: World) -> None:
    client = world.as_key()
    assert get(client, "/api/v1/sensors?base=358151002573") == {}
    bases = get(client, "/api/v1/bases")
    schema.assert_valid(bases, schema.BASES, ("bases",))
    assert bases["bases"] == [] and "no base stations" in bases["error"][0]["message"]
    aranet_error(client.get("/api/v1/bases/base/358151002573"), 404, "no base stations")


def test_sensor_types(world: World) -> None:
    client = world.as_key()
    body = get(client, "/api/v1/sensors/types")
    schema.assert_valid(body, schema.SENSOR_TYPES, ("sensorTypes",))
    assert body["sensorTypes"] == [{"id": "Aranet4", "name": "Aranet4", "isVirtual": False}]
    schema.assert_valid(get(client, "/api/v1/sensors/types/type/Aranet4"), schema.SENSOR_TYPE_ONE, ("sensorType",))
    aranet_error(client.get("/api/v1/sensors/types/type/S4V1"), 404, "not found")


def test_last_measurements_hold_gauges_and_telemetry_holds_the_device(world: World) -> None:
    client = world.as_key()
    body = get(client, "/api/v1/measurements/last")
    schema.assert_valid(body, schema.READINGS, ("readings", "links"))
    got = {(r["sensor"], r["metric"]): r for r in body["readings"]}
    room, lab = str(world.room["id"]), str(world.lab["id"])
    assert set(got) == {(room, "1"), (room, "2"), (lab, "3")}
    last = got[(room, "1")]
    assert last["unit"] == "1" and last["value"] == 20 + (7 * 24 - 1) % 5
    assert last["time"] == format_time((START + (7 * 24 - 1) * HOUR) * 1000)
    assert last["novelty"] == "old"  # a week old, with an hourly interval
    assert {link["rel"]: link["name"] for link in body["links"]["sensor"]} == {room: "02D0C", lab: "03396"}
    assert {link["rel"] for link in body["links"]["unit"]} == {"1", "2", "3"}

    telemetry = get(client, "/api/v1/telemetry/last")
    schema.assert_valid(telemetry, schema.READINGS, ("readings",))
    assert {(r["metric"], r["unit"]) for r in telemetry["readings"]} == {("61", "11"), ("62", "132")}


def test_units_are_chosen_by_unit_id_per_metric(world: World) -> None:
    client = world.as_key()
    body = get(client, f"/api/v1/measurements/last?sensor={world.room['id']}&unit=101&links=false")
    assert "links" not in body
    by_metric = {r["metric"]: r for r in body["readings"]}
    assert by_metric["1"]["unit"] == "101"
    assert by_metric["1"]["value"] == pytest.approx((20 + (7 * 24 - 1) % 5) * 1.8 + 32)
    assert by_metric["2"]["unit"] == "2"  # humidity keeps its own
    aranet_error(client.get("/api/v1/measurements/last?unit=999"), 400, "unit")


def test_nothing_matching_is_an_empty_object(world: World) -> None:
    client = world.as_key()
    room, other = world.room["id"], world.other["id"]
    assert get(client, f"/api/v1/measurements/last?sensor={room}&metric=3") == {}  # room has no CO2
    assert get(client, f"/api/v1/measurements/last?sensor={room}&metric=62") == {}  # battery is telemetry
    # Another tenant's sensor, or one that does not exist, matches nothing: nothing says which it is.
    assert get(client, f"/api/v1/measurements/last?sensor={other}") == {}
    assert get(client, "/api/v1/measurements/last?sensor=999999") == {}
    assert get(client, f"/api/v1/measurements/history?sensor={other}&{WEEK}") == {}
    assert get(world.as_key(world.other_key), f"/api/v1/telemetry/last?sensor={room}") == {}


def walk(client: Client, first: str) -> tuple[list[dict[str, Any]], int]:
    """Every reading of a history query, following `next` with no other parameters; and the number of pages."""
    readings: list[dict[str, Any]] = []
    path: str | None = first
    pages = 0
    while path:
        response = client.get(path)
        assert response.status_code == 200, response.text
        body = response.json()
        schema.assert_valid(body, schema.READINGS)
        readings += body.get("readings", [])
        path = body.get("next")
        pages += 1
        if path:
            assert path.startswith("/api/v1/measurements/history?next=") and "&" not in path
            assert response.headers["nextlink"] == path
        assert pages < 100
    return readings, pages


def test_history_walks_every_reading_once(world: World) -> None:
    client = world.as_key()
    room = world.room["id"]
    readings, pages = walk(client, f"/api/v1/measurements/history?sensor={room},{world.lab['id']}&{WEEK}&limit=50")
    keys = [(r["sensor"], r["metric"], r["time"]) for r in readings]
    assert len(keys) == len(set(keys)) == 7 * 24 * 2 + 24  # temperature and humidity all week, CO2 for a day
    assert pages == -(-len(keys) // 50)
    assert {r["metric"] for r in readings} == {"1", "2", "3"}
    assert all("novelty" not in r for r in readings)
    # The same points as /v1 answers for the same window.
    v1 = world.owner.get(
        "/v1/measurements",
        params={
            "sensor": f"{room}",
            "metric": "temperature",
            "from": START,
            "to": START + 7 * 24 * HOUR,
            "limit": 10000,
        },
    ).json()["items"]
    aranet = [(r["time"], r["value"]) for r in readings if r["metric"] == "1"]
    assert aranet == [(p["time"], p["value"]) for p in v1]


def test_history_windows_are_half_open_and_take_aranets_time_forms(world: World) -> None:
    client = world.as_key()
    room = world.room["id"]
    # Aranet's forms: YYYY-MM-DDTHH:MM and YYYY-MM-DDTHH:MM:SS, UTC. `to` is not included.
    start = datetime.fromtimestamp(START + HOUR, UTC)
    one_hour = f"from={start:%Y-%m-%dT%H:%M}&to={datetime.fromtimestamp(START + 2 * HOUR, UTC):%Y-%m-%dT%H:%M:%S}"
    body = get(client, f"/api/v1/measurements/history?sensor={room}&metric=1&{one_hour}")
    assert [r["time"] for r in body["readings"]] == [format_time((START + HOUR) * 1000)]
    # 24 hourly windows tile the day: every reading once.
    times = []
    for hour in range(24):
        low, high = (START + hour * HOUR) * 1000, (START + (hour + 1) * HOUR) * 1000
        window = f"from={format_time(low)[:19]}&to={format_time(high)[:19]}"
        times += [
            r["time"] for r in get(client, f"/api/v1/measurements/history?sensor={room}&metric=1&{window}")["readings"]
        ]
    assert times == [format_time((START + h * HOUR) * 1000) for h in range(24)]


def test_history_counts_back_from_now(world: World) -> None:
    client = world.as_key()
    room = world.room["id"]
    now = int(datetime.now(UTC).timestamp())
    recent = [{"sensor": room, "metric": "temperature", "value": v, "time": now - s} for v, s in ((1, 7000), (2, 60))]
    assert world.owner.post("/v1/measurements", json={"items": recent}).status_code == 200
    assert [
        r["value"] for r in get(client, f"/api/v1/measurements/history?sensor={room}&metric=1&minutes=5")["readings"]
    ] == [2]
    assert [
        r["value"] for r in get(client, f"/api/v1/measurements/history?sensor={room}&metric=1&hours=2")["readings"]
    ] == [1, 2]
    # The sensors named, with no window: the last 7 days.
    week = get(client, f"/api/v1/measurements/history?sensor={room}&metric=1")["readings"]
    assert [r["value"] for r in week][-2:] == [1, 2]
    assert min(r["time"] for r in week) >= format_time((now - 7 * 86_400) * 1000)
    assert len(week) < 7 * 24  # the older part of the fixture's week is outside
    aranet_error(client.get(f"/api/v1/measurements/history?sensor={room}&hours=2&days=1"), 400, "not several")


BAD_HISTORY = [
    ("sensor=abc", "not a sensor id"),
    ("sensor=4294967296", "ids are 1 to 2147483647"),  # past PostgreSQL's integer: a 400, never a 500
    (
        "next=WyJnIiwgWzk5OTk5OTk5OTldLCBbInRlbXBlcmF0dXJlIl0sIHt9LCAxMCwgdHJ1ZSwgIngiXQ",
        "next",
    ),  # an edited token naming such an id
    ("metric=temperature", "not a metric id"),
    ("limit=0", "limit"),
    ("from=yesterday", "from"),
    ("from=2026-11-20&to=2026-11-19", "before"),
    ("next=bm90LWEtdG9rZW4", "next"),
    ("hours=0", "hours"),
]


def test_bad_history_requests_are_400_in_aranets_shape(world: World) -> None:
    client = world.as_key()
    for query, message in BAD_HISTORY:  # one world for all: building it is most of a test's time
        aranet_error(client.get(f"/api/v1/measurements/history?{query}"), 400, message)


def test_telemetry_history(world: World) -> None:
    client = world.as_key()
    room = world.room["id"]
    body = get(client, f"/api/v1/telemetry/history?sensor={room}&metric=62&{WEEK}&limit=5")
    assert [r["metric"] for r in body["readings"]] == ["62"] * 5
    assert body["next"].startswith("/api/v1/telemetry/history?next=")
    following = get(client, body["next"])
    assert following["readings"][0]["time"] > body["readings"][-1]["time"]


def test_metrics_and_units_have_aranets_numbers(world: World) -> None:
    client = world.as_key()
    body = get(client, "/api/v1/metrics")
    schema.assert_valid(body, schema.METRICS, ("metrics",))
    by_id = {m["id"]: m for m in body["metrics"]}
    assert [by_id[n]["name"] for n in ("1", "2", "3", "4", "61", "62")] == [
        "Temperature",
        "Humidity",
        "CO₂",
        "Atmospheric Pressure",
        "RSSI",
        "Battery",
    ]
    assert by_id["61"]["kind"] == by_id["62"]["kind"] == "t" and by_id["1"]["kind"] == "g"
    temperature = {u["id"]: u for u in by_id["1"]["units"]}
    assert temperature["1"]["name"] == "°C" and temperature["1"]["default"] is True
    assert temperature["101"]["name"] == "°F" and temperature["102"]["name"] == "K"
    assert {u["id"]: u["name"] for u in by_id["4"]["units"]}["103"] == "mmHg"
    schema.assert_valid(get(client, "/api/v1/metrics/62"), schema.METRIC_ONE, ("metric",))
    assert get(client, "/api/v1/units/unit/101") == {"unit": {"id": "101", "name": "°F", "precision": 1}}
    aranet_error(client.get("/api/v1/metrics/77"), 404, "metric 77")
    aranet_error(client.get("/api/v1/units/unit/77"), 404, "unit 77")


def test_assets_and_tags(world: World) -> None:
    client = world.as_key()
    assets = get(client, "/api/v1/assets")
    schema.assert_valid(assets, schema.ASSETS, ("assets",))
    (asset,) = assets["assets"]
    assert asset["name"] == "Building A"
    assert [a["sensor"] for a in asset["points"][0]["associations"]] == [str(world.room["id"])]
    schema.assert_valid(get(client, f"/api/v1/assets/asset/{asset['id']}"), schema.ASSET_ONE, ("asset",))
    aranet_error(client.get("/api/v1/assets/asset/999"), 404, "asset")
    # Readings of an asset are those of its sensors.
    by_asset = get(client, f"/api/v1/measurements/last?asset={asset['id']}")
    assert {r["sensor"] for r in by_asset["readings"]} == {str(world.room["id"])}

    tags = get(client, "/api/v1/tags")
    schema.assert_valid(tags, schema.TAGS, ("tags",))
    assert tags["tags"] == [{"id": "office", "name": "office"}]
    schema.assert_valid(get(client, "/api/v1/tags/tag/office"), schema.TAG_ONE, ("tag",))
    # globex's key sees neither acme's assets nor its tags.
    other = world.as_key(world.other_key)
    assert get(other, "/api/v1/assets") == {} and get(other, "/api/v1/tags") == {}
    aranet_error(other.get("/api/v1/tags/tag/office"), 404, "tag")


def test_alarms_and_rules(world: World) -> None:
    client = world.as_key()
    room = world.room["id"]
    assert get(client, "/api/v1/alarms/actual") == {} and get(client, "/api/v1/alarms/rules") == {}
    rule = world.owner.post(
        "/v1/alarm-rules",
        json={
            "name": "Too warm",
            "metric": "temperature",
            "condition": "above",
            "threshold": 30,
            "sensor": room,
        },
    ).json()
    now = int(datetime.now(UTC).timestamp())
    hot = [{"sensor": room, "metric": "temperature", "value": 35.5, "time": now - 10}]
    assert world.owner.post("/v1/measurements", json={"items": hot}).status_code == 200

    actual = get(client, "/api/v1/alarms/actual")
    schema.assert_valid(actual, schema.ALARMS, ("alarms",))
    (alarm,) = actual["alarms"]
    assert (alarm["sensor"], alarm["metric"], alarm["rule"]) == (str(room), "1", str(rule["id"]))
    assert (alarm["worst"], alarm["value"], alarm["threshold"], alarm["severity"]) == (35.5, 30, "above", 2)
    assert "resolved" not in alarm
    history = get(client, "/api/v1/alarms/history")
    assert [a["id"] for a in history["alarms"]] == [alarm["id"]]

    rules = get(client, "/api/v1/alarms/rules")
    schema.assert_valid(rules, schema.RULES, ("rules",))
    assert rules["rules"] == [{"id": str(rule["id"]), "name": "Too warm", "metric": "1"}]
    schema.assert_valid(get(client, f"/api/v1/alarms/rules/rule/{rule['id']}"), schema.RULE_ONE, ("rule",))
    aranet_error(client.get("/api/v1/alarms/rules/rule/999"), 404, "rule")
    assert get(world.as_key(world.other_key), "/api/v1/alarms/actual") == {}


def test_401_is_plain_text_in_aranets_words(world: World) -> None:
    for secret, text in (("", "Not Authorized"), ("sgk_not-a-key", "Invalid ApiKey")):
        response = world.as_key(secret).get("/api/v1/sensors")
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text == text
    # The same key in X-API-Key works too, as on /v1.
    assert world.as_key(world.key, header="X-API-Key").get("/api/v1/sensors").status_code == 200


def test_a_key_without_data_read_is_refused_in_aranets_shape(world: World) -> None:
    key = make_key(world.owner, scopes=["usage:read"])
    aranet_error(world.as_key(key["secret"]).get("/api/v1/sensors"), 403, "data:read")


def test_a_key_over_its_rate_limit_gets_429_with_retry_after(world: World) -> None:
    key = make_key(world.owner, limits={"requests": 2, "window": "PT1M"})
    client = world.as_key(key["secret"])
    assert [client.get("/api/v1/tags").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/api/v1/tags")
    aranet_error(refused, 429, "rate limit")
    assert 1 <= int(refused.headers["retry-after"]) <= 60 and "ratelimit" in refused.headers


def test_aranet_calls_are_counted_and_logged_like_v1(world: World) -> None:
    client = world.as_key()
    for _ in range(3):
        assert client.get("/api/v1/measurements/last", headers={"User-Agent": "aranet-cloud/1.0"}).status_code == 200
    log = world.owner.get(f"/v1/keys/{world.key_id}/log").json()["items"]
    used = [e for e in log if e["event"] == "used"]
    assert sum(e["count"] for e in used) == 3 and used[-1]["userAgent"] == "aranet-cloud/1.0"
    usage = {u["key"]: u for u in world.owner.get("/v1/keys/usage").json()["items"]}[world.key_id]
    assert usage["requests"] == 3 and usage["points"] == 3 * 3


def test_get_only(world: World) -> None:
    response = world.as_key().post("/api/v1/sensors", json={})
    assert response.status_code == 405
