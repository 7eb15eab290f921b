"""The sensor list and a sensor's page: the same filters, pages and numbers as /v1, in the viewer's zone and
units, with the sensor's alarms and a CSV of what its charts show."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from sensorgate.db.engine import Database
from sensorgate.kit.times import utcnow
from tests.conftest import add_user
from tests.console.helpers import Client, console_login

MINUTE = 60


def api(client: Client, path: str, body: dict[str, Any]) -> Any:
    response = client.post(path, json=body, headers={"X-CSRF-Token": client.cookies.get("sg_csrf", "")})
    assert response.status_code in (200, 201), response.text
    return response.json()


def sensor(client: Client, name: str, **fields: Any) -> int:
    body = {"name": name, "interval": MINUTE, "metrics": [{"metric": "temperature"}], **fields}
    return int(api(client, "/v1/sensors", body)["id"])


def points(client: Client, sensor_id: int, times_values: list[tuple[int, float]]) -> None:
    items = [{"sensor": sensor_id, "metric": "temperature", "time": t, "value": v} for t, v in times_values]
    api(client, "/v1/measurements", {"items": items})


def now() -> int:
    return int(utcnow().timestamp())


def names_on(page: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'<a href="/orgs/acme/sensors/\d+">([^<]+)</a>', page)]


def owner(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    console_login(client, "owner@acme.example")


def test_the_list_filters_like_the_api_and_shows_novelty(client: Client, db: Database) -> None:
    owner(client, db)
    fresh = sensor(client, "Fresh", tags=["indoor"], deviceGroup="floor-1", assets=["Hall"])
    ageing = sensor(client, "Ageing", tags=["indoor", "cold"])
    stale = sensor(client, "Stale", tags=["outdoor"], serial="OUT-7")
    sensor(client, "Silent")
    t = now()
    points(client, fresh, [(t - 30, 20.0)])
    points(client, ageing, [(t - 4 * MINUTE, 20.0)])  # older than 3 intervals
    points(client, stale, [(t - 7 * MINUTE, 20.0)])  # older than 6
    page = client.get("/orgs/acme/sensors").text
    assert names_on(page) == ["Fresh", "Ageing", "Stale", "Silent"]
    badges = re.findall(r'class="badge (\w+) novelty"[^>]*>([^<]+)<', page)
    assert badges == [("ok", "new"), ("warn", "expiring"), ("bad", "old"), ("muted", "no data")]
    cases = [("tag=indoor", ["Fresh", "Ageing"]), ("tag=cold", ["Ageing"]), ("group=floor-1", ["Fresh"]),
             ("asset=Hall", ["Fresh"]), ("q=out-", ["Stale"]), ("q=e&tag=outdoor", ["Stale"])]  # fmt: skip
    for query, expected in cases:
        shown = names_on(client.get(f"/orgs/acme/sensors?{query}").text)
        from_api = client.get(f"/v1/sensors?{query.replace('group=', 'deviceGroup=')}").json()["items"]
        api_names = [s["name"] for s in from_api]
        assert shown == api_names == expected, query
    assert "No sensors match these filters." in client.get("/orgs/acme/sensors?tag=nothing").text


def test_the_list_pages_like_the_api(client: Client, db: Database) -> None:
    owner(client, db)
    for i in range(5):
        sensor(client, f"S{i}")
    first = client.get("/orgs/acme/sensors?size=2").text
    assert names_on(first) == ["S0", "S1"] and "Page 1 of 3" in first
    following = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', first)
    assert following
    second = client.get("/orgs/acme/sensors" + html.unescape(following.group(1))).text
    assert names_on(second) == ["S2", "S3"] and 'rel="prev"' in second
    assert client.get("/orgs/acme/sensors?size=201").status_code == 400  # the API's maximum page size


def chart_points(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-points="(\d+)"', page)]


def csv_links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="(/v1/measurements/aggregate\?[^"]+)"', page)]


def test_each_range_charts_what_the_aggregate_api_answers_and_the_csv_holds_it(client: Client, db: Database) -> None:
    owner(client, db)
    room = sensor(client, "Room")
    t = now() - now() % 60
    times = [t - i * 20 * MINUTE for i in range(0, 3 * 24 * 40)]  # 40 days, 3 an hour
    points(client, room, [(when, 20 + (i % 7)) for i, when in enumerate(times)])
    for key in ("6h", "24h", "7d", "30d", "1y"):
        page = client.get(f"/orgs/acme/sensors/{room}?range={key}")
        assert page.status_code == 200, page.text
        [link] = csv_links(page.text)
        query = dict(parse_qsl(urlsplit(link).query))
        assert query["format"] == "csv" and query["sensor"] == str(room)
        as_json = client.get("/v1/measurements/aggregate", params={**query, "format": "json"}).json()["items"]
        assert chart_points(page.text) == [len(as_json)], key
        rows = list(csv.DictReader(io.StringIO(client.get(link).text)))
        assert [(r["start"], float(r["avg"])) for r in rows] == [(i["start"], i["avg"]) for i in as_json]
        banded = 'class="chart-band"' in page.text
        assert banded == (key in ("7d", "30d", "1y")), key  # min-max bands from hourly buckets on
    days = len({when // 86_400 for when in times})  # 40 or 41 UTC days, by the time of day the test runs
    assert chart_points(client.get(f"/orgs/acme/sensors/{room}?range=1y").text) == [days]  # a point a day with data


def test_values_in_the_viewers_units_and_times_in_its_zone(client: Client, db: Database) -> None:
    owner(client, db)
    room = sensor(client, "Room")
    t = now() - 60
    points(client, room, [(t, 20.0)])
    metric = client.get(f"/orgs/acme/sensors/{room}").text
    assert "20 °C" in metric and "Time (UTC)" in metric
    us = client.get(f"/orgs/acme/sensors/{room}?units=us&tz=America/New_York")
    assert "68 °F" in us.text and "Time (America/New_York)" in us.text
    assert "unit=%C2%B0F" in us.text  # the CSV is asked in the same unit
    assert unquote(us.cookies.get("sg_tz", "")) == "America/New_York" and us.cookies.get("sg_units") == "us"
    remembered = client.get(f"/orgs/acme/sensors/{room}").text  # the cookies keep the choice
    assert "68 °F" in remembered and "Time (America/New_York)" in remembered
    assert client.get(f"/orgs/acme/sensors/{room}?tz=Mars/Olympus").status_code == 400
    assert client.get(f"/orgs/acme/sensors/{room}?units=imperial").status_code == 400


def test_a_custom_range_and_its_errors(client: Client, db: Database) -> None:
    owner(client, db)
    room = sensor(client, "Room")
    points(client, room, [(1_767_225_600 + i * 60, 20.0) for i in range(120)])  # 2026-01-01, two hours
    page = client.get(f"/orgs/acme/sensors/{room}?range=custom&from=2026-01-01T00:00&to=2026-01-01T02:00")
    assert page.status_code == 200 and chart_points(page.text) == [120]  # PT1M buckets for two hours
    too_short = client.get(f"/orgs/acme/sensors/{room}?range=custom&from=2026-01-01T00:00&to=2026-01-01T00:05")
    assert too_short.status_code == 400 and "at least 10 minutes" in too_short.text
    assert client.get(f"/orgs/acme/sensors/{room}?range=custom&from=yesterday&to=now").status_code == 400
    assert client.get(f"/orgs/acme/sensors/{room}?range=2w").status_code == 400


def test_active_alarms_and_the_history_of_the_range(client: Client, db: Database) -> None:
    owner(client, db)
    room, other = sensor(client, "Room"), sensor(client, "Other")
    rule = {"name": "Too warm", "metric": "temperature", "condition": "above", "threshold": 25.0}
    api(client, "/v1/alarm-rules", {**rule, "severity": "critical"})
    t = now() - 3600
    points(client, room, [(t, 30.0), (t + 60, 20.0), (t + 120, 31.0)])
    points(client, other, [(t, 40.0)])
    page = client.get(f"/orgs/acme/sensors/{room}").text
    active = page.split('id="active-title"')[1].split("</section>")[0]
    history = page.split('id="history-title"')[1].split("</section>")[0]
    values = re.compile(r'data-label="Value">([^<]+)<')
    assert values.findall(active) == ["31"]  # its own open alarm, not Other's (40)
    assert values.findall(history) == ["31", "30"] and ">active<" in history  # newest first


def test_another_organizations_sensor_is_not_found(client: Client, db: Database) -> None:
    add_user(db, "ann@globex.example", "globex")
    console_login(client, "ann@globex.example")
    theirs = sensor(client, "Theirs")
    client.cookies.clear()
    add_user(db, "owner@acme.example", "acme")
    add_user(db, "owner@acme.example", "globex", "viewer")  # a member of both: still not under acme's URL
    console_login(client, "owner@acme.example")
    assert client.get(f"/orgs/globex/sensors/{theirs}").status_code == 200
    assert client.get(f"/orgs/acme/sensors/{theirs}").status_code == 404
    assert "Theirs" not in client.get("/orgs/acme/sensors").text
