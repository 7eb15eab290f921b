"""Tables for arrival ids and for the per-client batch delivery (docs/design.md, "Arrival ids").

A point's arrival id is (the seq of its batch's arrival) * 2**20 + its index in the batch: ids grow with the
order in which batches COMMIT, so "everything after id N" never skips a point written late (a backfill). The
point itself keeps `arrival_id` and `arrival_n` (sensors/models.py); the seq is only known when the batch seals.
"""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.db.metadata import metadata

# SQLite numbers a row by itself only for an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit one.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# One row per ingest batch. `seq` is null until the batch seals, just before its commit; a rolled-back batch
# leaves no row.
arrivals = sa.Table(
    "arrivals",
    metadata,
    sa.Column("id", _ID, primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=True, unique=True),
)

# The one row (id 1) that hands out seqs. Sealing updates it, so sealing batches queue on its row lock; the lock
# is held from the seal to the commit only, so that seqs are handed out in commit order.
arrival_clock = sa.Table(
    "arrival_clock",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
)

# Where a batch's points are: per series, the numbers n_first .. n_first + n_count - 1, in time order, between
# t_min and t_max. One row per series a batch writes rather than an index entry per point, which cost ingest
# nearly half of its point inserts (measured). A point changed later by another batch keeps its place in the span
# but not the span's arrival_id, so readers match arrival_id on the point too.
arrival_spans = sa.Table(
    "arrival_spans",
    metadata,
    sa.Column("arrival_id", sa.BigInteger, primary_key=True),
    sa.Column("n_first", sa.Integer, primary_key=True),
    sa.Column("n_count", sa.Integer, nullable=False),
    sa.Column("series_id", sa.Integer, nullable=False),
    sa.Column("t_min", sa.BigInteger, nullable=False),
    sa.Column("t_max", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

# Where each OAuth client is in GET /v2.0/sample/batch (the Ayyeka dialect), kept here so that every process
# agrees. Ids are arrival ids; `leased_to` is the last id of the batch out on lease until `lease_until` (epoch
# ms), and equals `acked` when no batch is out.
sample_batches = sa.Table(
    "sample_batches",
    metadata,
    sa.Column("credential_id", sa.Integer, sa.ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("acked", sa.BigInteger, nullable=False),
    sa.Column("leased_to", sa.BigInteger, nullable=False),
    sa.Column("lease_until", sa.BigInteger, nullable=False),
)
