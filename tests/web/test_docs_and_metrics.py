"""OpenAPI document, Swagger UI from the installed package, and Prometheus metrics."""

from __future__ import annotations

import re
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.app import create_app
from sensorgate.auth.refusals import Refusal
from tests.conftest import assert_error, make_settings

Client = TestClient[Litestar]


def test_openapi_document_is_3_1_and_lists_the_endpoints(client: Client) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    for path in ("/health", "/v1/auth/login", "/v1/me", "/v1/workspaces", "/v1/organizations/{org}/members"):
        assert path in document["paths"], path
    # Route docstrings become descriptions for integrators.
    assert "CSRF" in document["paths"]["/v1/auth/login"]["post"]["description"]


def test_docs_page_loads_nothing_from_a_cdn(client: Client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert not re.search(r"(src|href)=['\"]https?://", response.text)
    for asset in re.findall(r"(?:src|href)=['\"](/docs/assets/[^'\"]+)", response.text):
        assert client.get(asset).status_code == 200, asset


def test_metrics_count_requests_by_route_template_and_status(client: Client) -> None:
    client.get("/health")
    client.get("/v1/organizations/some-org/members")  # 401, and the slug must not become a label
    client.get("/no/such/route")
    text = client.get("/metrics").text
    assert re.search(r'sensorgate_http_requests_total\{method="GET",route="/health",status="200"\} \d', text)
    assert 'route="/v1/organizations/{org}/members",status="401"' in text
    assert 'route="<unmatched>",status="404"' in text
    assert "some-org" not in text
    assert "sensorgate_http_request_duration_seconds_bucket" in text


def test_the_refusal_metric_lists_every_reason_in_its_help(client: Client) -> None:
    text = client.get("/metrics").text
    help_line = next(line for line in text.splitlines() if line.startswith("# HELP sensorgate_key_refusals_total"))
    listed = help_line.split("(", 1)[1].rstrip(")").split(", ")
    assert sorted(listed) == sorted(reason.value for reason in Refusal)


def test_metrics_need_the_token_when_one_is_set(database_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(database_url, tmp_path, metrics_token="t" * 32))
    with TestClient(app=app) as client:
        assert_error(client.get("/metrics"), 401)
        ok = client.get("/metrics", headers={"Authorization": "Bearer " + "t" * 32})
    assert ok.status_code == 200
    assert "sensorgate_http_requests_total" in ok.text


def test_the_console_opens_on_its_login_page(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert str(response.url).endswith("/login")
    assert 'action="/login"' in response.text
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
