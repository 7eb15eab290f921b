"""Ids are 1 to 2,147,483,647, what an `integer` column holds on PostgreSQL: any other id, in a path, a query or
a body, is a 400 naming the field, never a 500, and nothing is written."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import assert_error
from tests.measurements.conftest import make_sensor
from tests.measurements.conftest import owner as owner  # the fixture

Client = TestClient[Litestar]
MAX_ID = 2**31 - 1
# 2^63 overflows SQLite's INTEGER; 2^31 is past PostgreSQL's; 0 and -1 name no row anywhere.
OUT_OF_RANGE = [2**63, 2**64 + 1, 2**31, 0, -1]

PATHS = [
    ("GET", "/v1/sensors/{id}"),
    ("PATCH", "/v1/sensors/{id}"),
    ("DELETE", "/v1/sensors/{id}"),
    ("GET", "/v1/keys/{id}"),
    ("PATCH", "/v1/keys/{id}"),
    ("POST", "/v1/keys/{id}/reissue"),
    ("POST", "/v1/keys/{id}/revoke"),
    ("DELETE", "/v1/keys/{id}"),
    ("GET", "/v1/keys/{id}/log"),
    ("DELETE", "/v1/alarm-rules/{id}"),
    ("PATCH", "/v1/organizations/acme/members/{id}"),
    ("DELETE", "/v1/organizations/acme/members/{id}"),
]


def test_an_id_out_of_range_in_a_path_is_400_and_the_largest_a_plain_404(owner: Client) -> None:
    for method, path in PATHS:
        body = {"role": "viewer"} if "members" in path else {"name": "x"}
        for bad in OUT_OF_RANGE:
            response = owner.request(method, path.format(id=bad), json=body if method == "PATCH" else None)
            assert_error(response, 400, "expected `int`")
        assert_error(owner.request(method, path.format(id=MAX_ID), json=body if method == "PATCH" else None), 404)


def test_an_id_out_of_range_in_sensor_or_workspace_id_is_400(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    for bad in OUT_OF_RANGE:
        for path in ("/v1/measurements", "/v1/measurements/latest", "/v1/measurements/aggregate"):
            assert_error(owner.get(path, params={"sensor": f"{sensor},{bad}"}), 400, f"sensor: ids are 1 to {MAX_ID}")
        body = assert_error(owner.get("/v1/sensors", params={"workspaceId": bad}), 400, "(at workspaceId)")
        assert body["details"][0]["field"] == "workspaceId"  # type: ignore[index]


def _key(**fields: Any) -> tuple[str, dict[str, Any]]:
    return "/v1/keys", {"name": "k", **fields}


def _sensor(**fields: Any) -> tuple[str, dict[str, Any]]:
    return "/v1/sensors", {"name": "s", "metrics": [{"metric": "temperature"}], **fields}


def _rule(**fields: Any) -> tuple[str, dict[str, Any]]:
    return "/v1/alarm-rules", {"name": "r", "metric": "temperature", "condition": "above", "threshold": 1, **fields}


def _virtual(sensor: int) -> tuple[str, dict[str, Any]]:
    inputs = {"t": {"sensor": sensor, "metric": "temperature"}}
    return _sensor(metrics=[{"metric": "temperature", "expression": "t", "inputs": inputs}])


BODIES = {
    "deviceGroup": lambda bad: _key(deviceGroup=bad),
    "workspaces": lambda bad: _key(workspaces=[bad]),
    "excludeWorkspaces": lambda bad: _key(allWorkspaces=True, excludeWorkspaces=[bad]),
    "workspaceId": lambda bad: _sensor(workspaceId=bad),
    "inputs": _virtual,
    "sensor": lambda bad: _rule(sensor=bad),
    "rule workspaceId": lambda bad: _rule(workspaceId=bad),
}


def test_an_id_out_of_range_in_a_body_is_400_and_nothing_is_written(owner: Client) -> None:
    for field, request in BODIES.items():
        for bad in OUT_OF_RANGE:
            path, body = request(bad)
            before = owner.get(path).json()
            assert_error(owner.post(path, json=body), 400, field.split()[-1])
            assert owner.get(path).json() == before, (field, bad)


def test_an_id_out_of_range_in_a_backfill_is_a_400_at_its_index(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    for bad in OUT_OF_RANGE:
        text = f"sensor,metric,value\n{sensor},temperature,1\n{bad},temperature,2\n"
        items = [
            {"sensor": sensor, "metric": "temperature", "value": 1},
            {"sensor": bad, "metric": "temperature", "value": 2},
        ]
        for response in (
            owner.post("/v1/measurements", content=text, headers={"Content-Type": "text/csv"}),
            owner.post("/v1/measurements", json={"items": items}),
        ):
            body = assert_error(response, 400, "nothing was written")
            expected = {"index": 1, "field": "sensor", "message": f"sensor must be an id from 1 to {MAX_ID}"}
            assert body["details"] == [expected]
    assert owner.get("/v1/measurements/latest", params={"sensor": sensor}).json()["items"] == []
