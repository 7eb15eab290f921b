"""Access tokens at the guard: refusals and their reasons, revocation of the client, its secret or the token
(RFC 7009) reaching every process within a second, introspection (RFC 7662) and the purge of revocations."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.app import create_app
from sensorgate.credentials import routes as credentials_routes
from sensorgate.credentials.models import credential_secrets
from sensorgate.credentials.oauth.models import revoked_tokens
from sensorgate.jobs import runner
from sensorgate.kit.times import utcnow
from sensorgate.settings import Settings
from tests.conftest import assert_error
from tests.credentials.test_keys_api import as_key
from tests.credentials.test_oauth import assert_oauth_error, basic, oauth_client, request_token, token_for

Client = TestClient[Litestar]
SECOND = 1.0


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})  # type: ignore[no-any-return]


def oauth_post(app: Litestar, path: str, made: dict[str, Any], **form: str) -> Any:
    with as_key(app, "") as anonymous:
        return anonymous.post(path, data=form, headers=basic(made["publicId"], made["secret"]))


def refused_within_a_second(clients: list[Client], message: str) -> None:
    """Every client (each on its own app, as another process would be) is refused within CACHE_SECONDS."""
    start = time.monotonic()
    for client in clients:
        while (response := client.get("/v1/sensors")).status_code == 200:
            assert time.monotonic() - start < SECOND + 0.5, "still accepted after a second"
            time.sleep(0.05)
        assert_error(response, 401, message)
        assert response.headers["www-authenticate"].startswith('Bearer realm="sensorgate", error="invalid_token"')


def log_events(owner: Client, key_id: int) -> list[tuple[str, str | None]]:
    items = owner.get(f"/v1/keys/{key_id}/log").json()["items"]
    return [(e["event"], e.get("reason")) for e in items]


def forged(app: Litestar, typ: str = "at+jwt", private_key: Ed25519PrivateKey | None = None, **claims: Any) -> str:
    """A token signed with this service's own current key (or the one given), with chosen claims."""
    state = app.state.sensorgate
    signing = state.db.write_sync(state.oauth.keys.signing_key, utcnow())
    now = int(utcnow().timestamp())
    payload = {"iss": "urn:sensorgate", "aud": "urn:sensorgate:api", "sub": "sgc_x", "client_id": "sgc_x",
               "iat": now, "exp": now + 60, "jti": "1.abc", "scope": "data:read", **claims}  # fmt: skip
    key = private_key or signing.private_key
    return jwt.encode(payload, key, algorithm="EdDSA", headers={"kid": signing.kid, "typ": typ})


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("a.b.c", "malformed access token"),
        ("typ", "typ must be at+jwt"),
        ("signature", "bad access token signature"),
        ("kid", "unknown key id"),
        ("audience", "another audience"),
        ("claims", "malformed access token"),
        ("client", "unknown OAuth client"),
    ],
)
def test_bad_tokens_are_401_naming_the_reason(owner: Client, app: Litestar, token: str, message: str) -> None:
    made = oauth_client(owner)
    good = token_for(app, made)
    header, payload, signature = good.split(".")
    presented = {
        "a.b.c": "a.b.c",
        "typ": forged(app, typ="JWT", sub=made["publicId"], client_id=made["publicId"]),
        "signature": f"{header}.{payload}.{signature[:10]}{'A' if signature[10] != 'A' else 'B'}{signature[11:]}",
        "kid": f"{jwt.encode({'x': 1}, Ed25519PrivateKey.generate(), 'EdDSA', {'kid': 'nope', 'typ': 'at+jwt'})}",
        "audience": forged(app, aud="someone-else"),
        "claims": forged(app, sub="sgc_other"),
        "client": forged(app),
    }[token]
    with as_key(app, presented, "Authorization") as client:
        response = client.get("/v1/sensors")
    assert_error(response, 401, message)
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_an_expired_token_is_401_and_logged(owner: Client, app: Litestar, monkeypatch: pytest.MonkeyPatch) -> None:
    made = oauth_client(owner)
    two_hours_ago = utcnow() - timedelta(hours=2)
    # The token endpoint takes "now" from the request's origin (credentials/routes.py).
    monkeypatch.setattr(credentials_routes, "utcnow", lambda: two_hours_ago)
    token = token_for(app, made)
    monkeypatch.undo()
    assert claims_of(token)["exp"] < utcnow().timestamp()
    with as_key(app, token, "Authorization") as client:
        assert_error(client.get("/v1/sensors"), 401, "expired access token")
    assert ("refused", "expired") in log_events(owner, made["id"])
    assert oauth_post(app, "/v1/oauth/introspect", made, token=token).json() == {"active": False}


def test_revoking_the_client_ends_its_tokens_in_every_process(owner: Client, app: Litestar, settings: Settings) -> None:
    made = oauth_client(owner)
    token = token_for(app, made)
    other_process = create_app(settings)
    with as_key(app, token, "Authorization") as here, as_key(other_process, token, "Authorization") as there:
        # Both processes have verified and cached the token...
        assert here.get("/v1/sensors").status_code == 200 and there.get("/v1/sensors").status_code == 200
        assert owner.post(f"/v1/keys/{made['id']}/revoke").status_code == 200
        # The process that revoked refuses at once; the other within a second.
        assert_error(here.get("/v1/sensors"), 401, "has been revoked")
        refused_within_a_second([there], "has been revoked")
    assert ("refused", "revoked") in log_events(owner, made["id"])


