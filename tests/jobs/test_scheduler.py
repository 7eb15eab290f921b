"""The scheduler inside serve runs the purge by itself, and stops with the app."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from sensorgate.db.engine import Database
from sensorgate.jobs import scheduler
from sensorgate.jobs.models import job_runs


def test_the_scheduler_runs_the_purge_and_stops(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler.random, "uniform", lambda *_: 0.0)  # no start-up spread in a test

    async def serve_a_moment() -> None:
        async with scheduler.running(db):
            for _ in range(200):
                await asyncio.sleep(0.05)
                if db.read_sync(lambda conn: conn.execute(sa.select(job_runs.c.last_finished_at)).scalar()):
                    return

    asyncio.run(serve_a_moment())
    row = db.read_sync(lambda conn: conn.execute(sa.select(job_runs)).one())
    assert row.name == "purge" and row.last_finished_at is not None and row.claimed_until is None
    assert row.last_result == {
        "secretsPurged": 0, "usageMinutesDeleted": 0, "usageDaysDeleted": 0, "revokedTokensDeleted": 0
    }  # fmt: skip
