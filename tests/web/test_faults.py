"""Faults of the parts sensorgate depends on: a PostgreSQL restart under a running `sensorgate serve`."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from sensorgate.db.engine import Database, create_engine
from tests.cli.helpers import clean_env, serving
from tests.conftest import PASSWORD, add_user, assert_error
from tests.services import PostgresCluster, free_port, postgres_cluster

EMAIL = "faults@acme.example"


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    """A cluster of this test's own, so that stopping it breaks no other test."""
    with postgres_cluster() as own:
        yield own


def timed(client: httpx.Client, path: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


@contextmanager
def logged_in_owner(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=10) as owner:
        login = owner.post("/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        assert login.status_code == 200, login.text
        owner.headers["X-CSRF-Token"] = login.json()["csrfToken"]
        yield owner


def used(owner: httpx.Client, key_id: int) -> int:
    log = owner.get(f"/v1/keys/{key_id}/log")
    assert log.status_code == 200, log.text
    return sum(entry["count"] for entry in log.json()["items"] if entry["event"] == "used")


@pytest.mark.postgres
def test_a_postgres_restart_answers_503_then_recovers_without_a_restart(
    cluster: PostgresCluster, tmp_path: Path
) -> None:
    env = clean_env(
        tmp_path / "data",
        SENSORGATE_DATABASE_URL=cluster.url,
        SENSORGATE_SECURE_COOKIES="false",  # plain HTTP on localhost
        SENSORGATE_SCHEDULER="false",
        SENSORGATE_SECRET_KEY="k" * 40,
        SENSORGATE_HASH_PEPPER="p" * 40,
        SENSORGATE_MASTER_KEY=base64.urlsafe_b64encode(b"m" * 32).decode(),
    )
    with serving(["--migrate"], env, free_port(), tmp_path / "logs", timeout=30) as server:
        db = Database(create_engine(cluster.url))
        add_user(db, EMAIL, "acme")
        db.dispose()
        with (
            logged_in_owner(server.base) as owner,
            httpx.Client(base_url=server.base, timeout=10) as client,
        ):
            created = owner.post("/v1/keys", json={"name": "fault"})
            assert created.status_code == 201, created.text
            key_id = created.json()["id"]
            client.headers["X-API-Key"] = created.json()["secret"]
            assert client.get("/health").status_code == 200
            assert client.get("/v1/sensors").status_code == 200
            served = 1

            cluster.stop()
            time.sleep(1.1)  # past the key cache's second, so the key's check asks the database too
            for path in ("/health", "/v1/sensors"):
                response, took = timed(client, path)
                body = assert_error(response, 503, "database")
                assert body["path"] == path
                assert response.headers["retry-after"].isdigit(), response.headers
                assert took < 2.0, f"{path} took {took:.2f} s to fail"

            cluster.start()
            deadline = time.monotonic() + 5
            for path in ("/health", "/v1/sensors"):
                while (response := client.get(path)).status_code != 200 and time.monotonic() < deadline:
                    time.sleep(0.1)
                assert response.status_code == 200, f"{path} after the restart: {response.text}"
            served += 1

            # The use counted before the outage waited in memory through the failed flushes; none is lost.
            while (seen := used(owner, key_id)) != served and time.monotonic() < deadline + 3:
                time.sleep(0.2)
            assert seen == served
        assert server.process.poll() is None, server.logs()
