"""Tables for sensors, their device groups and assets, their time series and the points of those series.

The points and their rollups are here, beside the series they belong to, so that deleting a sensor deletes all
of its data in one place (store.delete_sensor); the measurements package writes and reads them.

Point times are integer epoch milliseconds. Points are keyed by (series, time), so a series' points sit together
in time order: on SQLite the tables are WITHOUT ROWID, which makes the primary key the clustered index.
There are no foreign keys on the point tables on purpose: checking one for each of 100,000 backfilled points
costs more than the whole insert.
"""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.db.metadata import UtcDateTime, metadata

device_groups = sa.Table(
    "device_groups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("workspace_id", "name"),
)

assets = sa.Table(
    "assets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("workspace_id", "name"),
)

sensors = sa.Table(
    "sensors",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "workspace_id", sa.Integer, sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column(
        "device_group_id", sa.Integer, sa.ForeignKey("device_groups.id", ondelete="SET NULL"), nullable=True, index=True
    ),
    sa.Column("name", sa.String(200), nullable=False),
    # Unique within a workspace when given; several sensors may have none (NULLs never collide).
    sa.Column("serial", sa.String(100), nullable=True),
    sa.Column("type", sa.String(100), nullable=True),
    # Seconds between readings: drives the novelty of latest values.
    sa.Column("interval", sa.Integer, nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("last_seen", sa.BigInteger, nullable=True),  # epoch ms of the newest point
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("workspace_id", "serial"),
)

sensor_assets = sa.Table(
    "sensor_assets",
    metadata,
    sa.Column("sensor_id", sa.Integer, sa.ForeignKey("sensors.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("asset_id", sa.Integer, sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# One time series: a (sensor, metric). Virtual series are computed from other series at ingest.
series = sa.Table(
    "series",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sensor_id", sa.Integer, sa.ForeignKey("sensors.id", ondelete="CASCADE"), nullable=False),
    sa.Column("metric", sa.String(40), nullable=False),
    sa.Column("unit", sa.String(20), nullable=False),  # values are stored and served in this (canonical) unit
    sa.Column("input_unit", sa.String(20), nullable=False),  # the unit the device sends; converted at ingest
    sa.Column("expression", sa.Text, nullable=True),  # set for a virtual series
    sa.UniqueConstraint("sensor_id", "metric"),
)

# The variables of a virtual series' expression, and the series each one reads. Indexed by input, because
# ingest asks "which virtual series read the series I just wrote?".
virtual_inputs = sa.Table(
    "virtual_inputs",
    metadata,
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column(
        "input_series_id", sa.Integer, sa.ForeignKey("series.id", ondelete="CASCADE"), nullable=False, index=True
    ),
)


points = sa.Table(
    "points",
    metadata,
    sa.Column("series_id", sa.Integer, primary_key=True),
    sa.Column("t", sa.BigInteger, primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
    # The point's arrival id, by its batch's arrival row and its index in the batch (measurements/arrivals.py).
    # A changed value takes the arrival of the batch that changed it; an identical re-send keeps the old one.
    # No index: the batch's spans (arrival_spans) find its points, at one row per series instead of per point.
    sa.Column("arrival_id", sa.BigInteger, nullable=True),
    sa.Column("arrival_n", sa.Integer, nullable=True),
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