def test_revoking_the_secret_ends_the_tokens_it_obtained(owner: Client, app: Litestar, db: Any) -> None:
    made = oauth_client(owner)
    old_token = token_for(app, made)
    new_secret = owner.post(f"/v1/keys/{made['id']}/reissue").json()["secret"]
    new_token = token_for(app, {**made, "secret": new_secret})
    with as_key(app, old_token, "Authorization") as old, as_key(app, new_token, "Authorization") as new:
        assert old.get("/v1/sensors").status_code == 200
        first = credential_secrets.c.id == int(claims_of(old_token)["jti"].split(".")[0])
        db.write_sync(lambda conn: conn.execute(credential_secrets.update().where(first).values(revoked_at=utcnow())))
        refused_within_a_second([old], "client secret that obtained this access token has been revoked")
        assert new.get("/v1/sensors").status_code == 200


def test_revoking_a_token(owner: Client, app: Litestar, settings: Settings, db: Any) -> None:
    made, stranger = oauth_client(owner), oauth_client(owner, name="stranger")
    token, kept = token_for(app, made), token_for(app, made)
    other_process = create_app(settings)
    with as_key(app, token, "Authorization") as here, as_key(other_process, token, "Authorization") as there:
        assert here.get("/v1/sensors").status_code == 200 and there.get("/v1/sensors").status_code == 200
        # Another client may not revoke it.
        assert_oauth_error(oauth_post(app, "/v1/oauth/revoke", stranger, token=token), 400, "unauthorized_client")
        response = oauth_post(app, "/v1/oauth/revoke", made, token=token, token_type_hint="access_token")
        assert response.status_code == 200 and response.content == b""
        assert response.headers["cache-control"] == "no-store"
        assert_error(here.get("/v1/sensors"), 401, "revoked access token")  # at once in this process
        refused_within_a_second([there], "revoked access token")
    with as_key(app, kept, "Authorization") as client:
        assert client.get("/v1/sensors").status_code == 200  # only that token
    # Again, or a token that is not ours: the same 200 (RFC 7009 §2.2).
    assert oauth_post(app, "/v1/oauth/revoke", made, token=token).status_code == 200
    assert oauth_post(app, "/v1/oauth/revoke", made, token="not-a-token").status_code == 200
    assert [e for e in log_events(owner, made["id"]) if e[0] == "token_revoked"] == [("token_revoked", None)]

    expires = claims_of(token)["exp"]
    assert db.read_sync(lambda conn: conn.execute(sa.select(sa.func.count()).select_from(revoked_tokens)).scalar()) == 1
    purge = runner.purge_revoked_tokens_step
    assert purge(db, utcnow())["revokedTokensDeleted"] == 0
    later = utcnow() + timedelta(seconds=expires - utcnow().timestamp() + 1)
    assert purge(db, later)["revokedTokensDeleted"] == 1


def test_revoke_and_introspect_need_client_authentication_and_a_token(owner: Client, app: Litestar) -> None:
    made = oauth_client(owner)
    token = token_for(app, made)
    with as_key(app, "") as anonymous:
        for path in ("/v1/oauth/revoke", "/v1/oauth/introspect"):
            response = anonymous.post(path, data={"token": token})
            assert_oauth_error(response, 401, "invalid_client")
            assert response.headers["www-authenticate"] == 'Basic realm="sensorgate"'
            assert_oauth_error(oauth_post(app, path, made), 400, "invalid_request", "token is required")
            posted = {"token": token, "client_id": made["publicId"], "client_secret": made["secret"]}
            assert anonymous.post(path, data=posted).status_code == 200  # client_secret_post works too
    with as_key(app, token, "Authorization") as client:
        assert client.get("/v1/sensors").status_code == 401  # the last loop revoked it


def test_introspection(owner: Client, app: Litestar) -> None:
    made, stranger = oauth_client(owner, scopes=["data:read", "keys:read"]), oauth_client(owner, name="stranger")
    token = token_for(app, made, scope="keys:read")
    response = oauth_post(app, "/v1/oauth/introspect", made, token=token)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    claims = claims_of(token)
    assert response.json() == {
        "active": True,
        "scope": "keys:read",
        "client_id": made["publicId"],
        "sub": made["publicId"],
        "exp": claims["exp"],
        "iat": claims["iat"],
        "iss": "urn:sensorgate",
        "aud": "urn:sensorgate:api",
        "jti": claims["jti"],
        "token_type": "Bearer",
    }
    inactive = {"active": False}
    assert oauth_post(app, "/v1/oauth/introspect", stranger, token=token).json() == inactive
    assert oauth_post(app, "/v1/oauth/introspect", made, token="x.y.z").json() == inactive
    assert oauth_post(app, "/v1/oauth/revoke", made, token=token).status_code == 200
    assert oauth_post(app, "/v1/oauth/introspect", made, token=token).json() == inactive


def test_a_token_never_outlives_its_client_secret(owner: Client, app: Litestar, db: Any) -> None:
    made = oauth_client(owner)
    soon = utcnow() + timedelta(minutes=5)
    db.write_sync(
        lambda conn: conn.execute(
            credential_secrets.update().where(credential_secrets.c.credential_id == made["id"]).values(expires_at=soon)
        )
    )
    response = request_token(app, made)
    assert 290 <= response.json()["expires_in"] <= 300
    assert claims_of(response.json()["access_token"])["exp"] <= soon.timestamp()
