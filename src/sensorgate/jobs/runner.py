"""Running a periodic job once across every process that shares the database.

A run first claims the job's row with one conditional UPDATE: only the process whose UPDATE matched runs it.
The claim lapses after CLAIM_FOR, so a process that died mid-run does not block the job for ever.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sensorgate.credentials.oauth import purge_revoked_tokens
from sensorgate.credentials.purge import purge_secrets
from sensorgate.db.engine import Database
from sensorgate.jobs.models import job_runs
from sensorgate.kit.timeutil import iso, utcnow
from sensorgate.usage import store as usage_store
from sensorgate.usage.report import KEPT_DAYS

CLAIM_FOR = timedelta(minutes=30)
USAGE_MINUTES_KEPT = timedelta(days=90)


def purge(conn: sa.Connection, now: datetime) -> dict[str, Any]:
    """Dead secrets' hashes after 28 days; per-minute usage after 90 days; per-day usage after 400; revocations
    of access tokens once the tokens have expired."""
    minutes, days = usage_store.delete_before(conn, now - USAGE_MINUTES_KEPT, (now - timedelta(days=KEPT_DAYS)).date())
    return {
        "secretsPurged": purge_secrets(conn, now),
        "usageMinutesDeleted": minutes,
        "usageDaysDeleted": days,
        "revokedTokensDeleted": purge_revoked_tokens(conn, now),
    }


JOBS: dict[str, Callable[[sa.Connection, datetime], dict[str, Any]]] = {"purge": purge}


def claim(conn: sa.Connection, name: str, now: datetime, every: timedelta | None) -> bool:
    """Take the job if nobody holds it and (with `every`) its last run finished at least `every` ago."""
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(job_runs)
    conn.execute(insert.values(name=name).on_conflict_do_nothing(index_elements=[job_runs.c.name]))
    conditions = [
        job_runs.c.name == name,
        sa.or_(job_runs.c.claimed_until.is_(None), job_runs.c.claimed_until < now),
    ]
    if every is not None:
        conditions.append(sa.or_(job_runs.c.last_finished_at.is_(None), job_runs.c.last_finished_at <= now - every))
    taken = conn.execute(
        job_runs.update().where(*conditions).values(claimed_until=now + CLAIM_FOR, last_started_at=now)
    )
    return taken.rowcount == 1


def _finish(conn: sa.Connection, name: str, now: datetime, result: dict[str, Any] | None) -> None:
    values: dict[str, Any] = {"claimed_until": None}
    if result is not None:
        values |= {"last_finished_at": now, "last_result": result}
    conn.execute(job_runs.update().where(job_runs.c.name == name).values(**values))


def run(db: Database, name: str, every: timedelta | None = None) -> dict[str, Any] | None:
    """Run a job here, unless another process holds it (or, with `every`, ran it recently): then None.

    Blocking: call it from a thread or the CLI.
    """
    job = JOBS[name]
    if not db.write_sync(claim, name, utcnow(), every):
        return None
    try:
        result = db.write_sync(job, utcnow())
    except BaseException:
        db.write_sync(_finish, name, utcnow(), None)
        raise
    finished = utcnow()
    db.write_sync(_finish, name, finished, result)
    return {"job": name, "finishedAt": iso(finished), **result}
