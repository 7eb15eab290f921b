"""The Ayyeka dialect through HTTP on both databases: the token, sites, devices, streams, sample ranges,
aggregates and the per-client batch delivery, each answer checked against Ayyeka's published shapes
(ayyeka_shapes.py), and every refusal in Ayyeka's `{request_id, message}`."""

from __future__ import annotations

import base64
from typing import Any

from tests.dialects.ayyeka_shapes import (
    AGGREGATED,
    AGGREGATION,
    DEVICE,
    ERROR,
    SITE,
    STREAM,
    TOKEN,
    conforms,
    sample_batch,
)
from tests.dialects.conftest import HOUR, START, Client, World, make_key

DAY = 24 * HOUR


def _basic(made: dict[str, Any]) -> dict[str, str]:
    pair = f"{made['publicId']}:{made['secret']}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def _token(world: World, made: dict[str, Any]) -> Any:
    return world.as_key("").post("/auth/token", data={"grant_type": "client_credentials"}, headers=_basic(made))


def ayyeka(world: World, scopes: list[str] | None = None) -> Client:
    """A client holding an access token of a new acme OAuth client, as Ayyeka's clients send it."""
    made = make_key(world.owner, kind="oauth_client", scopes=scopes or ["data:read"])
    response = _token(world, made)
    assert response.status_code == 200, response.text
    return world.as_key(response.json()["access_token"], header="Authorization-Bearer")


def refused(response: Any, status: int, contains: str = "") -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    conforms(body, ERROR)
    assert set(body) == {"request_id", "message"}
    assert body["request_id"] == response.headers["x-request-id"]
    assert contains in body["message"], body
    return body  # type: ignore[no-any-return]


def _bearer(world: World, token: str) -> Client:
    client = world.as_key("")
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def reader(world: World, scopes: list[str] | None = None) -> Client:
    made = make_key(world.owner, kind="oauth_client", scopes=scopes or ["data:read"])
    response = _token(world, made)
    assert response.status_code == 200, response.text
    return _bearer(world, response.json()["access_token"])


# The token ----------------------------------------------------------------------------------------------------


def test_the_token_is_the_oauth_token_with_its_limit_of_15(world: World) -> None:
    made = make_key(world.owner, kind="oauth_client", scopes=["data:read"])
    first = _token(world, made)
    assert first.status_code == 200, first.text
    conforms(first.json(), TOKEN)
    assert first.json()["expires_in"] == 3600 and first.json()["token_type"] == "Bearer"
    assert first.headers["cache-control"] == "no-store"
    assert _bearer(world, first.json()["access_token"]).get("/v2.0/site").status_code == 200
    for _ in range(14):
        assert _token(world, made).status_code == 200
    over = _token(world, made)
    refused(over, 429)
    assert int(over.headers["retry-after"]) > 0
    # The same client's limit, whichever path asks.
    again = world.as_key("").post("/v1/oauth/token", data={"grant_type": "client_credentials"}, headers=_basic(made))
    assert again.status_code == 429


def test_a_wrong_secret_or_grant_is_refused_in_ayyekas_shape(world: World) -> None:
    made = make_key(world.owner, kind="oauth_client", scopes=["data:read"])
    refused(_token(world, {**made, "secret": "sgo_wrong"}), 401)
    wrong_grant = world.as_key("").post("/auth/token", data={"grant_type": "password"}, headers=_basic(made))
    refused(wrong_grant, 400)


# Sites, devices, streams --------------------------------------------------------------------------------------


def test_sites_devices_and_streams_are_workspaces_sensors_and_series(world: World) -> None:
    client = reader(world)
    sites = client.get("/v2.0/site").json()
    assert len(sites) == 1
    for found in sites:
        conforms(found, SITE)
    site_id = world.room["workspaceId"]
    assert sites[0]["id"] == site_id
    conforms(client.get(f"/v2.0/site/{site_id}").json(), SITE)

    devices = client.get("/v2.0/device").json()
    assert {d["id"] for d in devices} == {world.room["id"], world.lab["id"]}
    for found in devices:
        conforms(found, DEVICE)
    room = client.get(f"/v2.0/device/{world.room['id']}").json()
    conforms(room, DEVICE)
    assert room["serial_number"] == "02D0C" and room["model_number"] == "Aranet4" and room["site_id"] == site_id

    streams = client.get("/v2.0/stream").json()
    assert len(streams) == 5
    for found in streams:
        conforms(found, STREAM)
    temperature = next(s for s in streams if s["type_display_name"] == "temperature")
    assert temperature["units"] == "°C" and temperature["type_id"] == 1 and temperature["site_id"] == site_id
    assert client.get(f"/v2.0/stream/{temperature['id']}").json() == temperature


