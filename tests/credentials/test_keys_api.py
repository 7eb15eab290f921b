"""API keys over HTTP: create, use with every header, refusals, scopes, bindings, revoke, the active limit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.audit.models import audit_events
from sensorgate.credentials import service
from sensorgate.credentials.models import credential_secrets
from sensorgate.credentials.schemas import KeyIn
from sensorgate.kit.errors import ApiError
from sensorgate.kit.times import utcnow
from tests.conftest import add_user, assert_error, login
from tests.measurements.conftest import backfill, make_sensor

Client = TestClient[Litestar]


def create(client: Client, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/keys", json={"name": "integration", **fields})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def as_key(app: Litestar, secret: str, header: str = "X-API-Key") -> Client:
    client = TestClient(app=app, base_url="https://testserver.local")
    if secret:
        client.headers[header] = f"Bearer {secret}" if header == "Authorization" else secret
    return client


def test_create_returns_the_secret_once(owner: Client) -> None:
    created = create(owner, description="for the BMS", owner="Ops", email="ops@acme.example", scopes=["data:read"])
    assert created["secret"].startswith("sgk_") and len(created["secret"]) == 32
    key = created["key"]
    assert key["name"] == "integration" and key["scopes"] == ["data:read"] and key["workspaces"] == [1]
    assert key["secrets"][0]["prefix"] == created["secret"][:8]
    listed = owner.get("/v1/keys")
    assert [k["id"] for k in listed.json()["items"]] == [created["id"]]
    assert created["secret"] not in listed.text
    assert created["secret"] not in owner.get(f"/v1/keys/{created['id']}").text


@pytest.mark.parametrize("header", ["X-API-Key", "ApiKey", "Authorization"])
def test_a_key_works_in_every_header(owner: Client, app: Litestar, header: str) -> None:
    sensor = make_sensor(owner)["id"]
    secret = create(owner)["secret"]
    with as_key(app, secret, header) as client:
        assert client.get(f"/v1/sensors/{sensor}").status_code == 200
        me = client.get("/v1/me").json()
        assert me["auth"] == "api_key" and me["user"] is None and me["credential"] is not None


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("sgk_0000000000000000000000000000", "malformed"),
        ("not-a-key", "malformed"),
        ("", "authentication required"),
    ],
)
def test_malformed_keys_are_401(app: Litestar, secret: str, message: str) -> None:
    with as_key(app, secret) as client:
        response = client.get("/v1/sensors")
    assert_error(response, 401, message)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_malformed_key_never_touches_the_database(app: Litestar, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_database(*_: Any, **__: Any) -> None:
        raise AssertionError("the database was asked")

    monkeypatch.setattr(app.state.sensorgate.verifiers.api_keys.db, "read", no_database)
    with as_key(app, "sgk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") as client:
        assert_error(client.get("/v1/sensors"), 401, "malformed")


def test_an_unknown_key_is_401(app: Litestar) -> None:
    from sensorgate.kit import keys

    with as_key(app, keys.new_key()) as client:
        response = client.get("/v1/sensors")
    assert_error(response, 401, "unknown")
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_revoked_and_expired_keys_are_401(owner: Client, app: Litestar, db: Any) -> None:
    revoked, expired = create(owner), create(owner, name="second")
    with as_key(app, revoked["secret"]) as client:
        assert client.get("/v1/sensors").status_code == 200  # cached now: revocation must still win at once
        assert owner.post(f"/v1/keys/{revoked['id']}/revoke").status_code == 200
        assert_error(client.get("/v1/sensors"), 401, "revoked")
    db.write_sync(
        lambda conn: conn.execute(
            credential_secrets.update()
            .where(credential_secrets.c.credential_id == expired["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    )
    with as_key(app, expired["secret"]) as client:
        assert_error(client.get("/v1/sensors"), 401, "expired")


def test_two_different_credentials_at_once_are_401(owner: Client, app: Litestar) -> None:
    first, second = create(owner)["secret"], create(owner, name="b")["secret"]
    with as_key(app, first) as client:
        assert_error(client.get("/v1/sensors", headers={"ApiKey": second}), 401, "one credential")


def test_ip_allowlist(owner: Client, app: Litestar) -> None:
    # The test client's address is "testclient", which no network holds.
    secret = create(owner, ipAllowlist=["10.0.0.0/8"])["secret"]
    with as_key(app, secret) as client:
        assert_error(client.get("/v1/sensors"), 403, "address")


def test_scopes_are_enforced(owner: Client, app: Litestar) -> None:
    sensor = make_sensor(owner)["id"]
    reader = create(owner)["secret"]
    writer = create(owner, name="w", scopes=["data:write"])["secret"]
    point = {"items": [{"sensor": sensor, "metric": "temperature", "value": 1.0, "time": 1_767_225_600}]}
    with as_key(app, reader) as client:
        assert_error(client.post("/v1/measurements", json=point), 403, "data:write")
        assert_error(client.post("/v1/sensors", json={"name": "x", "metrics": [{"metric": "co2"}]}), 403)
        assert_error(client.get("/v1/keys"), 403)
    with as_key(app, writer) as client:
        assert client.post("/v1/measurements", json=point).json() == {"accepted": 1, "replaced": 0}
        assert_error(client.get("/v1/measurements", params={"sensor": sensor}), 403, "data:read")


def test_workspace_and_device_group_bindings(owner: Client, app: Litestar) -> None:
    assert owner.post("/v1/workspaces", json={"slug": "lab", "name": "Lab"}).status_code == 201
    in_group = make_sensor(owner, "A", deviceGroup="g1", workspaceId=1)["id"]
    outside_group = make_sensor(owner, "B", workspaceId=1)["id"]
    in_lab = make_sensor(owner, "C", workspaceId=2)["id"]
    bound = create(owner, workspaces=["acme"])["secret"]
    grouped = create(owner, name="g", workspaces=["acme"], deviceGroup="g1")["secret"]
    everywhere = create(owner, name="all", allWorkspaces=True)["secret"]
    but_lab = create(owner, name="nolab", allWorkspaces=True, excludeWorkspaces=["lab"])["secret"]
    for secret, seen in (
        (bound, {in_group, outside_group}),
        (grouped, {in_group}),
        (everywhere, {in_group, outside_group, in_lab}),
        (but_lab, {in_group, outside_group}),
    ):
        with as_key(app, secret) as client:
            assert {s["id"] for s in client.get("/v1/sensors").json()["items"]} == seen
            for sensor in {in_group, outside_group, in_lab} - seen:
                assert_error(client.get(f"/v1/sensors/{sensor}"), 404)
                assert_error(client.get("/v1/measurements/latest", params={"sensor": sensor}), 404)


def test_another_tenants_data_is_404_for_a_key(owner: Client, app: Litestar, db: Any) -> None:
    mine = make_sensor(owner)["id"]
    backfill(owner, [{"sensor": mine, "metric": "temperature", "value": 1.0, "time": 1_767_225_600}])
    add_user(db, "eve@evil.example", "evil")
    with TestClient(app=app, base_url="https://testserver.local") as eve:
        login(eve, "eve@evil.example")
        secret = create(eve)["secret"]
    with as_key(app, secret) as client:
        assert client.get("/v1/sensors").json()["items"] == []
        assert_error(client.get(f"/v1/sensors/{mine}"), 404)
        assert_error(client.get("/v1/measurements", params={"sensor": mine}), 404)


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"scopes": ["root"]}, 400, "unknown scope"),
        ({"expiresIn": "5y"}, 400, "expiresIn"),
        ({"expiresIn": "0d"}, 400, "Nd for N days (1 to 3650)"),
        ({"expiresIn": "3651d"}, 400, "Nd for N days (1 to 3650)"),
        ({"expiresIn": "400d"}, 400, "at most 365 days"),
        ({"expiresAt": "2020-01-01T00:00:00Z"}, 400, "future"),
        ({"expiresAt": "2099-01-01T00:00:00Z"}, 400, "at most 365 days"),
        ({"expiresIn": "1y", "expiresAt": "2099-01-01T00:00:00Z"}, 400, "not both"),
        ({"ipAllowlist": ["10.0.0.300/8"]}, 400, "ipAllowlist"),
        ({"workspaces": ["nope"]}, 404, "workspace"),
        ({"deviceGroup": "nope"}, 404, "device group"),
        ({"kind": "password"}, 400, "kind"),
        ({"units": {"temperature": "parsecs"}}, 400, "units"),
        ({"email": "not-an-email"}, 400, "email"),
        ({"excludeWorkspaces": ["acme"]}, 400, "allWorkspaces"),
    ],
)
def test_bad_create_requests(owner: Client, fields: dict[str, Any], status: int, message: str) -> None:
    assert_error(owner.post("/v1/keys", json={"name": "k", **fields}), status, message)
    assert owner.get("/v1/keys", params={"includeRevoked": "true"}).json()["items"] == []


def test_who_may_do_what(owner: Client, app: Litestar, db: Any) -> None:
    owners_key = create(owner)
    add_user(db, "vic@acme.example", "acme", "viewer")
    add_user(db, "mia@acme.example", "acme", "member")
    with TestClient(app=app, base_url="https://testserver.local") as vic:
        login(vic, "vic@acme.example")
        assert_error(vic.post("/v1/keys", json={"name": "k"}), 403)
        assert_error(vic.get("/v1/keys"), 403)
    assert (
        owner.patch("/v1/organizations/acme/members/3", json={"permissions": ["integrations:write"]}).status_code == 200
    )
    with TestClient(app=app, base_url="https://testserver.local") as mia:
        login(mia, "mia@acme.example")
        mias = create(mia, scopes=["data:read", "sensors:write"])
        assert_error(mia.post("/v1/keys", json={"name": "k", "scopes": ["audit:read"]}), 403, "audit:read")
        assert [k["id"] for k in mia.get("/v1/keys").json()["items"]] == [mias["id"]]
        assert_error(mia.get(f"/v1/keys/{owners_key['id']}"), 404)
        assert_error(mia.post(f"/v1/keys/{owners_key['id']}/revoke"), 404)
    # The owner (access:manage) sees and manages everyone's keys.
    assert {k["id"] for k in owner.get("/v1/keys").json()["items"]} == {owners_key["id"], mias["id"]}
    assert owner.post(f"/v1/keys/{mias['id']}/revoke").status_code == 200


def test_a_key_with_keys_write_creates_only_narrower_keys(owner: Client, app: Litestar) -> None:
    parent = create(owner, scopes=["data:read", "keys:write"], expiresIn="1m")["secret"]
    with as_key(app, parent) as client:
        child = client.post("/v1/keys", json={"name": "child", "expiresIn": "7d"})
        assert child.status_code == 201
        assert_error(client.post("/v1/keys", json={"name": "c", "scopes": ["data:write"]}), 403, "more scopes")
        assert_error(client.post("/v1/keys", json={"name": "c", "expiresIn": "6m"}), 403, "outlives")
        assert_error(client.post("/v1/keys", json={"name": "c", "allWorkspaces": True}), 403)
        assert [k["id"] for k in client.get("/v1/keys").json()["items"]] == [child.json()["id"]]


def test_revoke_and_delete_are_permanent_and_listed_only_on_request(owner: Client, app: Litestar, db: Any) -> None:
    first, second = create(owner), create(owner, name="b")
    revoked = owner.post(f"/v1/keys/{first['id']}/revoke").json()
    assert revoked["revokedAt"] and all(s["revokedAt"] for s in revoked["secrets"])
    assert owner.delete(f"/v1/keys/{second['id']}").status_code == 204
    assert owner.get("/v1/keys").json()["items"] == []
    everything = owner.get("/v1/keys", params={"includeRevoked": "true"}).json()["items"]
    assert [k["id"] for k in everything] == [first["id"], second["id"]] and everything[1]["deletedAt"]
    assert_error(owner.delete(f"/v1/keys/{second['id']}"), 404)
    assert_error(owner.post("/v1/keys/999/revoke"), 404)
    with as_key(app, second["secret"]) as client:
        assert_error(client.get("/v1/sensors"), 401, "revoked")
    actions = db.read_sync(
        lambda conn: [(r.credential_id, r.action, r.ip) for r in conn.execute(sa.select(audit_events).order_by("id"))]
    )
    assert actions == [
        (first["id"], "created", "testclient"),
        (second["id"], "created", "testclient"),
        (first["id"], "revoked", "testclient"),
        (second["id"], "deleted", "testclient"),
    ]


@pytest.mark.parametrize(("expires_in", "days"), [("30d", 30), ("1d", 1), ("1m", 30), ("7d", 7), ("1y", 365)])
def test_expires_in_takes_the_presets_and_a_number_of_days(owner: Client, expires_in: str, days: int) -> None:
    key = create(owner, expiresIn=expires_in)["key"]
    lifetime = datetime.fromisoformat(key["expiresAt"]) - datetime.fromisoformat(key["createdAt"])
    assert lifetime == timedelta(days=days) and key["lifetimeDays"] == days


def test_the_sixth_active_key_is_409_and_a_revoked_one_frees_a_place(owner: Client) -> None:
    made = [create(owner, name=f"k{i}") for i in range(5)]
    refused = owner.post("/v1/keys", json={"name": "sixth"})
    assert_error(refused, 409, "5 active keys")
    # It names what really raises the limit: the console's settings page, or the operator's command.
    assert "/orgs/acme/settings" in refused.json()["message"]
    assert "sensorgate orgs limits acme --active-keys N" in refused.json()["message"]
    owner.post(f"/v1/keys/{made[0]['id']}/revoke")
    create(owner, name="sixth")


def test_fifty_parallel_creates_never_exceed_the_limit(owner: Client, app: Litestar, db: Any) -> None:
    me = owner.get("/v1/me").json()
    from sensorgate.auth.principal import Membership, Principal
    from sensorgate.auth.scopes import permissions_for

    [membership] = me["memberships"]
    principal = Principal(
        kind="session",
        user_id=me["user"]["id"],
        email=me["user"]["email"],
        memberships={
            membership["organizationId"]: Membership(
                membership["organizationId"], "acme", "acme", "owner", (), permissions_for("owner")
            )
        },
    )
    request = service.Origin(ip=None, user_agent=None, now=utcnow(), pepper=app.state.sensorgate.settings.hash_pepper)

    def attempt(n: int) -> str:
        try:
            db.write_sync(service.create_key, principal, KeyIn(name=f"k{n}"), request)
        except ApiError as exc:
            return str(exc.status)
        return "201"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, range(50)))
    assert outcomes.count("201") == 5 and outcomes.count("409") == 45
    assert len(owner.get("/v1/keys").json()["items"]) == 5


def test_keys_need_authentication(app: Litestar) -> None:
    with TestClient(app=app) as anonymous:
        assert_error(anonymous.get("/v1/keys"), 401)
        assert_error(anonymous.post("/v1/keys", json={"name": "k"}), 401)
        assert_error(anonymous.get("/v1/keys/1"), 401)
        assert_error(anonymous.post("/v1/keys/1/revoke"), 401)


def test_a_keys_unit_preferences_apply_unless_the_request_says_otherwise(owner: Client, app: Litestar) -> None:
    sensor = make_sensor(owner)["id"]
    backfill(
        owner,
        [
            {"sensor": sensor, "metric": "temperature", "value": 100.0, "time": 1_767_225_600},
            {"sensor": sensor, "metric": "humidity", "value": 40.0, "time": 1_767_225_600},
        ],
    )
    secret = create(owner, units={"temperature": "F"})["secret"]
    assert owner.get("/v1/keys?includeRevoked=true").json()["items"][0]["units"] == {"temperature": "°F"}
    with as_key(app, secret) as client:
        latest = client.get("/v1/measurements/latest", params={"sensor": sensor, "metric": "temperature"})
        [item] = latest.json()["items"]
        assert item["unit"] == "°F" and item["value"] == pytest.approx(212.0)
        window = {"sensor": sensor, "from": 1_767_225_600, "to": 1_767_225_601}
        [point] = client.get("/v1/measurements", params=window).json()["items"][:1]
        assert point["value"] == pytest.approx(212.0)
        [kelvin] = client.get("/v1/measurements", params={**window, "unit": "K"}).json()["items"][:1]
        assert kelvin["value"] == pytest.approx(373.15)
        # Humidity has no preference and keeps its own unit.
        units = {
            i["metric"]: i["unit"]
            for i in client.get("/v1/measurements/latest", params={"sensor": sensor}).json()["items"]
        }
        assert units == {"temperature": "°F", "humidity": "%"}


def test_organization_picks_where_a_key_is_made(owner: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "globex", "admin")  # ann manages keys in two organizations now
    # Without a workspace named, two organizations are ambiguous; `organization` settles it.
    assert_error(owner.post("/v1/keys", json={"name": "k", "allWorkspaces": True}), 400, "several organizations")
    made = create(owner, allWorkspaces=True, organization="globex")["key"]
    globex = next(m for m in owner.get("/v1/me").json()["memberships"] if m["organization"] == "globex")
    assert made["organizationId"] == globex["organizationId"]
    # A workspace of another organization than the one named is not found there.
    assert_error(owner.post("/v1/keys", json={"name": "k", "workspaces": ["acme"], "organization": "globex"}), 404)
    assert_error(owner.post("/v1/keys", json={"name": "k", "organization": "initech"}), 404, "organization not found")
