"""Running a periodic job once across every process that shares the database.

A run first claims the job's row with one conditional UPDATE: only the process whose UPDATE matched runs it.
The claim lapses after CLAIM_FOR, so a process that died mid-run does not block the job for ever.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from sensorgate.credentials.oauth.server import purge_revoked_tokens
from sensorgate.credentials.purge import purge_secrets
from sensorgate.db.engine import Database
from sensorgate.jobs import store
from sensorgate.kit.times import iso, utcnow
from sensorgate.usage import store as usage_store
from sensorgate.usage.report import KEPT_DAYS

CLAIM_FOR = timedelta(minutes=30)
USAGE_MINUTES_KEPT = timedelta(days=90)


Step = Callable[[Database, datetime], dict[str, int]]
CHUNK = 200  # credentials per transaction when deleting old usage


def purge_secrets_step(db: Database, now: datetime) -> dict[str, int]:
    return {"secretsPurged": db.write_sync(purge_secrets, now)}


def purge_usage_step(db: Database, now: datetime) -> dict[str, int]:
    """Old usage, a few hundred credentials per transaction: on SQLite a writer holds the one write lock, and
    requests must not wait behind the whole purge."""
    minute_cutoff, day_cutoff = now - USAGE_MINUTES_KEPT, (now - timedelta(days=KEPT_DAYS)).date()
    ids = db.read_sync(usage_store.credential_ids)
    minutes = days = 0
    for start in range(0, len(ids), CHUNK):
        deleted = db.write_sync(usage_store.delete_before, minute_cutoff, day_cutoff, ids[start : start + CHUNK])
        minutes, days = minutes + deleted[0], days + deleted[1]
    return {"usageMinutesDeleted": minutes, "usageDaysDeleted": days}


def purge_revoked_tokens_step(db: Database, now: datetime) -> dict[str, int]:
    return {"revokedTokensDeleted": db.write_sync(purge_revoked_tokens, now)}


# Dead secrets' hashes after 28 days; per-minute usage after 90 days, per-day usage after 400; revocations of
# access tokens once the tokens have expired. Each step is its own transaction.
JOBS: dict[str, list[Step]] = {"purge": [purge_secrets_step, purge_usage_step, purge_revoked_tokens_step]}


def claim(conn: sa.Connection, name: str, now: datetime, every: timedelta | None) -> datetime | None:
    """Take the job if nobody holds it and (with `every`) its last run finished at least `every` ago.

    Returns the claim (its expiry), which only its holder can release, or None.
    """
    until = now + CLAIM_FOR
    return until if store.take_claim(conn, name, now, until, every) else None


def _finish(conn: sa.Connection, name: str, claimed: datetime, now: datetime, result: dict[str, Any] | None) -> None:
    # Only our own claim: a run that outlived CLAIM_FOR may have been taken over, and must not free the new one.
    store.release_claim(conn, name, claimed, now, result)


def run(db: Database, name: str, every: timedelta | None = None) -> dict[str, Any] | None:
    """Run a job here, unless another process holds it (or, with `every`, ran it recently): then None.

    Blocking: call it from a thread or the CLI.
    """
    steps = JOBS[name]
    claimed = db.write_sync(claim, name, utcnow(), every)
    if claimed is None:
        return None
    result: dict[str, Any] = {}
    try:
        for step in steps:
            result |= step(db, utcnow())
    except BaseException:
        db.write_sync(_finish, name, claimed, utcnow(), None)
        raise
    finished = utcnow()
    db.write_sync(_finish, name, claimed, finished, result)
    return {"job": name, "finishedAt": iso(finished), **result}
