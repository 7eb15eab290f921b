"""Login, logout, /v1/me: sessions, CSRF, throttling and timing-safe failure."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.accounts import passwords
from sensorgate.accounts.models import login_sessions
from sensorgate.app import create_app
from sensorgate.kit.times import utcnow
from tests.conftest import PASSWORD, add_user, assert_error, login, make_settings

Client = TestClient[Litestar]


def test_login_sets_a_secure_httponly_session_and_returns_the_csrf_token(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    response = client.post("/v1/auth/login", json={"email": "ANN@acme.example ", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == "ann@acme.example"
    assert len(body["csrfToken"]) >= 40
    assert body["expiresAt"].endswith("Z")
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("sg_session="))
    assert "HttpOnly" in session and "Secure" in session and "SameSite=lax" in session
    assert any(c.startswith("sg_csrf=") and "HttpOnly" not in c for c in cookies)


def test_session_token_is_stored_only_as_a_keyed_hash(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    login(client, "ann@acme.example")
    token = client.cookies["sg_session"]
    rows = db.read_sync(lambda conn: conn.execute(sa.select(login_sessions)).all())
    assert len(rows) == 1
    assert token.encode() not in repr(rows[0]).encode()
    assert len(rows[0].token_hash) == 32


@pytest.mark.parametrize(
    "body",
    [{"email": "ann@acme.example"}, {"email": "", "password": "x"}, {"email": 3, "password": "x"}, {}],
)
def test_login_with_a_malformed_body_is_400(client: Client, body: dict[str, Any]) -> None:
    assert_error(client.post("/v1/auth/login", json=body), 400)


def test_login_with_a_wrong_password_or_unknown_email_is_the_same_401(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    wrong = client.post("/v1/auth/login", json={"email": "ann@acme.example", "password": "wrong password!"})
    unknown = client.post("/v1/auth/login", json={"email": "nobody@acme.example", "password": "wrong password!"})
    for response in (wrong, unknown):
        assert_error(response, 401, "wrong email or password")
        assert response.headers["www-authenticate"]
        assert "set-cookie" not in response.headers


def test_unknown_email_costs_one_argon2_verification_like_a_known_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # Equal work is what makes the times equal; counting verifications tests it without a timer.
    calls: list[str] = []
    real = passwords._verify
    monkeypatch.setattr(passwords, "_verify", lambda h, p: calls.append(h) or real(h, p))
    known = passwords.hash_password(PASSWORD)
    assert passwords.verify_password(known, "wrong")[0] is False
    assert passwords.verify_password(None, "wrong")[0] is False
    assert len(calls) == 2
    assert calls[1] != known  # the unknown user was checked against the dummy hash


def test_repeated_failures_for_one_email_get_429_with_retry_after(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    for _ in range(5):
        bad = client.post("/v1/auth/login", json={"email": "ann@acme.example", "password": "not the password"})
        assert bad.status_code == 401
    response = client.post("/v1/auth/login", json={"email": "ann@acme.example", "password": PASSWORD})
    assert_error(response, 429, "too many failed logins")
    assert 0 < int(response.headers["retry-after"]) <= 15 * 60
    # Another user is not locked out by ann's failures.
    add_user(db, "bob@acme.example", "acme")
    login(client, "bob@acme.example")


def test_the_login_limits_are_settings(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, login_attempts_per_email=2, login_attempts_per_address=3)
    app = create_app(settings)
    add_user(app.state.sensorgate.db, "ann@acme.example", "acme")
    with TestClient(app=app, base_url="https://testserver.local") as client:
        wrong = {"email": "ann@acme.example", "password": "not the password"}
        assert [client.post("/v1/auth/login", json=wrong).status_code for _ in range(3)] == [401, 401, 429]
        # The address's count: the third failure from it, whatever the email, is its limit.
        other = {"email": "bob@acme.example", "password": "not the password"}
        assert [client.post("/v1/auth/login", json=other).status_code for _ in range(2)] == [401, 429]


@pytest.mark.redis
def test_login_throttle_is_shared_through_redis(database_url: str, tmp_path: Path, redis_url: str) -> None:
    """Two app instances (two processes in production) see one failure count through Redis."""
    redis.Redis.from_url(redis_url).flushdb()
    settings = make_settings(database_url, tmp_path, redis_url=redis_url)
    first, second = create_app(settings), create_app(settings)
    add_user(first.state.sensorgate.db, "ann@acme.example", "acme")
    body = {"email": "ann@acme.example", "password": "not the password"}
    with TestClient(app=first) as one, TestClient(app=second) as two:
        for attempt in range(5):
            assert (one if attempt % 2 else two).post("/v1/auth/login", json=body).status_code == 401
        assert_error(one.post("/v1/auth/login", json=body), 429)
        assert_error(two.post("/v1/auth/login", json=body), 429)


def test_login_still_works_when_redis_is_unreachable(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, redis_url="redis://127.0.0.1:1/0")
    app = create_app(settings)
    add_user(app.state.sensorgate.db, "ann@acme.example", "acme")
    with TestClient(app=app, base_url="https://testserver.local") as client:
        login(client, "ann@acme.example")
        assert client.get("/v1/me").status_code == 200


def test_me_shows_user_memberships_and_permissions(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme", "member")
    login(client, "ann@acme.example")
    body = client.get("/v1/me").json()
    assert body["user"]["email"] == "ann@acme.example"
    assert body["auth"] == "session"
    [membership] = body["memberships"]
    assert membership["organization"] == "acme" and membership["role"] == "member"
    assert "sensors:write" in membership["permissions"]
    assert "access:manage" not in membership["permissions"]


def test_me_without_a_session_is_401_with_a_challenge(client: Client) -> None:
    response = client.get("/v1/me")
    assert_error(response, 401, "authentication required")
    assert response.headers["www-authenticate"]


def test_me_with_a_forged_session_cookie_is_401(client: Client) -> None:
    client.cookies.set("sg_session", "forged-token-value", domain="testserver.local")
    assert_error(client.get("/v1/me"), 401, "log in again")


def test_an_expired_session_is_401(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    login(client, "ann@acme.example")
    db.write_sync(lambda conn: conn.execute(login_sessions.update().values(expires_at=utcnow() - timedelta(seconds=1))))
    assert_error(client.get("/v1/me"), 401)


def test_logout_ends_the_session(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    login(client, "ann@acme.example")
    token = client.cookies["sg_session"]
    assert client.post("/v1/auth/logout").status_code == 204
    client.cookies.set("sg_session", token, domain="testserver.local")
    assert_error(client.get("/v1/me"), 401)


def test_logout_without_the_csrf_header_is_403_and_keeps_the_session(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    login(client, "ann@acme.example")
    del client.headers["X-CSRF-Token"]
    assert_error(client.post("/v1/auth/logout"), 403, "csrf")
    client.headers["X-CSRF-Token"] = "not-the-token"
    assert_error(client.post("/v1/auth/logout"), 403, "csrf")
    assert client.get("/v1/me").status_code == 200


def test_logout_without_a_session_is_401(client: Client) -> None:
    assert_error(client.post("/v1/auth/logout"), 401)


def test_a_csrf_token_of_another_session_is_refused(client: Client, app: Litestar, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    add_user(db, "eve@evil.example", "evil")
    with TestClient(app=app, base_url="https://testserver.local") as other:
        eves_token = login(other, "eve@evil.example")
    login(client, "ann@acme.example")
    client.headers["X-CSRF-Token"] = eves_token
    assert_error(client.post("/v1/workspaces", json={"slug": "x", "name": "X"}), 403, "csrf")
