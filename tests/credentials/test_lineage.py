"""Keys made by keys stay inside the key that made them, for their whole life (docs/api.md, "Keys made by keys")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.credentials.models import credential_secrets, credentials
from sensorgate.db.engine import Database
from sensorgate.kit.times import iso, utcnow
from tests.conftest import assert_error
from tests.credentials.test_keys_api import as_key, create
from tests.kit.test_proxies import behind

Client = TestClient[Litestar]
MAKER = ["data:read", "keys:read", "keys:write", "usage:read", "audit:read"]


def expiry(key: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(key["expiresAt"].replace("Z", "+00:00"))


def make(client: Client, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/keys", json={"name": "child", **fields})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def cut_to(db: Database, key_id: int, days: float) -> datetime:
    """Time passes for one key: its secrets now expire `days` from now."""
    at = utcnow() + timedelta(days=days)
    db.write_sync(
        lambda conn: conn.execute(
            sa.update(credential_secrets).where(credential_secrets.c.credential_id == key_id).values(expires_at=at)
        )
    )
    return at


def test_a_child_never_outlives_its_parent_through_edit_reissue_or_renew(owner: Client, app: Litestar, db: Any) -> None:
    parent = create(owner, scopes=MAKER, expiresIn="7d", canRenew=True)
    with as_key(app, parent["secret"]) as as_parent:
        child = make(as_parent, expiresAt=iso(utcnow() + timedelta(days=6)), canRenew=True)
        # Asking a longer lifetime for later secrets is refused, whoever asks.
        assert_error(as_parent.patch(f"/v1/keys/{child['id']}", json={"lifetimeDays": 365}), 403, "outlive")
        assert_error(owner.patch(f"/v1/keys/{child['id']}", json={"lifetimeDays": 365}), 403, "outlive")
        # Five days later the parent has two days left, and the child one: a reissue of the child, by the parent
        # or by an owner, gives it a secret that stops with the parent, not six days later.
        parents_end = cut_to(db, parent["id"], 2)
        cut_to(db, child["id"], 1)
        reissued = as_parent.post(f"/v1/keys/{child['id']}/reissue")
        assert reissued.status_code == 201, reissued.text
        assert expiry(reissued.json()["key"]) <= parents_end
        by_owner = owner.post(f"/v1/keys/{child['id']}/reissue")
        assert expiry(by_owner.json()["key"]) <= parents_end
    # A child that may renew renews no further than its parent.
    with as_key(app, reissued.json()["secret"]) as as_child:
        renewed = as_child.get("/v1/token/renew")
    assert renewed.status_code == 200, renewed.text
    assert datetime.fromisoformat(renewed.json()["expiresAt"].replace("Z", "+00:00")) <= parents_end


def test_a_child_renews_only_if_its_parent_can(owner: Client, app: Litestar) -> None:
    parent = create(owner, scopes=MAKER, canRenew=False)
    with as_key(app, parent["secret"]) as as_parent:
        assert_error(as_parent.post("/v1/keys", json={"name": "c", "canRenew": True}), 403, "canRenew")
        child = make(as_parent)
        assert_error(as_parent.patch(f"/v1/keys/{child['id']}", json={"canRenew": True}), 403, "canRenew")
    assert_error(owner.patch(f"/v1/keys/{child['id']}", json={"canRenew": True}), 403, "canRenew")
    # The owner lets the parent renew: now its child may too.
    assert owner.patch(f"/v1/keys/{parent['id']}", json={"canRenew": True}).status_code == 200
    assert owner.patch(f"/v1/keys/{child['id']}", json={"canRenew": True}).json()["canRenew"] is True


def test_a_child_is_pinned_within_its_parent(owner: Client, app: Litestar) -> None:
    parent = create(owner, scopes=MAKER, ipAllowlist=["203.0.113.0/24"])
    with TestClient(app=behind(app, "203.0.113.7"), base_url="https://testserver.local") as near:  # type: ignore[arg-type]
        near.headers["X-API-Key"] = parent["secret"]
        inherited = make(near)
        assert inherited["key"]["ipAllowlist"] == ["203.0.113.0/24"]
        assert make(near, ipAllowlist=["203.0.113.0/25"])["key"]["ipAllowlist"] == ["203.0.113.0/25"]
        for wider in (["0.0.0.0/0"], ["198.51.100.0/24"], ["203.0.113.0/24", "::/0"]):
            assert_error(near.post("/v1/keys", json={"name": "c", "ipAllowlist": wider}), 403, "pinned within")
        # The inherited pin holds: the child works from the parent's network, not from elsewhere.
        near.headers["X-API-Key"] = inherited["secret"]
        assert near.get("/v1/sensors").status_code == 200
    with as_key(app, inherited["secret"]) as elsewhere:
        assert_error(elsewhere.get("/v1/sensors"), 403, "address")


def test_a_child_is_limited_no_looser_than_its_parent(owner: Client, app: Litestar) -> None:
    parent = create(owner, scopes=MAKER, limits={"requests": 5, "window": "PT1M", "daily": 100})
    with as_key(app, parent["secret"]) as as_parent:
        for looser, field in (
            ({"requests": 100}, "requests 100"),
            ({"requests": 3, "window": "PT30S"}, "window PT30S"),
            ({"daily": 1000}, "daily 1000"),
        ):
            assert_error(as_parent.post("/v1/keys", json={"name": "c", "limits": looser}), 403, field)
        unlimited = make(as_parent)
        narrower = make(as_parent, limits={"requests": 3, "window": "PT5M"})
    report = {item["key"]: item for item in owner.get("/v1/keys/usage").json()["items"]}
    # Without limits of its own, a child has its parent's plan; with narrower ones, its own.
    assert report[unlimited["id"]]["plan"] | {"tokens": 0} == {
        "requests": 5,
        "window": "PT1M",
        "daily": 100,
        "tokens": 0,
    }
    assert report[narrower["id"]]["plan"]["requests"] == 3 and report[narrower["id"]]["plan"]["window"] == "PT5M"
    with as_key(app, unlimited["secret"]) as as_child:
        statuses = [as_child.get("/v1/sensors").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_revoking_a_key_revokes_every_key_made_through_it(owner: Client, app: Litestar) -> None:
    parent = create(owner, scopes=MAKER)
    with as_key(app, parent["secret"]) as as_parent:
        child = make(as_parent, scopes=MAKER)
    with as_key(app, child["secret"]) as as_child:
        grandchild = make(as_child, scopes=["data:read"], kind="oauth_client")
        assert as_child.get("/v1/sensors").status_code == 200
    # The parent sees and manages its grandchild, not only its child.
    with as_key(app, parent["secret"]) as as_parent:
        listed = [k["id"] for k in as_parent.get("/v1/keys").json()["items"]]
        assert listed == [child["id"], grandchild["id"]]
        assert as_parent.get(f"/v1/keys/{grandchild['id']}").status_code == 200
    assert owner.post(f"/v1/keys/{parent['id']}/revoke").status_code == 200
    with as_key(app, child["secret"]) as as_child:
        assert_error(as_child.get("/v1/sensors"), 401, "revoked")
    token = TestClient(app=app).post(
        "/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(grandchild["publicId"], grandchild["secret"]),
    )
    assert_error(token, 401, "revoked")
    keys = {k["id"]: k for k in owner.get("/v1/keys?includeRevoked=true").json()["items"]}
    assert all(keys[k]["revokedAt"] for k in (parent["id"], child["id"], grandchild["id"]))
    for made in (child, grandchild):
        log = owner.get(f"/v1/keys/{made['id']}/log").json()["items"]
        revoked = [entry for entry in log if entry["event"] == "revoked"]
        assert [entry["details"] for entry in revoked] == [{"revokedWith": parent["id"]}]


def test_a_child_of_a_key_revoked_before_the_cascade_is_refused(owner: Client, app: Litestar, db: Any) -> None:
    """Keys made before revocations cascaded: the child of a key revoked without its children stops working."""
    parent = create(owner, scopes=MAKER)
    with as_key(app, parent["secret"]) as as_parent:
        child = make(as_parent)
    db.write_sync(
        lambda conn: conn.execute(
            sa.update(credentials).where(credentials.c.id == parent["id"]).values(revoked_at=utcnow())
        )
    )
    with as_key(app, child["secret"]) as as_child:
        assert_error(as_child.get("/v1/sensors"), 401, "revoked")
