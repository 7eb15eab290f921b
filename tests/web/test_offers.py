"""What each endpoint offers: OPTIONS lists every method of its path in Allow, and a request whose Accept allows
none of its media types is a 406."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from tests.conftest import assert_error
from tests.measurements.conftest import owner as owner  # the fixture

Client = TestClient[Litestar]


def test_options_lists_every_method_of_every_path(app: Litestar, client: Client) -> None:
    routes = [route for route in app.routes if isinstance(route, HTTPRoute)]
    assert len(routes) > 40
    for route in routes:
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        response = client.options(path)
        assert response.status_code == 204, path
        assert response.headers["allow"] == ", ".join(sorted(route.methods)), path


def test_options_and_405_agree(client: Client) -> None:
    assert client.options("/v1/keys").headers["allow"] == "GET, OPTIONS, POST"
    assert client.options("/v1/sensors/1").headers["allow"] == "DELETE, GET, OPTIONS, PATCH"
    assert set(client.put("/v1/keys").headers["allow"].split(", ")) == {"GET", "OPTIONS", "POST"}


REFUSED = [
    "application/xml",
    "text/html",
    "text/csv",  # offered by the key log only
    "application/json;q=0",
    "application/xml, */*;q=0",
    "image/*",
    ", ".join(["text/x-a"] * 32 + ["application/json"]),  # only the first 32 ranges are read
]
ACCEPTED = [
    None,
    "*/*",
    "application/*",
    "application/json",
    "application/json; charset=utf-8",
    "application/xml;q=1, application/json;q=0.1",
    "text/csv;q=0.5, application/json;q=0.9",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
]


def test_an_accept_that_excludes_json_is_406_with_the_error_object(owner: Client) -> None:
    for accept in REFUSED:
        for path in ("/v1/sensors", "/v1/measurements/latest", "/health", "/v1/keys/usage"):
            body = assert_error(owner.get(path, headers={"Accept": accept}), 406, "application/json")
            assert body["error"] == "Not Acceptable"
    for accept in ACCEPTED:
        headers = {"Accept": accept} if accept else {}
        response = owner.get("/v1/sensors", headers=headers)
        assert response.status_code == 200, (accept, response.text)


def test_a_refused_write_writes_nothing(owner: Client) -> None:
    assert_error(owner.post("/v1/keys", json={"name": "k"}, headers={"Accept": "application/xml"}), 406)
    assert owner.get("/v1/keys").json()["items"] == []


def test_the_key_log_offers_csv_too(owner: Client) -> None:
    key = owner.post("/v1/keys", json={"name": "k"}).json()["id"]
    path = f"/v1/keys/{key}/log"
    assert owner.get(path, params={"format": "csv"}, headers={"Accept": "text/csv"}).status_code == 200
    assert owner.get(path, headers={"Accept": "text/*"}).status_code == 200
    assert_error(owner.get(path, headers={"Accept": "application/xml"}), 406, "text/csv")


def test_pages_documents_and_files_answer_what_they_are(client: Client) -> None:
    html = {"Accept": "text/html"}
    assert client.get("/login", headers=html).status_code == 200
    assert client.get("/docs", headers=html).status_code == 200
    assert client.get("/console/static/console.css", headers={"Accept": "text/css"}).status_code == 200
    for path in ("/openapi.json", "/docs/openapi.json"):
        assert client.get(path, headers={"Accept": "application/json"}).status_code == 200, path
    prometheus = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4"
    assert client.get("/metrics", headers={"Accept": prometheus}).status_code == 200
    assert client.get("/login", headers={"Accept": "application/json"}).status_code == 406
