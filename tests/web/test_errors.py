"""Every error, ours or the framework's, comes back as the error object, with no internals."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from tests.conftest import add_user, assert_error, login

Client = TestClient[Litestar]


def test_unknown_route_is_404_with_the_error_object(client: Client) -> None:
    body = assert_error(client.get("/v1/nothing-here"), 404, "no such endpoint")
    assert body["path"] == "/v1/nothing-here"
    assert body["error"] == "Not Found"


def test_wrong_method_is_405_and_names_the_allowed_methods(client: Client) -> None:
    response = client.delete("/health")
    assert_error(response, 405, "allowed: GET")
    assert "GET" in response.headers["allow"]


def test_malformed_json_is_400(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    login(client, "ann@acme.example")
    response = client.post("/v1/workspaces", content=b'{"slug": "x",', headers={"Content-Type": "application/json"})
    assert_error(response, 400, "malformed JSON")


def test_wrong_type_is_400_naming_the_field(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    login(client, "ann@acme.example")
    body = assert_error(client.post("/v1/workspaces", json={"slug": 5, "name": "x"}), 400, "slug")
    assert body["details"] == [{"field": "slug", "source": "body", "message": "Expected `str`, got `int`"}]


def test_unknown_field_is_400(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    login(client, "ann@acme.example")
    assert_error(client.post("/v1/workspaces", json={"slug": "a", "name": "A", "colour": "red"}), 400, "colour")


def test_a_nul_character_is_never_a_500(client: Client, db: Any, database_url: str) -> None:
    add_user(db, "ann@acme.example", "acme")
    login(client, "ann@acme.example")
    listed = client.get("/v1/sensors", params={"asset": "\x00"})
    created = client.post("/v1/sensors", json={"name": "boiler\x00", "metrics": [{"metric": "co2"}]})
    if database_url.startswith("postgresql"):  # its text cannot hold U+0000; SQLite's can
        assert_error(listed, 400, "NUL character")
        assert_error(created, 400, "NUL character")
    else:
        assert (listed.status_code, created.status_code) == (200, 201)


def test_body_over_the_maximum_is_413_and_states_the_limit(client: Client) -> None:
    response = client.post("/v1/auth/login", content=b"x" * 20_000, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "16384 bytes")


def test_body_over_the_app_wide_maximum_is_413(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    login(client, "ann@acme.example")
    big = b'{"slug":"a","name":"' + b"x" * 1_100_000 + b'"}'
    response = client.post("/v1/workspaces", content=big, headers={"Content-Type": "application/json"})
    assert_error(response, 413, "maximum")


def test_unexpected_exception_is_500_without_internals(app: Litestar) -> None:
    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    app.register(boom)
    with TestClient(app=app) as client:
        response = client.get("/boom")
    body = assert_error(response, 500, "errorId")
    assert "secret internal detail" not in response.text
    assert "RuntimeError" not in response.text
    assert len(str(body["errorId"])) == 16


def test_request_id_is_echoed_in_header_and_error(client: Client) -> None:
    response = client.get("/missing", headers={"X-Request-Id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["requestId"] == "abc-123"


def test_a_request_id_is_made_when_none_or_a_malformed_one_is_given(client: Client) -> None:
    plain = client.get("/health")
    assert len(plain.headers["x-request-id"]) == 32
    hostile = client.get("/missing", headers={"X-Request-Id": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"
    assert hostile.json()["requestId"] == hostile.headers["x-request-id"]


@pytest.mark.parametrize(
    ("traceparent", "continued"),
    [
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", True),
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", False),
        ("garbage", False),
    ],
)
def test_traceparent_is_honoured_when_valid(client: Client, traceparent: str, continued: bool) -> None:
    trace_id = client.get("/missing", headers={"traceparent": traceparent}).json()["traceId"]
    assert (trace_id == "4bf92f3577b34da6a3ce929d0e0e4736") is continued
    assert len(trace_id) == 32
