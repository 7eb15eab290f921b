"""Redis stops under a running app and comes back: the service answers throughout, says so, and recovers alone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.accounts.throttle import LoginThrottle
from sensorgate.app import create_app
from sensorgate.credentials.nonces import NonceStore
from sensorgate.kit import outage as outage_module
from sensorgate.kit.errors import TooManyRequests
from sensorgate.settings import Settings
from tests.conftest import PASSWORD, make_settings
from tests.credentials.test_keys_api import as_key, create
from tests.services import RedisServer, redis_instance

Client = TestClient[Litestar]
pytestmark = pytest.mark.redis


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    """A Redis of this test's own, so that stopping it breaks no other test."""
    with redis_instance() as server:
        yield server


@pytest.fixture
def settings(database_url: str, tmp_path: Path, redis: RedisServer) -> Settings:
    return make_settings(database_url, tmp_path, redis_url=redis.url)


def wait_for_health(client: Client, body: dict[str, str], seconds: float = 5.0) -> float:
    started = time.monotonic()
    while (response := client.get("/health")).json() != body and time.monotonic() - started < seconds:
        time.sleep(0.1)
    assert response.status_code == 200 and response.json() == body
    return time.monotonic() - started


def test_the_service_answers_through_a_redis_outage_and_recovers(
    owner: Client, app: Litestar, redis: RedisServer
) -> None:
    key = create(owner, limits={"requests": 2, "window": "PT1H"})
    with as_key(app, key["secret"]) as client:
        assert client.get("/health").json() == {"status": "ok", "redis": "ok"}
        assert [client.get("/v1/sensors").status_code for _ in range(3)] == [200, 200, 429]

        redis.stop()
        # /health pings Redis itself, so it tells at once, without waiting for a request to fail.
        assert wait_for_health(client, {"status": "ok", "redis": "unavailable"}) < 2
        # Fail open: the key over its limit is served, without the headers nobody could compute.
        during = [client.get("/v1/sensors") for _ in range(3)]
        assert [r.status_code for r in during] == [200] * 3
        assert all("ratelimit" not in r.headers for r in during)
        # The usage report still answers, without the counts only Redis holds.
        report = owner.get("/v1/keys/usage")
        assert report.status_code == 200
        assert {i["key"]: i["windowUsed"] for i in report.json()["items"]}[key["id"]] is None
        # Logging in (whose throttle counts in Redis too) still works.
        login = owner.post("/v1/auth/login", json={"email": "ann@acme.example", "password": PASSWORD})
        assert login.status_code == 200, login.text

        redis.start()  # empty: it saved nothing, so the counts start again
        # Without anyone asking /health, the limiter tries Redis again by itself (every 5 s) and limits apply.
        started = time.monotonic()
        while "ratelimit" not in (first := client.get("/v1/sensors")).headers and time.monotonic() - started < 8:
            time.sleep(0.2)
        assert first.headers["ratelimit"].startswith('"window";r=1;'), first.headers  # the first count since
        assert [client.get("/v1/sensors").status_code for _ in range(2)] == [200, 429]
        assert client.get("/health").json() == {"status": "ok", "redis": "ok"}


def test_health_without_redis_is_the_plain_answer(tmp_path: Path, database_url: str) -> None:
    with TestClient(app=create_app(make_settings(database_url, tmp_path))) as client:
        assert client.get("/health").json() == {"status": "ok"}


def test_nonces_and_the_login_throttle_come_back_with_redis(
    redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outage_module, "RETRY_SECONDS", 0.0)  # probe Redis again at once

    async def run() -> None:
        nonces, logins = NonceStore(redis.url, "outage-test"), LoginThrottle(redis.url, "outage-test", per_email=2)
        redis.stop()
        assert await nonces.first_use(1, "during") and nonces.outage.down
        await logins.failed("ann@acme.example", "192.0.2.1")
        assert logins.outage.down
        redis.start()
        # A nonce first used while Redis was down is still refused once Redis answers again (it was never there).
        assert not await nonces.first_use(1, "during")
        assert await nonces.first_use(1, "after") and not await nonces.first_use(1, "after")
        assert not nonces.outage.down
        # The throttle's outage ends with its first successful call, and it counts again.
        for _ in range(2):
            await logins.check("bob@acme.example", "192.0.2.2")
            await logins.failed("bob@acme.example", "192.0.2.2")
        assert not logins.outage.down
        with pytest.raises(TooManyRequests):
            await logins.check("bob@acme.example", "192.0.2.2")
        await nonces.close()

    asyncio.run(run())
