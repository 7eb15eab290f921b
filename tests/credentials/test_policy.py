"""An organization's key policy (active keys per user, longest lifetime, plan): read by admins, set by owners,
through GET/PATCH /v1/organizations/{org}/settings and `sensorgate orgs set`."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import add_user, assert_error, login
from tests.credentials.test_keys_api import as_key, create

Client = TestClient[Litestar]
SETTINGS = "/v1/organizations/acme/settings"


def test_an_owner_reads_and_changes_the_policy_and_it_applies(owner: Client, app: Litestar) -> None:
    found = owner.get(SETTINGS)
    assert found.status_code == 200, found.text
    assert found.json() == {
        "organization": "acme",
        "maxActiveKeysPerUser": 5,
        "maxKeyLifetimeDays": 365,
        "plan": {},
        "effectivePlan": {"requests": 1_000_000, "window": "PT15M", "daily": None, "tokens": 15},
        "mayChange": True,
    }
    changed = owner.patch(
        SETTINGS,
        json={"maxActiveKeysPerUser": 2, "maxKeyLifetimeDays": 30, "plan": {"requests": 50, "window": "PT1M"}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["effectivePlan"] == {"requests": 50, "window": "PT1M", "daily": None, "tokens": 15}
    # The lifetime and the active-key limit hold for the next keys; the plan for every key of the organization.
    assert_error(owner.post("/v1/keys", json={"name": "long", "expiresIn": "6m"}), 400, "at most 30 days")
    key = create(owner, expiresIn="14d")
    create(owner, name="second", expiresIn="14d")
    assert_error(owner.post("/v1/keys", json={"name": "third", "expiresIn": "14d"}), 409, "2 active keys")
    with as_key(app, key["secret"]) as client:
        assert client.get("/v1/sensors").headers["ratelimit-policy"] == '"window";q=50;w=60'
    # A plan without fields goes back to the default.
    assert owner.patch(SETTINGS, json={"plan": {}}).json()["plan"] == {}


def test_admins_read_owners_change_members_and_strangers_do_not(owner: Client, app: Litestar, db: Any) -> None:
    add_user(db, "ada@acme.example", "acme", "admin")
    add_user(db, "max@acme.example", "acme", "member")
    add_user(db, "eve@evil.example", "evil", "owner")
    with TestClient(app=app, base_url="https://testserver.local") as admin:
        login(admin, "ada@acme.example")
        assert admin.get(SETTINGS).json()["mayChange"] is False
        assert_error(admin.patch(SETTINGS, json={"maxActiveKeysPerUser": 9}), 403, "org:own")
    with TestClient(app=app, base_url="https://testserver.local") as member:
        login(member, "max@acme.example")
        assert_error(member.get(SETTINGS), 403, "access:manage")
    with TestClient(app=app, base_url="https://testserver.local") as stranger:
        login(stranger, "eve@evil.example")
        assert_error(stranger.get(SETTINGS), 404)
        assert_error(stranger.patch(SETTINGS, json={"maxActiveKeysPerUser": 9}), 404)
    with TestClient(app=app) as anonymous:
        assert_error(anonymous.get(SETTINGS), 401)
    key = create(owner, scopes=["keys:write"])
    with as_key(app, key["secret"]) as client:
        assert_error(client.get(SETTINGS), 403)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"maxActiveKeysPerUser": 0}, "maxActiveKeysPerUser"),
        ({"maxActiveKeysPerUser": 1001}, "maxActiveKeysPerUser"),
        ({"maxKeyLifetimeDays": 3651}, "maxKeyLifetimeDays"),
        ({"plan": {"window": "P1Y"}}, "31 days"),
        ({"plan": {"hourly": 5}}, "hourly"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_settings_are_400_and_change_nothing(owner: Client, body: dict[str, Any], message: str) -> None:
    assert_error(owner.patch(SETTINGS, json=body), 400, message)
    assert owner.get(SETTINGS).json()["maxActiveKeysPerUser"] == 5
