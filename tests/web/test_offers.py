"""What each endpoint offers: OPTIONS lists every method of its path in Allow."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

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
