"""JSON the decoder cannot take, for the client's fault, is a 400 naming the fault on every endpoint, and nothing
is written: nesting deeper than the decoder's limit, and invalid UTF-8 inside a string."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import assert_error
from tests.measurements.conftest import make_sensor
from tests.measurements.conftest import owner as owner  # the fixture

Client = TestClient[Litestar]
DEEP = "[" * 1000 + "]" * 1000
# 1,000 levels of objects: the 7 KB body of the probe.
DEEP_OBJECTS = '{"a":' * 1000 + "1" + "}" * 1000
BODIES = {
    "nested arrays": DEEP.encode(),
    "nested objects": DEEP_OBJECTS.encode(),
    "nested in a known field": f'{{"name": {DEEP}}}'.encode(),
    "nested in an unknown field": f'{{"name": "k", "x": {DEEP}}}'.encode(),
    "nested in a map": f'{{"name": "k", "units": {{"a": {DEEP}}}}}'.encode(),
    "invalid UTF-8": b'{"name": "\xff\xfe"}',
    "invalid UTF-8 in a key": b'{"na\xc3me": "k"}',
}
JSON = {"Content-Type": "application/json"}


def test_malformed_json_is_a_400_and_writes_nothing(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    key = owner.post("/v1/keys", json={"name": "k"}).json()["id"]
    before = {path: owner.get(path).json() for path in ("/v1/keys", "/v1/sensors", "/v1/workspaces")}
    for name, body in BODIES.items():
        for method, path in [
            ("POST", "/v1/keys"),
            ("PATCH", f"/v1/keys/{key}"),
            ("POST", "/v1/sensors"),
            ("PATCH", f"/v1/sensors/{sensor}"),
            ("POST", "/v1/workspaces"),
            ("POST", "/v1/measurements"),
            ("POST", "/v1/auth/login"),
        ]:
            response = owner.request(method, path, content=body, headers=JSON)
            assert response.status_code == 400, (name, method, path, response.text)
            assert_error(response, 400)
    assert {path: owner.get(path).json() for path in before} == before


def test_the_message_says_what_is_wrong(owner: Client) -> None:
    assert_error(owner.post("/v1/keys", content=BODIES["nested arrays"], headers=JSON), 400, "nested too deeply")
    assert_error(owner.post("/v1/keys", content=BODIES["invalid UTF-8"], headers=JSON), 400, "not valid UTF-8")
    backfill = f'{{"items": [{{"sensor": 1, "metric": "temperature", "value": {DEEP}}}]}}'
    assert_error(owner.post("/v1/measurements", content=backfill, headers=JSON), 400, "nested too deeply")
