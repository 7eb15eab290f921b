"""Ardexa's token renewal, and SENSORGATE_DIALECTS turning dialects off."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.app import create_app
from sensorgate.settings import SettingsError, load_settings
from tests.conftest import add_user, assert_error, login, make_settings
from tests.dialects.conftest import Client, make_key


@pytest.fixture
def owner(client: Client, db: object) -> Client:
    add_user(db, "ann@acme.example", "acme", "owner")  # type: ignore[arg-type]
    login(client, "ann@acme.example")
    return client


def bare(app: Litestar, **headers: str) -> Client:
    client = TestClient(app=app, base_url="https://testserver.local")
    client.headers.update(headers)
    return client


@pytest.mark.parametrize("header", ["authorization", "bearer"])
def test_ardexa_renews_with_either_header(owner: Client, app: Litestar, header: str) -> None:
    key = make_key(owner, canRenew=True, expiresIn="7d")
    value = f"bearer {key['secret']}" if header == "authorization" else key["secret"]
    response = bare(app, **{header: value}).get("/api/v1/token/renew")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token"].startswith("sgk_") and body["token"] != key["secret"]
    # The new token works on /v1 like any key, and the renewal is in the key's log.
    assert bare(app, **{"X-API-Key": body["token"]}).get("/v1/sensors").status_code == 200
    events = [e["event"] for e in owner.get(f"/v1/keys/{key['id']}/log").json()["items"]]
    assert "renewed" in events


def test_ardexa_renewal_refusals(owner: Client, app: Litestar) -> None:
    assert_error(bare(app).get("/api/v1/token/renew"), 401)
    assert_error(bare(app, bearer="sgk_not-a-key").get("/api/v1/token/renew"), 401)
    fixed = make_key(owner)  # without canRenew
    assert_error(bare(app, bearer=fixed["secret"]).get("/api/v1/token/renew"), 403, "renew")


def test_the_bearer_header_counts_only_where_ardexa_sends_it(owner: Client, app: Litestar) -> None:
    key = make_key(owner)
    assert_error(bare(app, bearer=key["secret"]).get("/v1/sensors"), 401)


def test_dialects_can_be_turned_off(database_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(database_url, tmp_path, dialects="ardexa"))
    with TestClient(app=app) as client:
        assert_error(client.get("/api/v1/sensors", headers={"ApiKey": "sgk_x"}), 404, "no such endpoint")
        assert client.get("/api/v1/token/renew").status_code == 401  # ardexa is still on
        paths = client.get("/docs/openapi.json").json()["paths"]
        assert "/api/v1/token/renew" in paths and "/api/v1/sensors" not in paths
    app = create_app(make_settings(database_url, tmp_path, dialects=""))
    with TestClient(app=app) as client:
        assert client.get("/api/v1/token/renew").status_code == 404


def test_an_unknown_dialect_refuses_to_start() -> None:
    with pytest.raises(SettingsError, match="unknown dialect ayyekka; the dialects are"):
        load_settings({"SENSORGATE_DIALECTS": "aranet,ayyekka", "SENSORGATE_MODE": "dev"})


def test_each_dialect_has_its_own_tag_in_the_openapi_document(client: Client) -> None:
    paths = client.get("/docs/openapi.json").json()["paths"]
    assert paths["/api/v1/sensors"]["get"]["tags"] == ["aranet"]
    assert paths["/api/v1/measurements/history"]["get"]["operationId"] == "aranetMeasurementsHistory"
    assert paths["/api/v1/token/renew"]["get"]["tags"] == ["ardexa"]
