"""Tables for measured points and their rollups.

Times are integer epoch milliseconds. Points are keyed by (series, time), so a series' points sit together
in time order: on SQLite the tables are WITHOUT ROWID, which makes the primary key the clustered index.
There are no foreign keys here on purpose: checking one for each of 100,000 backfilled points costs more
than the whole insert; deleting a sensor deletes its points explicitly (sensors/store.py).
"""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.db.metadata import metadata

points = sa.Table(
    "points",
    metadata,
    sa.Column("series_id", sa.Integer, primary_key=True),
    sa.Column("t", sa.BigInteger, primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
    sqlite_with_rowid=False,
)


def _rollup_table(name: str) -> sa.Table:
    """count/min/max/sum/first/last per series and bucket; first_t and last_t keep first and last exact."""
    return sa.Table(
        name,
        metadata,
        sa.Column("series_id", sa.Integer, primary_key=True),
        sa.Column("bucket", sa.BigInteger, primary_key=True),  # epoch ms of the bucket's start (UTC)
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("min", sa.Float, nullable=False),
        sa.Column("max", sa.Float, nullable=False),
        sa.Column("sum", sa.Float, nullable=False),
        sa.Column("first", sa.Float, nullable=False),
        sa.Column("last", sa.Float, nullable=False),
        sa.Column("first_t", sa.BigInteger, nullable=False),
        sa.Column("last_t", sa.BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )


rollups_hour = _rollup_table("rollups_hour")
rollups_day = _rollup_table("rollups_day")  # UTC days

# The newest point of each series, kept at ingest, so latest values need no search.
latest = sa.Table(
    "latest",
    metadata,
    sa.Column("series_id", sa.Integer, primary_key=True),
    sa.Column("t", sa.BigInteger, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sqlite_with_rowid=False,
)
