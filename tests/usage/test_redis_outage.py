"""Redis stops under a running app and comes back: the service answers throughout, says so, and recovers alone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.app import create_app
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
