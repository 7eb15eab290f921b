"""Signed requests (signing_key): the v1 and v2 canonical strings, the nonce window, replays, every refusal."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient
from prometheus_client import REGISTRY

from sensorgate.app import create_app
from sensorgate.credentials.signing import canonical
from sensorgate.db.metadata import metadata
from sensorgate.settings import Settings
from tests.conftest import add_user, assert_error, login, make_settings
from tests.credentials.test_keys_api import create
from tests.measurements.conftest import make_sensor

Client = TestClient[Litestar]
AQUANOW_EXAMPLE = '{"httpMethod":"GET","path":"/users/v1/userbalance","nonce":"1618307861949"}'


def sign(secret: str, message: bytes) -> str:
    """What a client sends in X-Signature: hex HMAC-SHA384 of the canonical string, keyed with the secret."""
    return hmac.new(secret.encode(), message, hashlib.sha384).hexdigest()


def now_ms() -> int:
    return int(time.time() * 1000)


def signed_headers(
    public_id: str, secret: str, method: str, path: str, *, nonce: int | None = None, query: str = "",
    body: bytes = b"", version: int = 1,
) -> dict[str, str]:  # fmt: skip
    nonce_text = str(now_ms() if nonce is None else nonce)
    if version == 2:
        message = canonical(method, path, nonce_text, query, hashlib.sha256(body).hexdigest())
    else:
        message = canonical(method, path, nonce_text)
    headers = {"X-API-Key": public_id, "X-Nonce": nonce_text, "X-Signature": sign(secret, message)}
    if version == 2:
        headers["X-Signature-Version"] = "2"
    return headers


def signing_key(owner: Client, **fields: Any) -> tuple[int, str, str]:
    created = create(owner, kind="signing_key", **fields)
    assert created["publicId"].startswith("sgp_") and created["secret"].startswith("sgs_")
    assert created["key"]["publicId"] == created["publicId"]
    return created["id"], created["publicId"], created["secret"]


# `printf '%s' "$AQUANOW_EXAMPLE" | openssl dgst -sha384 -hmac secret`, run once by hand.
AQUANOW_EXAMPLE_SIGNED_WITH_SECRET = (
    "e6fba78b3ea99c3d9c03804a6a5ec5cefc268515e33901f026358388aa3bf186e879bf48700d3c28b8649f9daef896b6"
)


def test_the_v1_string_is_byte_for_byte_aquanows() -> None:
    assert canonical("GET", "/users/v1/userbalance", "1618307861949") == AQUANOW_EXAMPLE.encode()
    assert sign("secret", AQUANOW_EXAMPLE.encode()) == AQUANOW_EXAMPLE_SIGNED_WITH_SECRET


def test_the_signature_matches_openssl() -> None:
    """An independent implementation: what a shell client with openssl computes."""
    secret = "sgs_" + "k" * 49
    done = subprocess.run(
        ["openssl", "dgst", "-sha384", "-hmac", secret, "-r"], input=AQUANOW_EXAMPLE.encode(), capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("openssl is not installed")
    assert sign(secret, AQUANOW_EXAMPLE.encode()) == done.stdout.split()[0].decode()


@given(method=st.text(max_size=10), path=st.text(max_size=40), nonce=st.text(max_size=20), query=st.text(max_size=40))
def test_the_canonical_string_is_compact_json_in_key_order(method: str, path: str, nonce: str, query: str) -> None:
    """Written by hand for speed, it must stay exactly what json.dumps makes, escapes included."""
    compact = {"separators": (",", ":"), "ensure_ascii": False}
    v1 = {"httpMethod": method, "path": path, "nonce": nonce}
    assert canonical(method, path, nonce) == json.dumps(v1, **compact).encode()  # type: ignore[arg-type]
    v2 = {"httpMethod": method, "path": path, "query": query, "bodySha256": "ab", "nonce": nonce}
    assert canonical(method, path, nonce, query, "ab") == json.dumps(v2, **compact).encode()  # type: ignore[arg-type]


def test_the_v2_string_adds_query_and_body_hash_in_order() -> None:
    body_hash = hashlib.sha256(b"{}").hexdigest()
    assert (
        canonical("POST", "/v1/measurements", "1", "a=1&b=2", body_hash)
        == (
            '{"httpMethod":"POST","path":"/v1/measurements","query":"a=1&b=2","bodySha256":"'
            + body_hash
            + '","nonce":"1"}'
        ).encode()
    )


def test_a_signed_request_works_once(owner: Client, app: Litestar) -> None:
    sensor = make_sensor(owner)["id"]
    key_id, public_id, secret = signing_key(owner)
    with TestClient(app=app, base_url="https://testserver.local") as client:
        headers = signed_headers(public_id, secret, "GET", "/v1/sensors")
        response = client.get("/v1/sensors", headers=headers)
        assert response.status_code == 200 and [s["id"] for s in response.json()["items"]] == [sensor]
        assert_error(client.get("/v1/sensors", headers=headers), 401, "replayed nonce")
        # The query is not signed in v1: the same path with a query verifies.
        response = client.get("/v1/sensors?page=1", headers=signed_headers(public_id, secret, "GET", "/v1/sensors"))
        assert response.status_code == 200
    log = owner.get(f"/v1/keys/{key_id}/log").json()["items"]
    # The minute's uses sort by the last one, which came after the replay.
    assert [(e["event"], e.get("reason"), e.get("count")) for e in log] == [
        ("created", None, None),
        ("refused", "replayed", 1),
        ("used", None, 2),
    ]


@pytest.mark.parametrize(("offset_s", "accepted"), [(-299, True), (299, True), (-301, False), (301, False)])
def test_the_nonce_window_is_300_seconds(owner: Client, app: Litestar, offset_s: int, accepted: bool) -> None:
    _, public_id, secret = signing_key(owner)
    headers = signed_headers(public_id, secret, "GET", "/v1/sensors", nonce=now_ms() + offset_s * 1000)
    with TestClient(app=app, base_url="https://testserver.local") as client:
        response = client.get("/v1/sensors", headers=headers)
    if accepted:
        assert response.status_code == 200
    else:
        assert_error(response, 401, "stale nonce")


def test_each_refusal_names_its_reason(owner: Client, app: Litestar) -> None:
    key_id, public_id, secret = signing_key(owner)
    good = signed_headers(public_id, secret, "GET", "/v1/sensors")
    cases = [
        ({**good, "X-Signature": "0" * 96}, "bad signature"),
        ({**good, "X-Signature": ("é" * 96).encode("latin-1")}, "bad signature"),
        (signed_headers(public_id, "sgs_" + "x" * 49, "GET", "/v1/sensors"), "bad signature"),
        (signed_headers(public_id, secret, "GET", "/v1/keys"), "bad signature"),  # signed for another path
        ({**good, "X-API-Key": "sgp_" + "0" * 28}, "unknown signing key"),
        ({**good, "X-Nonce": "yesterday"}, "epoch time in milliseconds"),
        ({**good, "X-Signature-Version": "3"}, "X-Signature-Version"),
    ]
    with TestClient(app=app, base_url="https://testserver.local") as client:
        for headers, message in cases:
            response = client.get("/v1/sensors", headers=headers)
            assert_error(response, 401, message)
            assert 'error="invalid_token"' in response.headers["www-authenticate"]
        # A refusal did not spend the real nonce: the genuine request still passes.
        assert client.get("/v1/sensors", headers=good).status_code == 200
        assert owner.post(f"/v1/keys/{key_id}/revoke").status_code == 200
        # Without the secret, nobody learns that the key is revoked...
        forged = signed_headers(public_id, "sgs_" + "x" * 49, "GET", "/v1/sensors")
        assert_error(client.get("/v1/sensors", headers=forged), 401, "bad signature")
        # ...while its holder does.
        genuine = signed_headers(public_id, secret, "GET", "/v1/sensors")
        assert_error(client.get("/v1/sensors", headers=genuine), 401, "revoked")
    # Forged requests are not the key's doing: only the holder's refusal is in its log.
    items = owner.get(f"/v1/keys/{key_id}/log").json()["items"]
    assert [e.get("reason") for e in items if e["event"] == "refused"] == ["revoked"]


def test_v2_covers_query_and_body(owner: Client, app: Litestar) -> None:
    sensor = make_sensor(owner)["id"]
    _, public_id, secret = signing_key(owner, scopes=["data:read", "data:write"])
    body = b'{"items":[{"sensor":%d,"metric":"temperature","value":21.5,"time":1767225600}]}' % sensor
    with TestClient(app=app, base_url="https://testserver.local") as client:
        headers = signed_headers(public_id, secret, "POST", "/v1/measurements", body=body, version=2)
        response = client.post(
            "/v1/measurements", content=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.json() == {"accepted": 1, "replaced": 0}
        tampered_body = body.replace(b"21.5", b"99.9")
        headers = signed_headers(public_id, secret, "POST", "/v1/measurements", body=body, version=2)
        response = client.post(
            "/v1/measurements", content=tampered_body, headers={**headers, "Content-Type": "application/json"}
        )
        assert_error(response, 401, "bad signature")
        query = f"sensor={sensor}&limit=1"
        headers = signed_headers(public_id, secret, "GET", "/v1/measurements", query=query, version=2)
        assert client.get(f"/v1/measurements?{query}", headers=headers).status_code == 200
        headers = signed_headers(public_id, secret, "GET", "/v1/measurements", query=query, version=2)
        assert_error(client.get(f"/v1/measurements?sensor={sensor}&limit=2", headers=headers), 401, "bad signature")
        headers = signed_headers(public_id, secret, "GET", "/v1/measurements", query=query, version=2)
        assert_error(client.get(f"/v1/measurements/latest?{query}", headers=headers), 401, "bad signature")
    # The tampered point was never written.
    points = owner.get("/v1/measurements", params={"sensor": sensor, "from": 1767225600, "to": 1767225601}).json()
    assert [p["value"] for p in points["items"]] == [21.5]


def test_a_reissued_signing_key_keeps_its_public_id(owner: Client, app: Litestar) -> None:
    key_id, public_id, old = signing_key(owner)
    fresh = owner.post(f"/v1/keys/{key_id}/reissue").json()
    assert fresh["publicId"] == public_id and fresh["secret"] != old
    with TestClient(app=app, base_url="https://testserver.local") as client:
        for secret in (old, fresh["secret"]):
            assert (
                client.get("/v1/sensors", headers=signed_headers(public_id, secret, "GET", "/v1/sensors")).status_code
                == 200
            )


def test_the_signing_secret_is_stored_sealed(owner: Client, db: Any) -> None:
    _, public_id, secret = signing_key(owner)

    def dump(conn: sa.Connection) -> str:
        return "\n".join(repr(tuple(r)) for t in metadata.sorted_tables for r in conn.execute(sa.select(t)))

    everything = db.read_sync(dump)
    assert public_id in everything and secret not in everything and secret[8:].encode().hex() not in everything


def test_a_replay_to_another_process_is_refused_through_redis(
    settings: Settings, tmp_path: Any, redis_url: str
) -> None:
    shared = make_settings(settings.database_url or "", tmp_path, redis_url=redis_url)
    first, second = create_app(shared), create_app(shared)
    # Its own email: the login throttle's counters in the shared Redis outlive other tests' failed logins.
    add_user(first.state.sensorgate.db, "signer@acme.example", "acme")
    with (
        TestClient(app=first, base_url="https://testserver.local") as one,
        TestClient(app=second, base_url="https://testserver.local") as other,
    ):
        login(one, "signer@acme.example")
        _, public_id, secret = signing_key(one)
        headers = signed_headers(public_id, secret, "GET", "/v1/sensors")
        assert one.get("/v1/sensors", headers=headers).status_code == 200
        assert_error(other.get("/v1/sensors", headers=headers), 401, "replayed nonce")


def refusals_counted(reason: str) -> float:
    return REGISTRY.get_sample_value("sensorgate_key_refusals_total", {"reason": reason}) or 0.0


def test_metrics_count_each_signed_refusal_by_its_real_reason(owner: Client, app: Litestar) -> None:
    _, public_id, secret = signing_key(owner)
    good = signed_headers(public_id, secret, "GET", "/v1/sensors")
    stale = signed_headers(public_id, secret, "GET", "/v1/sensors", nonce=now_ms() - 400_000)
    cases = [
        ({**good, "X-Signature": "0" * 96}, "signature"),
        (stale, "stale nonce"),
        ({**good, "X-API-Key": "sgp_" + "0" * 28}, "unknown"),
        ({**good, "X-Nonce": "yesterday"}, "malformed"),
    ]
    with TestClient(app=app, base_url="https://testserver.local") as client:
        assert client.get("/v1/sensors", headers=good).status_code == 200
        for headers, reason in [*cases, (good, "replayed")]:
            before = refusals_counted(reason)
            assert client.get("/v1/sensors", headers=headers).status_code == 401
            assert refusals_counted(reason) == before + 1, reason


def test_a_public_id_without_a_signature_is_told_to_sign(owner: Client, app: Litestar) -> None:
    _, public_id, _ = signing_key(owner)
    with TestClient(app=app, base_url="https://testserver.local") as client:
        response = client.get("/v1/sensors", headers={"X-API-Key": public_id})
    assert_error(response, 401, "signing key's public id: sign the request with X-Nonce and X-Signature")
