"""Two `sensorgate serve` processes on two ports, one PostgreSQL database and one Redis: they behave as one.

Two separate processes rather than one `serve --workers 2`, so the test knows which process answered each request.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from sensorgate.db.engine import Database, create_engine
from tests.cli.helpers import Server, clean_env, serving
from tests.conftest import PASSWORD, add_user, assert_error
from tests.credentials.test_signing import signed_headers
from tests.services import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

EMAIL = "scale-out@acme.example"
SECRETS = {
    "SENSORGATE_SECRET_KEY": "k" * 40,
    "SENSORGATE_HASH_PEPPER": "p" * 40,
    "SENSORGATE_MASTER_KEY": base64.urlsafe_b64encode(b"m" * 32).decode(),
}


@dataclass
class Pair:
    one: Server
    two: Server
    owner: httpx.Client  # logged in as an owner, on process one


@contextmanager
def two_processes(
    postgres_admin_url: str, postgres_template: str, root: Path, email: str, env: dict[str, str]
) -> Iterator[Pair]:
    """Two real `serve` processes on one fresh PostgreSQL database (a copy of the migrated template) holding one
    owner, `email`, logged in on process one. `env` adds settings, such as a shared Redis."""
    name = f"sg_two_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    admin.dispose()
    url = postgres_admin_url.rsplit("/", 1)[0] + f"/{name}"
    db = Database(create_engine(url))
    add_user(db, email, "acme")
    db.dispose()
    shared = {
        "SENSORGATE_DATABASE_URL": url,
        "SENSORGATE_SECURE_COOKIES": "false",  # plain HTTP on localhost
        "SENSORGATE_SCHEDULER": "false",
        **SECRETS,
        **env,
    }
    with ExitStack() as stack:
        # Each process has its own data directory: whatever they share goes through PostgreSQL (and Redis).
        one, two = (
            stack.enter_context(
                serving([], clean_env(root / f"data{n}", **shared), free_port(), root / f"logs{n}", timeout=30)
            )
            for n in (1, 2)
        )
        owner = stack.enter_context(httpx.Client(base_url=one.base, timeout=10))
        login = owner.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        owner.headers["X-CSRF-Token"] = login.json()["csrfToken"]
        yield Pair(one, two, owner)


@pytest.fixture(scope="module")
def pair(
    postgres_admin_url: str, postgres_template: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("scale-out")
    # The session's Redis serves other tests' databases too, whose credential ids are the same small numbers.
    redis = {"SENSORGATE_REDIS_URL": redis_url, "SENSORGATE_REDIS_PREFIX": f"scale{uuid.uuid4().hex[:12]}"}
    with two_processes(postgres_admin_url, postgres_template, root, EMAIL, redis) as found:
        yield found


def create_key(owner: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = owner.post("/v1/keys", json={"name": f"scale-out {uuid.uuid4().hex[:6]}", **fields})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_key_revoked_on_one_process_is_refused_by_the_other_within_a_second(pair: Pair) -> None:
    created = create_key(pair.owner)
    headers = {"X-API-Key": created["secret"]}
    with httpx.Client(base_url=pair.one.base, timeout=5) as one, httpx.Client(base_url=pair.two.base, timeout=5) as two:
        assert one.get("/v1/sensors", headers=headers).status_code == 200
        # Process two has just verified the key, so it holds it in its cache.
        assert two.get("/v1/sensors", headers=headers).status_code == 200

        revoked = pair.owner.post(f"/v1/keys/{created['id']}/revoke")
        assert revoked.status_code == 200, revoked.text
        revoked_at = time.monotonic()
        assert_error(one.get("/v1/sensors", headers=headers), 401, "revoked")  # its own cache is dropped at once

        # Process two may still answer from its cache, but no request sent a second after the revocation passes.
        while True:
            sent = time.monotonic() - revoked_at
            answer = two.get("/v1/sensors", headers=headers)
            if answer.status_code != 200:
                break
            assert sent < 1.0, f"process two accepted the revoked key {sent:.3f} s after the revocation"
            time.sleep(0.02)
    assert_error(answer, 401, "revoked")


def test_a_nonce_used_on_one_process_is_refused_as_replayed_on_the_other(pair: Pair) -> None:
    created = create_key(pair.owner, kind="signing_key")
    public_id, secret = created["publicId"], created["secret"]
    headers = signed_headers(public_id, secret, "GET", "/v1/sensors")
    assert httpx.get(f"{pair.one.base}/v1/sensors", headers=headers, timeout=5).status_code == 200
    assert_error(httpx.get(f"{pair.two.base}/v1/sensors", headers=headers, timeout=5), 401, "replayed nonce")

    # And the other way round, with a fresh nonce.
    again = signed_headers(public_id, secret, "GET", "/v1/sensors", nonce=int(headers["X-Nonce"]) + 1)
    assert httpx.get(f"{pair.two.base}/v1/sensors", headers=again, timeout=5).status_code == 200
    assert_error(httpx.get(f"{pair.one.base}/v1/sensors", headers=again, timeout=5), 401, "replayed nonce")


@pytest.mark.parametrize("limits", [{"requests": 13, "window": "PT1H"}, {"daily": 13}], ids=["window", "daily"])
def test_a_limit_of_n_lets_exactly_n_of_m_concurrent_requests_through_across_both(
    pair: Pair, limits: dict[str, Any]
) -> None:
    created = create_key(pair.owner, limits=limits)
    headers = {"X-API-Key": created["secret"]}
    bases = [pair.one.base, pair.two.base] * 20  # 40 requests, half to each process, 8 at a time

    def fetch(base: str) -> tuple[str, int]:
        return base, httpx.get(f"{base}/v1/sensors", headers=headers, timeout=10).status_code

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(fetch, bases))
    statuses = [status for _, status in answers]
    assert (statuses.count(200), statuses.count(429)) == (13, 27), statuses
    # Both processes served some of the 13 and refused some of the rest: one count, not one per process.
    for base in (pair.one.base, pair.two.base):
        assert {status for answered, status in answers if answered == base} == {200, 429}


def used(owner: httpx.Client, key_id: int) -> int:
    log = owner.get(f"/v1/keys/{key_id}/log")
    assert log.status_code == 200, log.text
    return sum(entry["count"] for entry in log.json()["items"] if entry["event"] == "used")


def test_uses_on_both_processes_all_reach_the_key_log(pair: Pair) -> None:
    created = create_key(pair.owner)
    headers = {"X-API-Key": created["secret"]}
    uses = {pair.one.base: 7, pair.two.base: 5}
    for base, count in uses.items():
        with httpx.Client(base_url=base, headers=headers, timeout=5) as client:
            for _ in range(count):
                assert client.get("/v1/sensors").status_code == 200

    # Each process flushes its counts every second (SENSORGATE_USAGE_FLUSH_SECONDS).
    deadline = time.monotonic() + 5
    while (seen := used(pair.owner, created["id"])) != sum(uses.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert seen == sum(uses.values()), f"the log shows {seen} uses of {sum(uses.values())}"
