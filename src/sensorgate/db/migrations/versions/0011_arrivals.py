"""Arrival ids for points, and the per-client sample batches of the Ayyeka dialect

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 16:00:00.000000

Points already stored get ids too, in (series, time) order, 2**20 to an arrival, so that a batch client starting
from nothing receives them; points written later get larger ids.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

PER_ARRIVAL = 2**20


def upgrade() -> None:
    op.create_table(
        "arrivals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrivals")),
        sa.UniqueConstraint("seq", name=op.f("uq_arrivals_seq")),
    )
    op.create_table(
        "arrival_clock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_arrival_clock")),
    )
    op.create_table(
        "arrival_spans",
        sa.Column("arrival_id", sa.BigInteger(), nullable=False),
        sa.Column("n_first", sa.Integer(), nullable=False),
        sa.Column("n_count", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("t_min", sa.BigInteger(), nullable=False),
        sa.Column("t_max", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("arrival_id", "n_first", name=op.f("pk_arrival_spans")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "sample_batches",
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("acked", sa.BigInteger(), nullable=False),
        sa.Column("leased_to", sa.BigInteger(), nullable=False),
        sa.Column("lease_until", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_sample_batches_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("credential_id", name=op.f("pk_sample_batches")),
    )
    op.add_column("points", sa.Column("arrival_id", sa.BigInteger(), nullable=True))
    op.add_column("points", sa.Column("arrival_n", sa.Integer(), nullable=True))
    conn = op.get_bind()
    count = conn.execute(sa.text("SELECT count(*) FROM points")).scalar_one()
    chunks = -(-count // PER_ARRIVAL)
    for seq in range(1, chunks + 1):
        # On a new table these get ids 1, 2, ...: the same numbers as their seqs, which the UPDATE relies on.
        conn.execute(sa.text("INSERT INTO arrivals (seq) VALUES (:seq)"), {"seq": seq})
    if count:
        # Integer arithmetic instead of % or MOD(): the same on both databases, and no `%` for the driver to read.
        conn.execute(
            sa.text(
                "UPDATE points SET arrival_id = r.k / :per + 1, arrival_n = r.k - (r.k / :per) * :per "
                "FROM (SELECT series_id, t, ROW_NUMBER() OVER (ORDER BY series_id, t) - 1 AS k FROM points) r "
                "WHERE points.series_id = r.series_id AND points.t = r.t"
            ),
            {"per": PER_ARRIVAL},
        )
        # Numbered in (series, time) order, each series' points are one run of numbers per arrival.
        conn.execute(
            sa.text(
                "INSERT INTO arrival_spans (arrival_id, n_first, n_count, series_id, t_min, t_max) "
                "SELECT arrival_id, MIN(arrival_n), COUNT(*), series_id, MIN(t), MAX(t) FROM points "
                "GROUP BY arrival_id, series_id"
            )
        )
    conn.execute(sa.text("INSERT INTO arrival_clock (id, seq) VALUES (1, :seq)"), {"seq": chunks})


def downgrade() -> None:
    op.drop_column("points", "arrival_n")
    op.drop_column("points", "arrival_id")
    op.drop_table("sample_batches")
    op.drop_table("arrival_spans")
    op.drop_table("arrival_clock")
    op.drop_table("arrivals")
