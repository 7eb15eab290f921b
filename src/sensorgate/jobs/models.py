"""One row per periodic job: who may run it next, so that several processes run it once between them."""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.db.metadata import UtcDateTime, metadata

job_runs = sa.Table(
    "job_runs",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    # A process owns the job until this time; a crashed run frees it when the claim lapses.
    sa.Column("claimed_until", UtcDateTime, nullable=True),
    sa.Column("last_started_at", UtcDateTime, nullable=True),
    sa.Column("last_finished_at", UtcDateTime, nullable=True),
    sa.Column("last_result", sa.JSON, nullable=True),
)
