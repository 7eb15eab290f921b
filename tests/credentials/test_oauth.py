"""POST /v1/oauth/token (RFC 6749 §4.4) and the JWKS: client authentication, scopes, the RFC errors, the
rate limit, and tokens at work on the data endpoints."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import jwt
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.app import create_app
from sensorgate.kit.times import iso, utcnow
from sensorgate.settings import Settings
from tests.conftest import assert_error, make_settings
from tests.credentials.test_keys_api import as_key, create
from tests.measurements.conftest import make_sensor

Client = TestClient[Litestar]
CLAIMS = {"iss", "aud", "sub", "client_id", "iat", "exp", "jti", "scope"}


def oauth_client(owner: Client, **fields: Any) -> dict[str, Any]:
    """A new OAuth client: `publicId` is its client_id, `secret` its client_secret."""
    return create(owner, kind="oauth_client", **fields)


def basic(client_id: str, secret: str) -> dict[str, str]:
    # RFC 6749 §2.3.1: each half is form-urlencoded before it goes into Basic.
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def request_token(app: Litestar, made: dict[str, Any], **form: str) -> Any:
    with as_key(app, "") as anonymous:
        return anonymous.post(
            "/v1/oauth/token",
            data={"grant_type": "client_credentials", **form},
            headers=basic(made["publicId"], made["secret"]),
        )


def token_for(app: Litestar, made: dict[str, Any], **form: str) -> str:
    response = request_token(app, made, **form)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]  # type: ignore[no-any-return]


def assert_oauth_error(response: Any, status: int, code: str, contains: str = "") -> dict[str, object]:
    """Our error object, with `error` as the RFC 6749 code and `error_description` equal to `message`."""
    body = assert_error(response, status, contains)
    assert body["error"] == code and body["error_description"] == body["message"]
    assert response.headers["cache-control"] == "no-store"
    return body


def test_a_token_by_http_basic(owner: Client, app: Litestar) -> None:
    made = oauth_client(owner, scopes=["data:read", "keys:read"])
    assert made["publicId"].startswith("sgc_") and made["secret"].startswith("sgo_")
    response = request_token(app, made)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["scope"] == "data:read keys:read"
    assert response.headers["cache-control"] == "no-store" and response.headers["pragma"] == "no-cache"
    assert response.headers["ratelimit-policy"] == '"token";q=15;w=900'
    assert response.headers["ratelimit"].startswith('"token";r=14;t=')


def test_a_token_by_client_secret_post(owner: Client, app: Litestar) -> None:
    made = oauth_client(owner)
    form = {"grant_type": "client_credentials", "client_id": made["publicId"], "client_secret": made["secret"]}
    with as_key(app, "") as anonymous:
        response = anonymous.post("/v1/oauth/token", data=form)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "data:read"


def test_a_token_verifies_with_pyjwt_against_the_jwks_alone(owner: Client, app: Litestar) -> None:
    made = oauth_client(owner, scopes=["data:read"])
    token = token_for(app, made)
    with as_key(app, "") as anonymous:
        response = anonymous.get("/.well-known/jwks.json")
    assert response.status_code == 200 and "max-age" in response.headers["cache-control"]
    keys = response.json()["keys"]
    assert keys and all(set(k) == {"kty", "crv", "x", "kid", "use", "alg"} for k in keys)
    assert all((k["kty"], k["crv"], k["use"], k["alg"]) == ("OKP", "Ed25519", "sig", "EdDSA") for k in keys)

    header = jwt.get_unverified_header(token)
    assert header["typ"] == "at+jwt" and header["alg"] == "EdDSA"
    jwk = next(k for k in keys if k["kid"] == header["kid"])
    claims = jwt.decode(
        token, jwt.PyJWK(jwk).key, algorithms=["EdDSA"], audience="urn:sensorgate:api", issuer="urn:sensorgate"
    )
    assert set(claims) == CLAIMS
    assert claims["sub"] == claims["client_id"] == made["publicId"] and claims["scope"] == "data:read"
    assert claims["exp"] - claims["iat"] == 3600 and abs(claims["iat"] - utcnow().timestamp()) < 5


def test_issuer_audience_and_lifetime_are_settings(settings: Settings, owner: Client) -> None:
    custom = msgspec.structs.replace(
        settings, oauth_issuer="https://sensors.example", oauth_audience="bms", token_lifetime_seconds=600
    )
    other = create_app(custom)
    made = oauth_client(owner)
    response = request_token(other, made)
    assert response.json()["expires_in"] == 600
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert (claims["iss"], claims["aud"]) == ("https://sensors.example", "bms")
    with as_key(other, response.json()["access_token"], "Authorization") as client:
        assert client.get("/v1/sensors").status_code == 200
    # The default app expects the default issuer and audience.
    with as_key(app_of(owner), response.json()["access_token"], "Authorization") as client:
        assert_error(client.get("/v1/sensors"), 401, "from another issuer")


def app_of(client: Client) -> Litestar:
    return client.app  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("case", "status", "code", "message"),
    [
        ("no client authentication", 401, "invalid_client", "client authentication required"),
        ("wrong secret", 401, "invalid_client", "wrong client_secret"),
        ("unknown client", 401, "invalid_client", "unknown client_id"),
        ("bearer instead of basic", 401, "invalid_client", "unsupported client authentication"),
        ("malformed basic", 401, "invalid_client", "malformed basic"),
        ("basic and post at once", 400, "invalid_request", "not both"),
        ("no grant_type", 400, "invalid_request", "grant_type is required"),
        ("a parameter twice", 400, "invalid_request", "more than once"),
        ("json body", 400, "invalid_request", "x-www-form-urlencoded"),
        ("password grant", 400, "unsupported_grant_type", "client_credentials only"),
        ("scope beyond the client's", 400, "invalid_scope", "does not hold keys:write"),
        ("a signing key's credentials", 400, "unauthorized_client", "only oauth_client"),
        ("from outside the allow list", 400, "invalid_grant", "from this address"),
    ],
)
def test_rfc_6749_errors(owner: Client, app: Litestar, case: str, status: int, code: str, message: str) -> None:
    made = oauth_client(owner, ipAllowlist=["10.0.0.0/8"] if case == "from outside the allow list" else [])
    auth = basic(made["publicId"], made["secret"])
    form: dict[str, str] | str = {"grant_type": "client_credentials"}
    content_type = "application/x-www-form-urlencoded"
    if case == "no client authentication":
        auth = {}
    elif case == "wrong secret":
        secret = made["secret"]
        # Another last character, whatever the last one was (1 secret in 62 ends in "x").
        auth = basic(made["publicId"], secret[:-1] + ("y" if secret.endswith("x") else "x"))
    elif case == "unknown client":
        auth = basic("sgc_" + "A" * 28, made["secret"])
    elif case == "bearer instead of basic":
        auth = {"Authorization": "Bearer " + made["secret"]}
    elif case == "malformed basic":
        auth = {"Authorization": "Basic ***"}
    elif case == "basic and post at once":
        form = {**form, "client_id": made["publicId"], "client_secret": made["secret"]}
    elif case == "no grant_type":
        form = {"scope": "data:read"}
    elif case == "a parameter twice":
        form = "grant_type=client_credentials&grant_type=client_credentials"
    elif case == "json body":
        form, content_type = '{"grant_type": "client_credentials"}', "application/json"
    elif case == "password grant":
        form = {"grant_type": "password", "username": "ann", "password": "x"}
    elif case == "scope beyond the client's":
        form = {**form, "scope": "data:read keys:write"}
    elif case == "a signing key's credentials":
        signing = create(owner, kind="signing_key", name="signer")
        auth = basic(signing["publicId"], signing["secret"])
    with as_key(app, "") as anonymous:
        if isinstance(form, str):
            response = anonymous.post("/v1/oauth/token", content=form, headers={**auth, "Content-Type": content_type})
        else:
            response = anonymous.post("/v1/oauth/token", data=form, headers=auth)
    assert_oauth_error(response, status, code, message)
    if status == 401:
        assert response.headers["www-authenticate"] == 'Basic realm="sensorgate"'
    if case in ("wrong secret", "from outside the allow list"):
        # A known client's refusals go to its log, as a key's do.
        log = owner.get(f"/v1/keys/{made['id']}/log").json()["items"]
        assert [e.get("reason") for e in log if e["event"] == "refused"] == [
            "secret" if case == "wrong secret" else "address"
        ]


def test_revoked_clients_and_expired_secrets_get_no_token(owner: Client, app: Litestar) -> None:
    made = oauth_client(owner)
    assert owner.post(f"/v1/keys/{made['id']}/revoke").status_code == 200
    assert_oauth_error(request_token(app, made), 401, "invalid_client", "revoked")
    aging = oauth_client(owner, name="aging")
    in_a_minute = iso(utcnow() + timedelta(seconds=60))
    reissued = owner.post(f"/v1/keys/{aging['id']}/reissue", json={"oldSecretExpiresAt": in_a_minute})
    assert reissued.status_code == 201
    # The old secret still works, for a token that ends with it; the new one gets the full hour.
    assert 0 < request_token(app, aging).json()["expires_in"] <= 60
    assert request_token(app, {**aging, "secret": reissued.json()["secret"]}).json()["expires_in"] == 3600


def test_scope_narrows_the_token(owner: Client, app: Litestar) -> None:
    made = oauth_client(owner, scopes=["data:read", "sensors:write"])
    wide = token_for(app, made)
    narrow_response = request_token(app, made, scope="data:read")
    assert narrow_response.json()["scope"] == "data:read"
    narrow = narrow_response.json()["access_token"]
    body = {"name": "Room 9", "metrics": [{"metric": "co2"}]}
    with as_key(app, narrow, "Authorization") as client:
        assert client.get("/v1/sensors").status_code == 200
        assert_error(client.post("/v1/sensors", json=body), 403, "sensors:write")
    with as_key(app, wide, "Authorization") as client:
        assert client.post("/v1/sensors", json=body).status_code == 201
    assert_oauth_error(request_token(app, made, scope="data:read audit:read"), 400, "invalid_scope", "audit:read")


def test_tokens_work_on_data_endpoints_and_count_in_the_key_log(owner: Client, app: Litestar) -> None:
    sensor = make_sensor(owner)
    made = oauth_client(owner)
    token = token_for(app, made, scope="data:read")
    with as_key(app, token, "Authorization") as client:
        for _ in range(3):
            listed = client.get("/v1/sensors", headers={"User-Agent": "ayyeka-sync/1.0"})
            assert listed.status_code == 200
        assert [s["id"] for s in listed.json()["items"]] == [sensor["id"]]
        me = client.get("/v1/me").json()
        assert me["credential"] is not None and me["user"] is None
    log = owner.get(f"/v1/keys/{made['id']}/log").json()["items"]
    events = [(e["event"], e.get("count")) for e in log]
    # Uses are counted per minute: the four may fall either side of a minute's end, in one line or two.
    assert events[:2] == [("created", None), ("token_issued", None)]
    assert sum(count for event, count in events if event == "used") == 4
    issued = log[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert issued["details"]["jti"] == claims["jti"] and issued["details"]["scope"] == "data:read"
    assert issued["actorKey"] == made["id"]
    used = next(e for e in log if e["event"] == "used")
    assert used["userAgent"] in ("ayyeka-sync/1.0", "testclient")


def test_the_16th_token_request_in_15_minutes_gets_429(owner: Client, app: Litestar) -> None:
    made, other = oauth_client(owner), oauth_client(owner, name="other")
    for _ in range(15):
        assert request_token(app, made).status_code == 200
    refused = request_token(app, made)
    assert_error(refused, 429, "15 token requests per 15 minutes")
    assert 0 < int(refused.headers["retry-after"]) <= 900
    assert refused.headers["ratelimit"].startswith('"token";r=0;t=')
    # Per client: another client is not affected.
    assert request_token(app, other).status_code == 200


@pytest.mark.redis
def test_the_limit_is_shared_through_redis(owner: Client, settings: Settings, tmp_path: Path, redis_url: str) -> None:
    shared = make_settings(settings.database_url or "", tmp_path, redis_url=redis_url)
    made = oauth_client(owner)
    form, auth = {"grant_type": "client_credentials"}, basic(made["publicId"], made["secret"])
    # Clients held open for the whole test: a Redis connection belongs to the event loop that made it.
    with as_key(create_app(shared), "") as one, as_key(create_app(shared), "") as two:
        for attempt in range(15):
            assert (one if attempt % 2 else two).post("/v1/oauth/token", data=form, headers=auth).status_code == 200
        assert_error(one.post("/v1/oauth/token", data=form, headers=auth), 429)
        assert_error(two.post("/v1/oauth/token", data=form, headers=auth), 429)


def test_tokens_are_issued_when_redis_is_unreachable(owner: Client, settings: Settings, tmp_path: Path) -> None:
    unreachable = make_settings(settings.database_url or "", tmp_path, redis_url="redis://127.0.0.1:1/0")
    response = request_token(create_app(unreachable), oauth_client(owner))
    assert response.status_code == 200 and "ratelimit" not in response.headers


def test_jwks_publishes_public_keys_only(app: Litestar) -> None:
    with as_key(app, "") as anonymous:
        first = anonymous.get("/.well-known/jwks.json").json()
        again = anonymous.get("/.well-known/jwks.json").json()
    assert len(first["keys"]) == 1 and first == again
    assert not {"d", "p", "q"} & set(first["keys"][0])


def test_an_access_token_cannot_renew_its_client(owner: Client, app: Litestar) -> None:
    """A leaked one-hour token must not turn into a lasting client secret."""
    made = oauth_client(owner, scopes=["data:read", "keys:read"], canRenew=True)
    token = token_for(app, made, scope="data:read")
    with as_key(app, token, "Authorization") as client:
        assert_error(client.get("/v1/token/renew"), 403, "reissue")
    assert len(owner.get(f"/v1/keys/{made['id']}").json()["secrets"]) == 1


@pytest.mark.parametrize("client_id", ["a\x00b", "sgc_" + "0" * 28, "x" * 300])
def test_a_malformed_or_unknown_client_id_is_invalid_client(app: Litestar, client_id: str) -> None:
    """Checked before the database: a NUL byte would make PostgreSQL fail (a 500) rather than answer."""
    with as_key(app, "") as anonymous:
        response = anonymous.post(
            "/v1/oauth/token",
            data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": "sgo_x"},
        )
    assert_oauth_error(response, 401, "invalid_client")
