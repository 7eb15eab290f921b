"""Ayyeka's batch delivery served by two `sensorgate serve` processes on one PostgreSQL database: the client's
position lives in the database, so whichever process answers, with acks, every sample comes exactly once, also
while new samples and late backfills (old times) are being written through both processes at the same time."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.web.test_scale_out import Pair, two_processes

pytestmark = [pytest.mark.postgres]

EMAIL = "ayyeka-processes@acme.example"
NOW = 1_795_000_000  # seconds; every time written lies before it
WRITERS = 2
BATCHES = 20  # per writer
PER_BATCH = 30


@pytest.fixture(scope="module")
def pair(postgres_admin_url: str, postgres_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("ayyeka-processes")
    with two_processes(postgres_admin_url, postgres_template, root, EMAIL, {}) as found:
        yield found


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _token(base: str, made: dict[str, Any]) -> str:
    pair = base64.b64encode(f"{made['publicId']}:{made['secret']}".encode()).decode()
    response = httpx.post(
        f"{base}/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {pair}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]  # type: ignore[no-any-return]


def _write(servers: list[str], key: str, sensor: int, writer: int, errors: list[str]) -> None:
    """New samples (near NOW) and late backfills (days back), alternating between the processes."""
    for batch in range(BATCHES):
        back = 0 if batch % 2 else 86_400 * (30 + batch)
        items = [
            {
                "sensor": sensor,
                "metric": "temperature" if k % 2 else "humidity",
                "value": writer * 1000 + batch + k / 100,
                "time": NOW - back - (writer * BATCHES * PER_BATCH + batch * PER_BATCH + k) * 60,
            }
            for k in range(PER_BATCH)
        ]
        response = httpx.post(
            f"{servers[batch % 2]}/v1/measurements", json={"items": items}, headers={"X-API-Key": key}, timeout=30
        )
        if response.status_code != 200:
            errors.append(response.text)


def test_two_processes_deliver_every_sample_once_while_writes_arrive(pair: Pair) -> None:
    sensor = _created(
        pair.owner.post(
            "/v1/sensors",
            json={"name": "Tank", "interval": 60, "metrics": [{"metric": "temperature"}, {"metric": "humidity"}]},
        )
    )["id"]
    writer_key = _created(pair.owner.post("/v1/keys", json={"name": "writer", "scopes": ["data:write"]}))["secret"]
    client = _created(
        pair.owner.post("/v1/keys", json={"name": "scada", "kind": "oauth_client", "scopes": ["data:read"]})
    )
    servers = [pair.one.base, pair.two.base]
    headers = {"Authorization": f"Bearer {_token(pair.one.base, client)}"}

    errors: list[str] = []
    writers = [threading.Thread(target=_write, args=(servers, writer_key, sensor, n, errors)) for n in range(WRITERS)]
    for thread in writers:
        thread.start()
    delivered: list[tuple[int, int, str]] = []
    calls = 0
    while True:
        calls += 1
        done = not any(thread.is_alive() for thread in writers)
        # Fetch on one process, acknowledge on the other: only the database knows the position.
        fetch, ack = servers[calls % 2], servers[(calls + 1) % 2]
        response = httpx.get(f"{fetch}/v2.0/sample/batch", headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        batch = response.json()
        samples = batch["samples"]
        delivered += [(s["id"], s["stream_id"], s["sample_date"]) for s in samples]
        if samples:
            acked = httpx.post(f"{ack}/v2.0/sample/batch/ack?sampleId={samples[-1]['id']}", headers=headers, timeout=30)
            assert acked.status_code == 204, acked.text
        elif done and not batch["has_more"]:
            break
        assert calls < 5_000
    assert errors == []
    ids = [d[0] for d in delivered]
    assert len(ids) == len(set(ids)), "a sample was delivered twice"
    assert ids == sorted(ids)
    written = WRITERS * BATCHES * PER_BATCH
    assert len({(d[1], d[2]) for d in delivered}) == len(delivered) == written, "a sample was skipped"


def test_both_processes_hand_out_the_same_leased_batch(pair: Pair) -> None:
    client = _created(
        pair.owner.post("/v1/keys", json={"name": "twin", "kind": "oauth_client", "scopes": ["data:read"]})
    )
    headers = {"Authorization": f"Bearer {_token(pair.two.base, client)}"}
    sensor = _created(pair.owner.post("/v1/sensors", json={"name": "Pump", "metrics": [{"metric": "power"}]}))["id"]
    points = [{"sensor": sensor, "metric": "power", "value": i, "time": NOW - i} for i in range(10)]
    assert pair.owner.post("/v1/measurements", json={"items": points}).status_code == 200
    answers: list[list[int]] = []

    def fetch(base: str) -> None:
        response = httpx.get(f"{base}/v2.0/sample/batch", headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        answers.append([s["id"] for s in response.json()["samples"]])

    threads = [threading.Thread(target=fetch, args=(base,)) for base in (pair.one.base, pair.two.base)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # At once, on two processes: one batch is out, not two (an ack of the second would skip the first).
    assert len(answers) == 2 and answers[0] == answers[1] and answers[0]