def test_another_tenants_site_device_and_stream_are_not_found(world: World) -> None:
    client = reader(world)
    other_site = world.other["workspaceId"]
    refused(client.get(f"/v2.0/site/{other_site}"), 404)
    refused(client.get(f"/v2.0/device/{world.other['id']}"), 404)
    globex = ayyeka_streams_of_other(world)
    refused(client.get(f"/v2.0/stream/{globex}"), 404)
    refused(client.get(f"/v2.0/stream/{globex}/sample/range?fromDate=0&toDate={START + DAY}"), 404)
    refused(client.get("/v2.0/stream/999999/sample/last"), 404)


def ayyeka_streams_of_other(world: World) -> int:
    assert world.other_owner is not None
    made = make_key(world.other_owner, kind="oauth_client", scopes=["data:read"])
    token = world.as_key("").post("/auth/token", data={"grant_type": "client_credentials"}, headers=_basic(made))
    streams = _bearer(world, token.json()["access_token"]).get("/v2.0/stream").json()
    assert len(streams) == 1
    return streams[0]["id"]  # type: ignore[no-any-return]


def test_no_token_or_no_scope_is_refused_in_ayyekas_shape(world: World) -> None:
    response = world.as_key("").get("/v2.0/site")
    refused(response, 401)
    assert "www-authenticate" in response.headers
    refused(reader(world, ["keys:read"]).get("/v2.0/device"), 403)


# Samples ------------------------------------------------------------------------------------------------------


def _temperature(client: Client) -> int:
    streams = client.get("/v2.0/stream").json()
    return next(s["id"] for s in streams if s["type_display_name"] == "temperature")  # type: ignore[no-any-return]


def test_a_range_is_the_streams_samples_in_the_window_with_ids(world: World) -> None:
    client = reader(world)
    stream = _temperature(client)
    response = client.get(f"/v2.0/stream/{stream}/sample/range?fromDate={START}&toDate={START + DAY}")
    samples = sample_batch(response.json())
    assert response.json()["has_more"] is False
    assert len(samples) == 24
    assert samples[0]["value"] == "20.0000" and samples[0]["stream_id"] == stream
    assert samples[0]["sample_date"].startswith("2026-")
    assert len({s["id"] for s in samples}) == 24
    last = client.get(f"/v2.0/stream/{stream}/sample/last").json()
    assert last["sample_date"] > samples[-1]["sample_date"]


def test_a_range_past_10000_samples_says_has_more(world: World) -> None:
    world.owner.post(
        "/v1/measurements",
        json={
            "items": [
                {"sensor": world.lab["id"], "metric": "co2", "value": 500, "time": START - 1 - i} for i in range(10_001)
            ]
        },
    )
    client = reader(world)
    co2 = next(s["id"] for s in client.get("/v2.0/stream").json() if s["type_display_name"] == "co2")
    found = client.get(f"/v2.0/stream/{co2}/sample/range?fromDate={START - 20_000}&toDate={START}").json()
    assert found["has_more"] is True and len(found["samples"]) == 10_000


def test_bad_ranges_name_the_parameter(world: World) -> None:
    client = reader(world)
    stream = _temperature(client)
    refused(client.get(f"/v2.0/stream/{stream}/sample/range?toDate={START}"), 400, "fromDate is required")
    refused(client.get(f"/v2.0/stream/{stream}/sample/range?fromDate={START}&toDate={START}"), 400, "before")
    refused(client.get(f"/v2.0/stream/{stream}/sample/range?fromDate=x&toDate=1"), 400)


def test_aggregates_per_time_frame(world: World) -> None:
    client = reader(world)
    stream = _temperature(client)
    response = client.get(f"/v2.0/stream/{stream}/sample/agg?timeFrame=60&fromDate={START}&toDate={START + DAY}")
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["has_more"] is False and len(found["samples"]) == 24
    for frame in found["samples"]:
        conforms(frame, AGGREGATED)
        conforms(frame["agg_values"], AGGREGATION)
    first = found["samples"][0]
    assert first["number_of_samples"] == 1 and first["agg_values"]["avg"] == "20.0000"
    wide = client.get(f"/v2.0/stream/{stream}/sample/agg?timeFrame=60&fromDate={START}&toDate={START + 7 * DAY}")
    assert sum(f["number_of_samples"] for f in wide.json()["samples"]) == 7 * 24
    quarter = client.get(f"/v2.0/stream/{stream}/sample/agg?timeFrame=15&fromDate={START}&toDate={START + HOUR}")
    assert [f["number_of_samples"] for f in quarter.json()["samples"]] == [1]
    refused(client.get(f"/v2.0/stream/{stream}/sample/agg?timeFrame=5&fromDate=0&toDate=9"), 400, "timeFrame")
    refused(client.get(f"/v2.0/stream/{stream}/sample/agg?fromDate=0&toDate=9"), 400, "timeFrame is required")


# Batch delivery -----------------------------------------------------------------------------------------------


def _batch(client: Client, query: str = "") -> dict[str, Any]:
    response = client.get(f"/v2.0/sample/batch{query}")
    assert response.status_code == 200, response.text
    sample_batch(response.json())
    return response.json()  # type: ignore[no-any-return]


