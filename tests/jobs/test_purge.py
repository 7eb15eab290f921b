"""The purge job: dead secrets' hashes go after 28 days, the audit trail stays, and it runs once at a time."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.audit.models import audit_events
from sensorgate.credentials.models import credential_secrets
from sensorgate.db.engine import Database, create_engine
from sensorgate.jobs import runner
from sensorgate.kit.times import utcnow
from sensorgate.settings import Settings
from sensorgate.usage.models import credential_usage, credential_usage_daily
from tests.conftest import assert_error
from tests.credentials.test_keys_api import as_key, create

Client = TestClient[Litestar]


def age_secrets(db: Database, key_id: int, **values: Any) -> None:
    db.write_sync(
        lambda conn: conn.execute(
            credential_secrets.update().where(credential_secrets.c.credential_id == key_id).values(**values)
        )
    )


def hashes(db: Database, key_id: int) -> list[bytes | None]:
    return db.read_sync(
        lambda conn: list(
            conn.execute(
                sa.select(credential_secrets.c.secret_hash).where(credential_secrets.c.credential_id == key_id)
            ).scalars()
        )
    )


def test_purge_erases_only_secrets_dead_for_28_days(owner: Client, app: Litestar, db: Database) -> None:
    now = utcnow()
    revoked_long_ago, revoked_lately, expired_long_ago, alive = (create(owner, name=n) for n in "abcd")
    for key in (revoked_long_ago, revoked_lately):
        assert owner.post(f"/v1/keys/{key['id']}/revoke").status_code == 200
    age_secrets(db, revoked_long_ago["id"], revoked_at=now - timedelta(days=29))
    age_secrets(db, revoked_lately["id"], revoked_at=now - timedelta(days=27))
    age_secrets(db, expired_long_ago["id"], expires_at=now - timedelta(days=28, minutes=1))

    result = runner.run(db, "purge")
    assert result is not None and result["secretsPurged"] == 2
    assert hashes(db, revoked_long_ago["id"]) == [None] and hashes(db, expired_long_ago["id"]) == [None]
    assert None not in hashes(db, revoked_lately["id"]) + hashes(db, alive["id"])
    # The key, its secret's display prefix and its trail stay, with the purge added to the trail.
    kept = owner.get(f"/v1/keys/{revoked_long_ago['id']}?includeRevoked=true").json()
    assert kept["secrets"][0]["prefix"] == revoked_long_ago["secret"][:8]
    events = [e["event"] for e in owner.get(f"/v1/keys/{revoked_long_ago['id']}/log").json()["items"]]
    assert events == ["created", "revoked", "secrets_purged"]
    # An erased secret is now simply unknown; a live one still works.
    with as_key(app, expired_long_ago["secret"]) as client:
        assert_error(client.get("/v1/sensors"), 401, "unknown")
    with as_key(app, alive["secret"]) as client:
        assert client.get("/v1/sensors").status_code == 200

    # Running again finds nothing, and audits nothing twice.
    assert runner.run(db, "purge")["secretsPurged"] == 0  # type: ignore[index]
    purged = db.read_sync(
        lambda conn: conn.execute(
            sa.select(sa.func.count()).select_from(audit_events).where(audit_events.c.action == "secrets_purged")
        ).scalar_one()
    )
    assert purged == 2


def test_purge_drops_old_usage_minutes(owner: Client, db: Database) -> None:
    key = create(owner)["id"]
    now = utcnow().replace(second=0, microsecond=0)
    rows = [
        {"credential_id": key, "minute": now - timedelta(days=days), "outcome": "used", "count": 1,
         "last_at": now - timedelta(days=days), "last_ip": None, "last_user_agent": None}
        for days in (91, 89)
    ]  # fmt: skip
    db.write_sync(lambda conn: conn.execute(credential_usage.insert(), rows))
    assert runner.run(db, "purge")["usageMinutesDeleted"] == 1  # type: ignore[index]
    left = db.read_sync(lambda conn: list(conn.execute(sa.select(credential_usage.c.minute)).scalars()))
    assert left == [now - timedelta(days=89)]


def test_purge_keeps_daily_usage_400_days(owner: Client, db: Database) -> None:
    key = create(owner)["id"]
    today = utcnow().date()
    rows = [
        {
            "credential_id": key,
            "day": today - timedelta(days=days),
            "requests": 3,
            "refused": 1,
            "points": 300,
            "errors": 1,
        }
        for days in (401, 399)
    ]
    db.write_sync(lambda conn: conn.execute(credential_usage_daily.insert(), rows))
    assert runner.run(db, "purge")["usageDaysDeleted"] == 1  # type: ignore[index]
    left = db.read_sync(lambda conn: conn.execute(sa.select(credential_usage_daily)).all())
    assert [(r.day, r.points, r.errors) for r in left] == [(today - timedelta(days=399), 300, 1)]


def test_a_claimed_job_runs_in_one_place_at_a_time(db: Database) -> None:
    now = utcnow()
    assert db.write_sync(runner.claim, "purge", now, None)
    assert not db.write_sync(runner.claim, "purge", now, None)  # held
    assert db.write_sync(runner.claim, "purge", now + runner.CLAIM_FOR + timedelta(seconds=1), None)  # lapsed


def test_a_recent_run_is_not_due(db: Database) -> None:
    every = timedelta(hours=1)
    assert runner.run(db, "purge", every) is not None
    assert runner.run(db, "purge", every) is None  # ran a moment ago
    assert runner.run(db, "purge") is not None  # by hand, it runs anyway


def test_processes_running_the_job_at_once_run_it_once(settings: Settings, db: Database) -> None:
    """Four 'processes' (own engines, own threads) reach for the hourly job together: one runs it."""
    results: list[dict[str, Any] | None] = []
    start = threading.Barrier(4)

    def process() -> None:
        own = Database(create_engine(settings.sqlalchemy_url))
        try:
            start.wait()
            results.append(runner.run(own, "purge", timedelta(hours=1)))
        finally:
            own.dispose()

    threads = [threading.Thread(target=process) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 4
    assert sum(r is not None for r in results) == 1


def test_a_run_that_outlived_its_claim_does_not_free_the_next_one(db: Database) -> None:
    now = utcnow()
    first = db.write_sync(runner.claim, "purge", now, None)
    later = now + runner.CLAIM_FOR + timedelta(seconds=1)
    second = db.write_sync(runner.claim, "purge", later, None)  # the first run is presumed dead
    assert first and second and first != second
    db.write_sync(runner._finish, "purge", first, later, {"late": 1})  # ...but it finishes after all
    assert not db.write_sync(runner.claim, "purge", later, None)  # the second claim still holds
    db.write_sync(runner._finish, "purge", second, later, {})
    assert db.write_sync(runner.claim, "purge", later, None)
