"""GET /v1/keys/{id}/log: lifecycle events, uses per minute and refusals, as JSON and CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.credentials.models import credential_secrets
from sensorgate.kit.times import iso, utcnow
from sensorgate.usage.models import credential_usage
from tests.conftest import add_user, assert_error, login
from tests.credentials.test_keys_api import as_key, create

Client = TestClient[Litestar]


def log(client: Client, key_id: int, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/v1/keys/{key_id}/log", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["key"] == key_id and body["from"] < body["to"]
    return body["items"]  # type: ignore[no-any-return]


def test_the_log_holds_lifecycle_uses_and_refusals(owner: Client, app: Litestar) -> None:
    key = create(owner)
    with as_key(app, key["secret"]) as client:
        for _ in range(3):
            assert client.get("/v1/sensors", headers={"User-Agent": "bms/2.1"}).status_code == 200
        # data:read cannot make sensors: a refusal for a missing scope.
        assert_error(client.post("/v1/sensors", json={"name": "x", "metrics": [{"metric": "co2"}]}), 403)
    assert owner.patch(f"/v1/keys/{key['id']}", json={"name": "renamed"}).status_code == 200
    assert owner.post(f"/v1/keys/{key['id']}/reissue").status_code == 201
    assert owner.post(f"/v1/keys/{key['id']}/revoke").status_code == 200
    with as_key(app, key["secret"]) as client:
        assert_error(client.get("/v1/sensors"), 401, "revoked")

    items = log(owner, key["id"])
    # In the order things happened, even though all of it fits in a minute or two.
    assert [(e["event"], e.get("reason")) for e in items] == [
        ("created", None),
        ("used", None),
        ("refused", "scope"),
        ("edited", None),
        ("reissued", None),
        ("revoked", None),
        ("refused", "revoked"),
    ]
    created, used, scope = items[:3]
    assert created["actorUser"] == 1 and created["details"] == {"kind": "api_key", "scopes": ["data:read"]}
    assert used["count"] == 3 and used["userAgent"] == "bms/2.1" and used["ip"] == "testclient"
    assert used["time"].endswith(":00.000Z") and used["time"] <= used["lastAt"]
    assert scope["count"] == 1 and scope["userAgent"] == "testclient"
    assert owner.get(f"/v1/keys/{key['id']}").json()["lastUsedAt"] is not None


def test_expired_and_address_refusals_are_logged(owner: Client, app: Litestar, db: Any) -> None:
    expired, fenced = create(owner), create(owner, name="fenced", ipAllowlist=["10.0.0.0/8"])
    db.write_sync(
        lambda conn: conn.execute(
            credential_secrets.update()
            .where(credential_secrets.c.credential_id == expired["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    )
    for key, status in ((expired, 401), (fenced, 403)):
        with as_key(app, key["secret"]) as client:
            assert_error(client.get("/v1/sensors"), status)
    assert [(e["event"], e.get("reason")) for e in log(owner, expired["id"])][1:] == [("refused", "expired")]
    assert [(e["event"], e.get("reason")) for e in log(owner, fenced["id"])][1:] == [("refused", "address")]
    assert owner.get(f"/v1/keys/{expired['id']}").json()["lastUsedAt"] is None


def test_the_log_as_csv(owner: Client, app: Litestar) -> None:
    key = create(owner)
    with as_key(app, key["secret"]) as client:
        client.get("/v1/sensors", headers={"User-Agent": "=HYPERLINK(evil)"})
    response = owner.get(f"/v1/keys/{key['id']}/log", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"  # once: Litestar adds it to text/*
    assert f'filename="key-{key["id"]}-log.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["event"] for r in rows] == ["created", "used"]
    # What a caller sent as its user agent must not become a spreadsheet formula.
    assert rows[1]["userAgent"] == "'=HYPERLINK(evil)" and rows[1]["count"] == "1"
    assert rows[0]["actorUser"] == "1" and rows[0]["details"] == '{"kind":"api_key","scopes":["data:read"]}'


def test_from_and_to_choose_the_window(owner: Client, db: Any) -> None:
    key = create(owner)
    start = utcnow().replace(second=0, microsecond=0) - timedelta(days=3)
    rows = [
        {"credential_id": key["id"], "minute": start + timedelta(days=d), "outcome": "used", "count": d + 1,
         "last_at": start + timedelta(days=d), "last_ip": "192.0.2.1", "last_user_agent": None}
        for d in range(3)
    ]  # fmt: skip
    db.write_sync(lambda conn: conn.execute(credential_usage.insert(), rows))
    assert [e["count"] for e in log(owner, key["id"], **{"from": iso(start)}) if e["event"] == "used"] == [1, 2, 3]
    window = {"from": iso(start + timedelta(hours=1)), "to": iso(start + timedelta(days=2))}
    assert [e["count"] for e in log(owner, key["id"], **window)] == [2]
    assert [e["event"] for e in log(owner, key["id"])] == ["created"]  # the last day only, by default


def test_a_log_too_long_to_answer_is_400(owner: Client, db: Any) -> None:
    key = create(owner)
    start = utcnow().replace(second=0, microsecond=0) - timedelta(days=10)
    rows = [
        {"credential_id": key["id"], "minute": start + timedelta(minutes=m), "outcome": "used", "count": 1,
         "last_at": start + timedelta(minutes=m), "last_ip": None, "last_user_agent": None}
        for m in range(10_001)
    ]  # fmt: skip
    db.write_sync(lambda conn: conn.execute(credential_usage.insert(), rows))
    response = owner.get(f"/v1/keys/{key['id']}/log", params={"from": iso(start)})
    assert_error(response, 400, "narrow from/to")
    assert len(log(owner, key["id"], **{"from": iso(start), "to": iso(start + timedelta(days=1))})) == 1440


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "before"),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, "31 days"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_log_requests_are_400(owner: Client, params: dict[str, str], message: str) -> None:
    key = create(owner)
    assert_error(owner.get(f"/v1/keys/{key['id']}/log", params=params), 400, message)


def test_who_may_read_a_log(owner: Client, app: Litestar, client: Client, db: Any) -> None:
    auditor = create(owner, name="auditor", scopes=["audit:read"])
    reader = create(owner, name="reader")
    with as_key(app, auditor["secret"]) as as_auditor:
        assert log(as_auditor, auditor["id"])[0]["event"] == "created"  # a key reads its own log
        assert_error(as_auditor.get(f"/v1/keys/{reader['id']}/log"), 404)  # not one it did not create
    with as_key(app, reader["secret"]) as as_reader:
        assert_error(as_reader.get(f"/v1/keys/{reader['id']}/log"), 403, "audit:read")
    with as_key(app, "") as anonymous:
        assert_error(anonymous.get(f"/v1/keys/{reader['id']}/log"), 401)
    assert_error(owner.get("/v1/keys/9999/log"), 404)
    # Another organization's owner, and a member of ours who did not create the key, see no such key.
    add_user(db, "eve@other.example", "other", "owner")
    add_user(db, "mia@acme.example", "acme", "member")
    for email in ("eve@other.example", "mia@acme.example"):
        with TestClient(app=app, base_url="https://testserver.local") as someone:
            login(someone, email)
            assert someone.get(f"/v1/keys/{reader['id']}/log").status_code in (403, 404)
            if email.startswith("eve"):
                assert_error(someone.get(f"/v1/keys/{reader['id']}/log"), 404)


def test_nothing_is_in_the_log_of_another_key(owner: Client, app: Litestar, db: Any) -> None:
    first, second = create(owner), create(owner, name="second")
    with as_key(app, first["secret"]) as client:
        client.get("/v1/sensors")
    assert [e["event"] for e in log(owner, second["id"])] == ["created"]
    count = db.read_sync(
        lambda conn: conn.execute(
            sa.select(sa.func.count())
            .select_from(credential_usage)
            .where(credential_usage.c.credential_id == first["id"])
        ).scalar_one()
    )
    assert count == 1
