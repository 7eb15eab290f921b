"""The setup pages (virtual sensors, alarm rules, assets, device groups): listed for every member, created with
sensors:write through the API's services, errors in the API's words next to their field, 403, 404 across tenants."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from sensorgate.db.engine import Database
from tests.conftest import add_user
from tests.console.helpers import Client, console_login, field_errors, submit
from tests.console.test_access import workspace_id

PAGES = ["virtual-sensors", "alarm-rules", "assets", "device-groups"]


def owner_with_sensor(client: Client, db: Database) -> tuple[int, int]:
    """An owner of acme logged in to the console, and a sensor with temperature and humidity."""
    add_user(db, "owner@acme.example", "acme")
    console_login(client, "owner@acme.example")
    workspace = workspace_id(client, "acme")
    body = {"name": "Room 1", "metrics": [{"metric": "temperature"}, {"metric": "humidity"}], "deviceGroup": "floor-1"}
    made = client.post("/v1/sensors", json=body, headers={"X-CSRF-Token": client.cookies["sg_csrf"]})
    assert made.status_code == 201, made.text
    return workspace, made.json()["id"]


def virtual_form(workspace: int, sensor: int, /, **fields: Any) -> dict[str, Any]:
    return {"name": "Dew point", "workspace": str(workspace), "metric": "dew_point", "unit": "°C",
            "expression": "t - (100 - rh) / 5", "inputs": f"t={sensor}/temperature\nrh={sensor}/humidity",
            **fields}  # fmt: skip


def test_a_virtual_sensor_is_created_and_listed(client: Client, db: Database) -> None:
    workspace, sensor = owner_with_sensor(client, db)
    done = submit(client, "/orgs/acme/virtual-sensors", virtual_form(workspace, sensor))
    assert done.status_code == 303 and done.headers["location"] == "/orgs/acme/virtual-sensors?done=virtual-created"
    page = client.get(done.headers["location"]).text
    assert "Virtual sensor created." in page
    assert re.search(r"Dew point <span[^>]*>#\d+</span></td>\s*<td[^>]*><code>dew_point</code> \(°C\)", page)
    # The API sees the same sensor, its metric computed.
    found = [s for s in client.get("/v1/sensors").json()["items"] if s["name"] == "Dew point"]
    assert found[0]["metrics"] == [{"metric": "dew_point", "unit": "°C", "virtual": True}]
    assert "Room 1" not in page.split("Series you can use")[0]  # a plain sensor is not listed as virtual


@pytest.mark.parametrize(
    ("fields", "status", "field", "words"),
    [
        ({"expression": "t +* rh"}, 400, "expression", "metric 'dew_point': invalid expression"),
        ({"expression": "t + x"}, 400, "expression", "unknown variable 'x'"),
        ({"expression": "__import__('os')"}, 400, "expression", "unknown function '__import__'"),
        ({"inputs": "t=999/temperature\nrh=999/humidity"}, 400, "inputs", "no such input series in this workspace"),
        ({"inputs": "t=temperature"}, 400, "inputs", "write one name=sensor/metric per line"),
        ({"metric": "Dew Point"}, 400, "metric", "not a valid metric name"),
        ({"name": "  "}, 400, "name", "name must not be empty"),
        ({"workspace": "424242"}, 404, "", "workspace 424242 not found"),
    ],
)
def test_a_bad_virtual_sensor_shows_the_api_error(
    client: Client, db: Database, fields: dict[str, str], status: int, field: str, words: str
) -> None:
    workspace, sensor = owner_with_sensor(client, db)
    form = virtual_form(workspace, sensor, **fields)
    page = submit(client, "/orgs/acme/virtual-sensors", form)
    assert page.status_code == status
    assert words in field_errors(page.text)[field]
    assert f'value="{form["expression"]}"' in html.unescape(page.text)  # the form keeps what was typed
    assert client.get("/v1/sensors").json()["totalItems"] == 1  # nothing half-made


def test_the_console_and_the_api_refuse_an_expression_alike(client: Client, db: Database) -> None:
    workspace, sensor = owner_with_sensor(client, db)
    page = submit(client, "/orgs/acme/virtual-sensors", virtual_form(workspace, sensor, expression="t ** 100"))
    metric = {"metric": "dew_point", "unit": "°C", "expression": "t ** 100", "inputs": {"t": {"sensor": sensor,
              "metric": "temperature"}, "rh": {"sensor": sensor, "metric": "humidity"}}}  # fmt: skip
    api = client.post("/v1/sensors", json={"name": "Dew point", "workspaceId": workspace, "metrics": [metric]},
                      headers={"X-CSRF-Token": client.cookies["sg_csrf"]})  # fmt: skip
    assert api.status_code == page.status_code == 400
    assert field_errors(page.text)["expression"] == api.json()["message"]


def test_an_alarm_rule_is_created_and_listed(client: Client, db: Database) -> None:
    workspace, sensor = owner_with_sensor(client, db)
    form = {"name": "Too hot", "metric": "temperature", "condition": "above", "threshold": "30", "hold": "60",
            "severity": "critical", "watch": "sensor", "sensor": str(sensor), "workspace": str(workspace)}  # fmt: skip
    done = submit(client, "/orgs/acme/alarm-rules", form)
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert "Alarm rule created." in page and "<code>temperature</code> above 30.0" in page
    group = {**form, "name": "Floor cold", "condition": "below", "threshold": "5", "watch": "group",
             "device_group": "floor-1"}  # fmt: skip
    assert submit(client, "/orgs/acme/alarm-rules", group).status_code == 303
    rules = client.get("/v1/alarm-rules").json()["items"]
    assert [(r["name"], r["sensor"], r["deviceGroup"]) for r in rules] == [
        ("Too hot", sensor, None),
        ("Floor cold", None, "floor-1"),
    ]


@pytest.mark.parametrize(
    ("fields", "status", "field", "words"),
    [
        ({"condition": "outside", "low": "10", "high": "5", "threshold": ""}, 400, "low", "low must be below high"),
        ({"condition": "outside", "threshold": "5"}, 400, "", "an 'outside' rule takes low and high"),
        ({"threshold": ""}, 400, "", "an 'above' rule takes threshold"),
        ({"threshold": "hot"}, 400, "threshold", "Expected `float | null`"),
        ({"threshold": "nan"}, 400, "", "thresholds must be finite numbers"),
        ({"metric": "co2"}, 400, "metric", "has no metric 'co2'"),
        ({"hold": "999999999"}, 400, "holdSeconds", "<= 604800"),
        ({"sensor": "424242"}, 404, "sensor", "sensor 424242 not found"),
        ({"watch": "group", "device_group": "nope"}, 404, "deviceGroup", "device group 'nope' not found"),
    ],
)
def test_a_bad_rule_shows_the_api_error(
    client: Client, db: Database, fields: dict[str, str], status: int, field: str, words: str
) -> None:
    workspace, sensor = owner_with_sensor(client, db)
    form = {"name": "Rule", "metric": "temperature", "condition": "above", "threshold": "30", "hold": "0",
            "severity": "warning", "watch": "sensor", "sensor": str(sensor), "workspace": str(workspace),
            **fields}  # fmt: skip
    page = submit(client, "/orgs/acme/alarm-rules", form)
    assert page.status_code == status, page.text
    errors = field_errors(page.text)
    assert words in errors.get(field, ""), errors
    assert client.get("/v1/alarm-rules").json()["items"] == []


@pytest.mark.parametrize(("tab", "api"), [("assets", "/v1/assets"), ("device-groups", "/v1/device-groups")])
def test_an_asset_and_a_group_are_created_and_a_taken_name_refused(
    client: Client, db: Database, tab: str, api: str
) -> None:
    workspace, _ = owner_with_sensor(client, db)
    done = submit(client, f"/orgs/acme/{tab}", {"name": "Boiler", "workspace": str(workspace)})
    assert done.status_code == 303
    assert "Boiler" in client.get(done.headers["location"]).text
    again = submit(client, f"/orgs/acme/{tab}", {"name": "Boiler", "workspace": str(workspace)})
    assert again.status_code == 409
    assert "named 'Boiler' exists in this workspace" in field_errors(again.text)["name"]
    assert [x["name"] for x in client.get(api).json()["items"]].count("Boiler") == 1


@pytest.mark.parametrize("tab", PAGES)
def test_a_viewer_reads_but_cannot_create(client: Client, db: Database, tab: str) -> None:
    workspace, sensor = owner_with_sensor(client, db)
    add_user(db, "viewer@acme.example", "acme", "viewer")
    client.cookies.clear()
    console_login(client, "viewer@acme.example")
    page = client.get(f"/orgs/acme/{tab}")
    assert page.status_code == 200
    assert "needs the sensors:write permission" in page.text
    assert f'<form method="post" action="/orgs/acme/{tab}"' not in page.text
    posted = submit(client, f"/orgs/acme/{tab}", {**virtual_form(workspace, sensor), "threshold": "1",
                                                  "watch": "workspace", "condition": "above",
                                                  "metric": "temperature"})  # fmt: skip
    assert posted.status_code == 403
    assert "sensors:write" in field_errors(posted.text)[""]


@pytest.mark.parametrize("tab", PAGES)
def test_another_tenant_is_404_and_no_session_goes_to_login(client: Client, db: Database, tab: str) -> None:
    workspace, sensor = owner_with_sensor(client, db)
    add_user(db, "eve@evil.example", "evil")
    client.cookies.clear()
    assert client.get(f"/orgs/acme/{tab}", follow_redirects=False).headers["location"].startswith("/login?next=")
    console_login(client, "eve@evil.example")
    assert client.get(f"/orgs/acme/{tab}").status_code == 404
    assert submit(client, f"/orgs/acme/{tab}", virtual_form(workspace, sensor)).status_code == 404
    # Eve's own pages do not show acme's things, and her form cannot reach acme's workspace.
    assert "Room 1" not in client.get("/orgs/evil/virtual-sensors").text
    refused = submit(client, f"/orgs/evil/{tab}", {**virtual_form(workspace, sensor), "threshold": "1",
                                                   "watch": "workspace", "condition": "above",
                                                   "metric": "temperature"})  # fmt: skip
    assert refused.status_code == 404


@pytest.mark.parametrize("tab", PAGES)
def test_a_form_without_csrf_or_too_large_changes_nothing(client: Client, db: Database, tab: str) -> None:
    workspace, sensor = owner_with_sensor(client, db)
    no_token = client.post(f"/orgs/acme/{tab}", data=virtual_form(workspace, sensor), follow_redirects=False)
    assert no_token.status_code == 403
    assert submit(client, f"/orgs/acme/{tab}", {"name": "x" * 17_000}).status_code == 413
    assert client.get("/v1/sensors").json()["totalItems"] == 1
    assert client.get("/v1/alarm-rules").json()["items"] == []
