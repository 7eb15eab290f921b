"""SQL for the job claims. Functions take a Connection and never commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from sensorgate.db.upsert import insert
from sensorgate.jobs.models import job_runs


def take_claim(conn: sa.Connection, name: str, now: datetime, until: datetime, every: timedelta | None) -> bool:
    """Claim the job until `until` if no live claim holds it and (with `every`) it last finished `every` ago.

    One conditional UPDATE: of several processes racing, exactly one matches the row.
    """
    conn.execute(insert(conn, job_runs).values(name=name).on_conflict_do_nothing(index_elements=[job_runs.c.name]))
    conditions = [
        job_runs.c.name == name,
        sa.or_(job_runs.c.claimed_until.is_(None), job_runs.c.claimed_until < now),
    ]
    if every is not None:
        conditions.append(sa.or_(job_runs.c.last_finished_at.is_(None), job_runs.c.last_finished_at <= now - every))
    taken = conn.execute(job_runs.update().where(*conditions).values(claimed_until=until, last_started_at=now))
    return taken.rowcount == 1


def release_claim(
    conn: sa.Connection, name: str, claimed: datetime, now: datetime, result: dict[str, Any] | None
) -> None:
    """Free the claim `claimed`, if it is still ours; with a result, record the run as finished."""
    values: dict[str, Any] = {"claimed_until": None}
    if result is not None:
        values |= {"last_finished_at": now, "last_result": result}
    conn.execute(job_runs.update().where(job_runs.c.name == name, job_runs.c.claimed_until == claimed).values(**values))