def _write(world: World, items: list[dict[str, Any]]) -> None:
    response = world.owner.post("/v1/measurements", json={"items": items})
    assert response.status_code == 200, response.text


def test_batches_deliver_every_sample_once_with_acks(world: World) -> None:
    client = reader(world)
    refused(client.get("/v2.0/sample/batch/status"), 404)
    first = _batch(client)
    ids = [s["id"] for s in first["samples"]]
    assert len(ids) == 7 * 24 * 4 + 24 and ids == sorted(ids) and first["has_more"] is False
    # Not acknowledged yet: the same batch again.
    assert _batch(client)["samples"] == first["samples"]
    assert client.get("/v2.0/sample/batch/status").json()["id"] == ids[-1]
    refused(client.post(f"/v2.0/sample/batch/ack?sampleId={ids[-1] + 1}"), 400, "was not delivered")
    assert client.post(f"/v2.0/sample/batch/ack?sampleId={ids[-1]}").status_code == 204
    assert _batch(client)["samples"] == []

    # A late backfill of an old time, a changed value and an identical re-send.
    _write(world, [{"sensor": world.lab["id"], "metric": "co2", "value": 1, "time": START - 7 * DAY}])
    _write(world, [{"sensor": world.lab["id"], "metric": "co2", "value": 999, "time": START}])
    _write(world, [{"sensor": world.lab["id"], "metric": "co2", "value": 401, "time": START + HOUR}])
    late = _batch(client)["samples"]
    assert [s["value"] for s in late] == ["1.0000", "999.0000"]
    assert late[0]["id"] > ids[-1] and late[1]["id"] > late[0]["id"]
    client.post(f"/v2.0/sample/batch/ack?sampleId={late[-1]['id']}")
    assert _batch(client)["samples"] == []


def test_batches_hold_at_most_1000_and_ack_off_moves_at_once(world: World) -> None:
    _write(
        world,
        [{"sensor": world.lab["id"], "metric": "co2", "value": i, "time": START - 60 * (i + 1)} for i in range(400)],
    )
    client = reader(world)
    seen: list[int] = []
    first = _batch(client, "?enableAck=false")
    assert len(first["samples"]) == 1000 and first["has_more"] is True
    seen += [s["id"] for s in first["samples"]]
    second = _batch(client, "?enableAck=false")
    assert second["has_more"] is False
    seen += [s["id"] for s in second["samples"]]
    assert len(seen) == len(set(seen)) == 7 * 24 * 4 + 24 + 400 and seen == sorted(seen)
    assert _batch(client, "?enableAck=false")["samples"] == []


def test_backfill_rewinds_to_a_time_and_sample_id_starts_after_an_id(world: World) -> None:
    client = reader(world)
    everything = _batch(client, "?enableAck=false")["samples"]
    assert client.post(f"/v2.0/sample/batch/backfill?sampleDate={START + 6 * DAY}").status_code == 204
    again = _batch(client, "?enableAck=false")["samples"]
    # Every sample timed from then on comes again (here with those that arrived in the same batch after them).
    wanted = {s["id"] for s in everything if s["sample_date"] >= "2026"}
    later = {s["id"] for s in everything if s["sample_date"] >= _iso(START + 6 * DAY)}
    assert later <= {s["id"] for s in again} <= wanted
    middle = everything[100]["id"]
    after = _batch(client, f"?enableAck=false&sampleID={middle}")["samples"]
    assert [s["id"] for s in after] == [s["id"] for s in everything[101:]]
    refused(client.post("/v2.0/sample/batch/backfill"), 400, "sampleDate is required")
    refused(client.post("/v2.0/sample/batch/ack"), 400, "sampleId is required")
    refused(client.get("/v2.0/sample/batch?sampleID=1&backfillHours=2"), 400, "either")


def _iso(seconds: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def test_each_client_has_its_own_position(world: World) -> None:
    one, two = reader(world), reader(world)
    got = _batch(one, "?enableAck=false")["samples"]
    assert _batch(one, "?enableAck=false")["samples"] == []
    assert _batch(two, "?enableAck=false")["samples"] == got


def test_ayyeka_has_its_tag_and_can_be_turned_off(world: World, database_url: str, tmp_path: Any) -> None:
    from litestar.testing import TestClient

    from sensorgate.app import create_app
    from tests.conftest import make_settings

    paths = world.owner.get("/docs/openapi.json").json()["paths"]
    assert paths["/v2.0/sample/batch"]["get"]["tags"] == ["ayyeka"]
    assert paths["/auth/token"]["post"]["tags"] == ["ayyeka"]
    app = create_app(make_settings(database_url, tmp_path, dialects="aranet"))
    with TestClient(app=app) as off:
        assert off.get("/v2.0/site").status_code == 404
        assert off.post("/auth/token", data={"grant_type": "client_credentials"}).status_code == 404
        paths = off.get("/docs/openapi.json").json()["paths"]
        assert not [p for p in paths if p.startswith(("/v2.0/", "/auth/"))]
