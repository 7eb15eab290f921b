"""Editing a key, reissuing its secret with overlap, and renewing a key with itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.audit.models import audit_events
from sensorgate.kit.times import iso, utcnow
from tests.conftest import assert_error
from tests.credentials.test_keys_api import as_key, create

Client = TestClient[Litestar]


def test_edit_changes_only_the_mutable_fields(owner: Client) -> None:
    key = create(owner)
    response = owner.patch(
        f"/v1/keys/{key['id']}",
        json={"name": "renamed", "description": "d", "owner": "Ops", "email": "ops@acme.example", "canRenew": True,
              "lifetimeDays": 30},
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["description"], body["owner"], body["email"]) == (
        "renamed",
        "d",
        "Ops",
        "ops@acme.example",
    )
    assert body["canRenew"] is True and body["lifetimeDays"] == 30
    assert body["scopes"] == key["key"]["scopes"]


@pytest.mark.parametrize(
    "field", [{"scopes": ["data:write"]}, {"workspaces": [1]}, {"deviceGroup": 1}, {"ipAllowlist": []}]
)
def test_editing_what_a_key_may_do_is_422(owner: Client, field: dict[str, Any]) -> None:
    key = create(owner)
    assert_error(owner.patch(f"/v1/keys/{key['id']}", json={"name": "x", **field}), 422, "create a new key")
    assert owner.get(f"/v1/keys/{key['id']}").json()["name"] == "integration"


@pytest.mark.parametrize(
    ("body", "status"), [({"colour": "red"}, 400), ({"lifetimeDays": 0}, 400), ({"lifetimeDays": 400}, 400)]
)
def test_bad_edits(owner: Client, body: dict[str, Any], status: int) -> None:
    key = create(owner)
    assert_error(owner.patch(f"/v1/keys/{key['id']}", json=body), status)
    assert_error(owner.patch("/v1/keys/9999", json={"name": "x"}), 404)


def test_reissue_keeps_the_old_secret_until_its_own_expiry(owner: Client, app: Litestar) -> None:
    key = create(owner)
    response = owner.post(f"/v1/keys/{key['id']}/reissue")
    assert response.status_code == 201
    fresh = response.json()
    assert fresh["id"] == key["id"] and fresh["secret"] != key["secret"] and len(fresh["key"]["secrets"]) == 2
    for secret in (key["secret"], fresh["secret"]):
        with as_key(app, secret) as client:
            assert client.get("/v1/sensors").status_code == 200


def test_reissue_with_a_cut_off_for_the_old_secret(owner: Client, app: Litestar, db: Any) -> None:
    key = create(owner)
    cut = iso(utcnow() + timedelta(hours=2))
    fresh = owner.post(f"/v1/keys/{key['id']}/reissue", json={"oldSecretExpiresAt": cut}).json()
    old, new = fresh["key"]["secrets"]
    assert old["expiresAt"] == cut and new["expiresAt"] > cut
    assert_error(owner.post(f"/v1/keys/{key['id']}/reissue", json={"oldSecretExpiresAt": "2020-01-01"}), 400, "past")
    owner.post(f"/v1/keys/{key['id']}/revoke")
    assert_error(owner.post(f"/v1/keys/{key['id']}/reissue"), 409, "revoked")
    actions = db.read_sync(lambda c: [r.action for r in c.execute(sa.select(audit_events).order_by("id"))])
    assert actions == ["created", "reissued", "revoked"]


def test_renew_with_a_renewable_key(owner: Client, app: Litestar) -> None:
    renewable = create(owner, canRenew=True, expiresIn="7d")
    with as_key(app, renewable["secret"]) as client:
        response = client.get("/v1/token/renew")
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("sgk_") and body["token"] != renewable["secret"]
    assert body["expiresAt"] > renewable["key"]["expiresAt"]
    with as_key(app, body["token"]) as client:
        assert client.get("/v1/sensors").status_code == 200


def test_renew_is_refused_without_can_renew_or_without_a_key(owner: Client, app: Litestar) -> None:
    fixed = create(owner)
    with as_key(app, fixed["secret"]) as client:
        assert_error(client.get("/v1/token/renew"), 403, "canRenew")
    assert_error(owner.get("/v1/token/renew"), 403, "API key")
    with TestClient(app=app) as anonymous:
        assert_error(anonymous.get("/v1/token/renew"), 401)


def test_a_revoked_key_is_read_only(owner: Client) -> None:
    key = create(owner)["key"]
    assert owner.post(f"/v1/keys/{key['id']}/revoke").status_code == 200
    assert_error(owner.patch(f"/v1/keys/{key['id']}", json={"name": "again"}), 409, "a revoked key is read-only")
    assert owner.get(f"/v1/keys/{key['id']}").json()["name"] == key["name"]


def test_the_log_keeps_one_kind_of_event(owner: Client, app: Litestar) -> None:
    created = create(owner)
    key_id = created["key"]["id"]
    owner.patch(f"/v1/keys/{key_id}", json={"owner": "ops"})
    with as_key(app, created["secret"]) as key:
        assert key.get("/v1/sensors").status_code == 200
    events = lambda **query: [e["event"] for e in owner.get(f"/v1/keys/{key_id}/log", params=query).json()["items"]]  # noqa: E731
    assert events() == ["created", "edited", "used"]
    assert events(event="edited") == ["edited"]
    assert events(event="used") == ["used"]
    assert events(event="refused") == []
    assert_error(owner.get(f"/v1/keys/{key_id}/log", params={"event": "nonsense"}), 400, "event is one of created")
    csv = owner.get(f"/v1/keys/{key_id}/log", params={"event": "created", "format": "csv"}).text.splitlines()
    assert [line.split(",")[1] for line in csv[1:]] == ["created"]
