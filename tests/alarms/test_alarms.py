"""Alarm rules, evaluation at ingest (backfill included) with hold times, active alarms and history."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import add_user, assert_error, login
from tests.measurements.conftest import backfill, make_sensor

Client = TestClient[Litestar]
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
RULE = {"name": "Too warm", "metric": "temperature", "condition": "above", "threshold": 25.0}


def rule(client: Client, **fields: Any) -> dict[str, Any]:
    body = {"name": "Too warm", "metric": "temperature", "condition": "above", "threshold": 25.0, **fields}
    response = client.post("/v1/alarm-rules", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def temperatures(client: Client, sensor: int, values: list[float], start: int = T0, step: int = 60) -> None:
    backfill(
        client,
        [
            {"sensor": sensor, "metric": "temperature", "time": start + step * i, "value": v}
            for i, v in enumerate(values)
        ],
    )


def alarms(client: Client, path: str = "/v1/alarms", **params: Any) -> list[dict[str, Any]]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def test_an_alarm_is_raised_and_resolved_by_backfilled_points(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    created = rule(owner, sensor=sensor, severity="critical")
    assert created["sensor"] == sensor and created["severity"] == "critical" and created["holdSeconds"] == 0
    temperatures(owner, sensor, [20, 26, 27, 24, 30])
    history = alarms(owner, **{"from": T0, "to": T0 + 3600})
    assert [(a["raisedAt"], a["resolvedAt"], a["value"]) for a in history] == [
        ("2026-01-01T00:04:00.000Z", None, 30.0),
        ("2026-01-01T00:01:00.000Z", "2026-01-01T00:03:00.000Z", 26.0),
    ]
    [active] = alarms(owner, "/v1/alarms/active")
    assert active["raisedAt"] == "2026-01-01T00:04:00.000Z" and active["ruleName"] == "Too warm"
    assert active["severity"] == "critical" and active["sensor"] == sensor and active["metric"] == "temperature"


def test_the_hold_time_must_pass_before_an_alarm(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    rule(owner, sensor=sensor, holdSeconds=120)
    temperatures(owner, sensor, [26, 26, 20])  # 60 s above: too short
    assert alarms(owner, "/v1/alarms/active") == []
    temperatures(owner, sensor, [26, 26, 26, 26], start=T0 + 600)  # 180 s above
    [active] = alarms(owner, "/v1/alarms/active")
    assert active["raisedAt"] == "2026-01-01T00:12:00.000Z"


def test_evaluation_continues_across_batches(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    rule(owner, sensor=sensor, condition="below", threshold=5.0, holdSeconds=60)
    temperatures(owner, sensor, [4.0])
    temperatures(owner, sensor, [4.5], start=T0 + 60)
    [raised] = alarms(owner, "/v1/alarms/active")
    assert raised["raisedAt"] == "2026-01-01T00:01:00.000Z"
    temperatures(owner, sensor, [6.0], start=T0 + 120)
    assert alarms(owner, "/v1/alarms/active") == []


def test_outside_band_device_group_and_workspace_rules(owner: Client) -> None:
    in_group = make_sensor(owner, "A", deviceGroup="cold-store")["id"]
    other = make_sensor(owner, "B")["id"]
    rule(owner, name="Band", condition="outside", threshold=None, low=2.0, high=8.0, deviceGroup="cold-store")
    rule(owner, name="Everywhere", threshold=100.0)
    temperatures(owner, in_group, [5.0, 9.0])
    temperatures(owner, other, [9.0, 101.0])
    found = {(a["sensor"], a["ruleName"]) for a in alarms(owner, "/v1/alarms/active")}
    assert found == {(in_group, "Band"), (other, "Everywhere")}
    assert [r["name"] for r in owner.get("/v1/alarm-rules").json()["items"]] == ["Band", "Everywhere"]


def test_rules_apply_to_virtual_series(owner: Client) -> None:
    source = make_sensor(owner)["id"]
    inputs = {"t": {"sensor": source, "metric": "temperature"}}
    virtual = owner.post(
        "/v1/sensors",
        json={"name": "double", "metrics": [{"metric": "heat", "unit": "u", "expression": "t * 2", "inputs": inputs}]},
    ).json()["id"]
    rule(owner, name="Hot", metric="heat", sensor=virtual, threshold=50.0)
    temperatures(owner, source, [20.0, 30.0])
    [active] = alarms(owner, "/v1/alarms/active")
    assert active["sensor"] == virtual and active["value"] == 60.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"condition": "above"}, "threshold"),
        ({"condition": "outside", "low": 5.0}, "low and high"),
        ({"condition": "outside", "threshold": None, "low": 5.0, "high": 1.0}, "below high"),
        ({"condition": "sideways"}, "condition"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"holdSeconds": -1}, "holdSeconds"),
        ({"metric": "Bad Metric"}, "metric"),
        ({"sensor": 1, "deviceGroup": "g"}, "not both"),
    ],
)
def test_bad_rules_are_400(owner: Client, body: dict[str, Any], message: str) -> None:
    make_sensor(owner)
    full = {"name": "r", "metric": "temperature", "condition": "above", "threshold": 1.0, **body}
    full = {k: v for k, v in full.items() if v is not None or k != "threshold"}
    if body.get("condition") == "above" and "threshold" not in body:
        full.pop("threshold")
    assert_error(owner.post("/v1/alarm-rules", json=full), 400, message)
    assert owner.get("/v1/alarm-rules").json()["items"] == []


def test_rule_on_a_missing_metric_or_group_is_400_or_404(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    assert_error(
        owner.post(
            "/v1/alarm-rules",
            json={"name": "r", "metric": "co2", "condition": "above", "threshold": 1, "sensor": sensor},
        ),
        400,
        "no metric",
    )
    body = {"name": "r", "metric": "co2", "condition": "above", "threshold": 1, "deviceGroup": "nope"}
    assert_error(owner.post("/v1/alarm-rules", json=body), 404)


def test_permissions_and_tenants(owner: Client, app: Litestar, db: Any) -> None:
    sensor = make_sensor(owner)["id"]
    created = rule(owner, sensor=sensor)
    temperatures(owner, sensor, [30.0])
    body = {"name": "x", "metric": "temperature", "condition": "above", "threshold": 1}
    add_user(db, "vic@acme.example", "acme", "viewer")
    with TestClient(app=app, base_url="https://testserver.local") as vic:
        login(vic, "vic@acme.example")
        assert len(alarms(vic, "/v1/alarms/active")) == 1  # viewers see alarms
        assert_error(vic.post("/v1/alarm-rules", json=body), 403)
        assert_error(vic.delete(f"/v1/alarm-rules/{created['id']}"), 403)
    add_user(db, "eve@evil.example", "evil")
    with TestClient(app=app, base_url="https://testserver.local") as eve:
        login(eve, "eve@evil.example")
        assert alarms(eve, "/v1/alarms/active") == [] and eve.get("/v1/alarm-rules").json()["items"] == []
        assert_error(eve.post("/v1/alarm-rules", json={**body, "sensor": sensor}), 404)
        assert_error(eve.delete(f"/v1/alarm-rules/{created['id']}"), 404)
    with TestClient(app=app) as anonymous:
        for path in ("/v1/alarm-rules", "/v1/alarms/active", "/v1/alarms"):
            assert_error(anonymous.get(path), 401)
    assert owner.delete(f"/v1/alarm-rules/{created['id']}").status_code == 204
    assert alarms(owner, "/v1/alarms/active") == []


def test_alarm_history_window_is_checked(owner: Client) -> None:
    assert_error(owner.get("/v1/alarms", params={"from": "soon"}), 400, "from")


def test_the_rule_cap_is_per_organization(
    owner: Client, app: Litestar, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One organization at its cap stops none other from making rules."""
    from sensorgate.alarms import service

    monkeypatch.setattr(service, "MAX_RULES_PER_ORGANIZATION", 3)
    for n in range(3):
        rule(owner, name=f"rule {n}")
    assert_error(owner.post("/v1/alarm-rules", json={**RULE, "name": "one too many"}), 409, "3 alarm rules")
    add_user(db, "bo@other.example", "other")
    with TestClient(app=app, base_url="https://testserver.local") as other:
        login(other, "bo@other.example")
        assert other.post("/v1/alarm-rules", json=RULE).status_code == 201


def test_alarm_windows_tile(owner: Client) -> None:
    """[from, to): an alarm active up to the instant it was resolved is not in a window that starts then."""
    sensor = make_sensor(owner)["id"]
    rule(owner, sensor=sensor)
    temperatures(owner, sensor, [20, 26, 24])  # raised at 00:01, resolved at 00:02
    assert len(alarms(owner, **{"from": T0 + 60, "to": T0 + 120})) == 1
    assert alarms(owner, **{"from": T0 + 120, "to": T0 + 180}) == []
    assert alarms(owner, **{"from": T0, "to": T0 + 60}) == []  # raised at the window's end: the next window's
