"""Usage counting: batched off the request path, additive across processes, and GET /v1/keys/usage."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.app import create_app
from sensorgate.db.engine import Database
from sensorgate.kit.times import utcnow
from sensorgate.settings import Settings
from sensorgate.usage import store
from sensorgate.usage.models import credential_usage, credential_usage_daily
from sensorgate.usage.recorder import Tally, UsageRecorder
from tests.conftest import add_user, assert_error, login, make_settings
from tests.credentials.test_keys_api import as_key, create
from tests.measurements.conftest import backfill, make_sensor

Client = TestClient[Litestar]


def usage_rows(db: Database) -> list[Any]:
    return db.read_sync(lambda conn: list(conn.execute(sa.select(credential_usage)).all()))


def test_a_request_writes_nothing_until_the_flush(owner: Client, app: Litestar, db: Database) -> None:
    key = create(owner)
    recorder: UsageRecorder = app.state.sensorgate.usage
    client = as_key(app, key["secret"])
    # Not entered as a context manager: no lifespan, so no flush at exit either.
    for _ in range(5):
        assert client.get("/v1/sensors").status_code == 200
    assert usage_rows(db) == []
    assert asyncio.run(recorder.flush(db)) == 2  # the minute of uses, and the day of data:read uses
    [row] = usage_rows(db)
    assert (row.credential_id, row.outcome, row.count) == (key["id"], "used", 5)
    assert asyncio.run(recorder.flush(db)) == 0  # nothing new: nothing written


def test_the_app_flushes_on_its_own_and_at_shutdown(settings: Settings, tmp_path: Any) -> None:
    quick = make_settings(settings.database_url or "", tmp_path, usage_flush_seconds=0.2)
    app = create_app(quick)
    db = app.state.sensorgate.db
    add_user(db, "ann@acme.example", "acme")
    with TestClient(app=app, base_url="https://testserver.local") as client:
        login(client, "ann@acme.example")
        secret = create(client)["secret"]
        assert client.get("/v1/sensors", headers={"X-API-Key": secret}).status_code == 200
        deadline = time.monotonic() + 10
        while not usage_rows(db) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [r.count for r in usage_rows(db)] == [1]  # the background task wrote it
        assert client.get("/v1/sensors", headers={"X-API-Key": secret}).status_code == 200
    # Leaving the client stops the app, which writes what is left.
    assert sum(r.count for r in usage_rows(db)) == 2


def test_flushes_from_several_processes_add_up(owner: Client, db: Database) -> None:
    key = create(owner)["id"]
    minute = int(time.time() // 60)
    early = Tally(count=3, last_at=minute * 60 + 10, last_ip="192.0.2.1", last_user_agent="a")
    late = Tally(count=4, last_at=minute * 60 + 20, last_ip="192.0.2.2", last_user_agent="b")
    # The later sighting flushes first: the row must still end with it.
    db.write_sync(store.add_usage, {(key, minute, "used"): late})
    db.write_sync(store.add_usage, {(key, minute, "used"): early, (key, minute, "scope"): early})
    rows = {r.outcome: r for r in usage_rows(db)}
    assert rows["used"].count == 7 and rows["used"].last_ip == "192.0.2.2" and rows["used"].last_user_agent == "b"
    assert rows["scope"].count == 3
    [daily] = db.read_sync(lambda conn: list(conn.execute(sa.select(credential_usage_daily)).all()))
    assert (daily.requests, daily.refused) == (7, 3)


def test_a_failed_flush_keeps_the_counts(owner: Client, app: Litestar, db: Database) -> None:
    key = create(owner)
    recorder: UsageRecorder = app.state.sensorgate.usage
    client = as_key(app, key["secret"])
    assert client.get("/v1/sensors").status_code == 200

    class Down:
        async def write(self, *_: Any) -> None:
            raise ConnectionError("database down")

    with pytest.raises(ConnectionError):
        asyncio.run(recorder.flush(Down()))  # type: ignore[arg-type]
    assert client.get("/v1/sensors").status_code == 200
    asyncio.run(recorder.flush(db))
    assert [r.count for r in usage_rows(db)] == [2]


def test_points_and_errors_survive_a_failed_flush(owner: Client, db: Database) -> None:
    key = create(owner)
    recorder = UsageRecorder()
    recorder.finished(key["id"], 200, 40)
    recorder.finished(key["id"], 500, 0)
    recorder.finished(key["id"], 304, 5)  # neither: a 304 sends no points

    class Down:
        async def write(self, *_: Any) -> None:
            raise ConnectionError("database down")

    with pytest.raises(ConnectionError):
        asyncio.run(recorder.flush(Down()))  # type: ignore[arg-type]
    recorder.finished(key["id"], 200, 2)
    assert asyncio.run(recorder.flush(db)) == 1
    days = db.read_sync(lambda conn: conn.execute(sa.select(credential_usage_daily)).all())
    assert [(d.requests, d.points, d.errors) for d in days] == [(0, 42, 1)]


def test_counts_for_a_vanished_credential_are_dropped(db: Database) -> None:
    recorder = UsageRecorder()
    recorder.used(4242, "192.0.2.1", None)
    assert asyncio.run(recorder.flush(db)) == 1
    assert usage_rows(db) == []


def test_usage_per_day(owner: Client, app: Litestar) -> None:
    busy, idle = create(owner, limits={"daily": 1000}), create(owner, name="idle")
    with as_key(app, busy["secret"]) as client:
        for _ in range(3):
            assert client.get("/v1/sensors").status_code == 200
        assert_error(client.post("/v1/sensors", json={"name": "x", "metrics": [{"metric": "co2"}]}), 403)
    response = owner.get("/v1/keys/usage")
    assert response.status_code == 200
    body = response.json()
    assert body["date"] == utcnow().date().isoformat()
    by_key = {item["key"]: item for item in body["items"]}
    assert by_key[busy["id"]] == {
        "key": busy["id"], "name": "integration", "kind": "api_key", "requests": 3, "refused": 1,
        "points": 0, "errors": 0, "dailyLimit": 1000, "limits": {"daily": 1000}, "revoked": False,
        "plan": {"requests": 1_000_000, "window": "PT15M", "daily": 1000, "tokens": 15},
        "windowUsed": 3, "dailyUsed": 3, "publicId": None,
    }  # fmt: skip
    assert (by_key[idle["id"]]["requests"], by_key[idle["id"]]["dailyLimit"]) == (0, None)
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    assert owner.get("/v1/keys/usage", params={"date": yesterday}).json() == {"date": yesterday, "items": []}


def test_points_returned_and_errors_per_day(owner: Client, app: Litestar) -> None:
    sensor = make_sensor(owner)
    now = utcnow().replace(microsecond=0)
    times = [(now - timedelta(minutes=m)).isoformat() for m in range(1, 6)]
    backfill(
        owner,
        [{"sensor": sensor["id"], "metric": "temperature", "value": 20 + i, "time": t} for i, t in enumerate(times)],
    )
    key = create(owner, scopes=["data:read"])
    with as_key(app, key["secret"]) as client:
        history = client.get("/v1/measurements", params={"sensor": sensor["id"], "last": "PT1H"})
        assert history.status_code == 200 and len(history.json()["items"]) == 5
        # An unchanged page answered 304 holds no points.
        again = client.get(
            "/v1/measurements",
            params={"sensor": sensor["id"], "last": "PT1H"},
            headers={"If-None-Match": history.headers["etag"]},
        )
        assert again.status_code == 304
        assert len(client.get("/v1/measurements/latest").json()["items"]) == 1
        buckets = client.get("/v1/measurements/aggregate", params={"sensor": sensor["id"], "bucket": "PT1M"})
        assert buckets.status_code == 200
        # Errors: requests let through that failed; the refusal (a scope it lacks) is counted apart.
        assert_error(client.get("/v1/sensors/999999"), 404)
        assert_error(client.get("/v1/measurements", params={"last": "yesterday"}), 400)
        assert_error(client.post("/v1/sensors", json={"name": "x", "metrics": [{"metric": "co2"}]}), 403)
    item = {i["key"]: i for i in owner.get("/v1/keys/usage").json()["items"]}[key["id"]]
    expected_points = 5 + 1 + len(buckets.json()["items"])
    assert (item["requests"], item["refused"], item["points"], item["errors"]) == (6, 1, expected_points, 2)
    assert len(buckets.json()["items"]) >= 5


@pytest.mark.parametrize(
    ("day", "message"),
    [("22/11/2026", "YYYY-MM-DD"), ("2999-01-01", "not happened"), ("2020-01-01", "400 days"), ("x" * 11, "date")],
)
def test_bad_usage_dates_are_400(owner: Client, day: str, message: str) -> None:
    assert_error(owner.get("/v1/keys/usage", params={"date": day}), 400, message)


def test_who_sees_which_usage(owner: Client, app: Litestar, db: Database) -> None:
    watcher = create(owner, name="watcher", scopes=["usage:read"])
    other = create(owner, name="other")
    with as_key(app, watcher["secret"]) as client:
        assert [i["key"] for i in client.get("/v1/keys/usage").json()["items"]] == [watcher["id"]]
    with as_key(app, other["secret"]) as client:
        assert_error(client.get("/v1/keys/usage"), 403, "usage:read")
    with as_key(app, "") as anonymous:
        assert_error(anonymous.get("/v1/keys/usage"), 401)
    add_user(db, "eve@other.example", "other", "owner")
    with TestClient(app=app, base_url="https://testserver.local") as eve:
        login(eve, "eve@other.example")
        assert eve.get("/v1/keys/usage").json()["items"] == []  # another organization's keys never show


def test_a_user_agent_with_a_nul_byte_does_not_block_the_counts(owner: Client, db: Database) -> None:
    """PostgreSQL text cannot hold NUL: such an agent is stored without it, and the batch goes through."""
    key = create(owner)["id"]
    recorder = UsageRecorder()
    recorder.used(key, "192.0.2.1", "bad\x00agent")
    assert asyncio.run(recorder.flush(db)) == 1
    assert [(r.count, r.last_user_agent) for r in usage_rows(db)] == [(1, "badagent")]


def test_each_use_counts_the_scope_it_exercised(owner: Client, app: Litestar, db: Database) -> None:
    """Per key and day, which scopes its requests used: what key health reads to find scopes held but unused."""
    key = create(owner, scopes=["data:read", "data:write", "keys:read", "usage:read"])
    with as_key(app, key["secret"]) as client:
        assert client.get("/v1/sensors").status_code == 200
        assert client.get("/v1/sensors").status_code == 200
        assert client.get("/v1/keys").status_code == 200
        assert client.get("/v1/me").status_code == 200  # needs no scope: counts none
    asyncio.run(app.state.sensorgate.usage.flush(db))
    used = db.read_sync(store.scopes_used, [key["id"]], utcnow().date())
    assert used == {key["id"]: {"data:read", "keys:read"}}  # data:write and usage:read held, never used
