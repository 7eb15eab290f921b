"""sensors, series, points and rollups

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:30:04.324815
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "latest",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("t", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", name=op.f("pk_latest")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "points",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("t", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "t", name=op.f("pk_points")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "rollups_day",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("min", sa.Float(), nullable=False),
        sa.Column("max", sa.Float(), nullable=False),
        sa.Column("sum", sa.Float(), nullable=False),
        sa.Column("first", sa.Float(), nullable=False),
        sa.Column("last", sa.Float(), nullable=False),
        sa.Column("first_t", sa.BigInteger(), nullable=False),
        sa.Column("last_t", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "bucket", name=op.f("pk_rollups_day")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "rollups_hour",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("min", sa.Float(), nullable=False),
        sa.Column("max", sa.Float(), nullable=False),
        sa.Column("sum", sa.Float(), nullable=False),
        sa.Column("first", sa.Float(), nullable=False),
        sa.Column("last", sa.Float(), nullable=False),
        sa.Column("first_t", sa.BigInteger(), nullable=False),
        sa.Column("last_t", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "bucket", name=op.f("pk_rollups_hour")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_assets_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_assets_workspace_id_name")),
    )
    op.create_table(
        "device_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_device_groups_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_groups")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_device_groups_workspace_id_name")),
    )
    op.create_table(
        "sensors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("device_group_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=True),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_group_id"],
            ["device_groups.id"],
            name=op.f("fk_sensors_device_group_id_device_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_sensors_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensors")),
        sa.UniqueConstraint("workspace_id", "serial", name=op.f("uq_sensors_workspace_id_serial")),
    )
    with op.batch_alter_table("sensors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sensors_device_group_id"), ["device_group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sensors_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "sensor_assets",
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_sensor_assets_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sensor_id"], ["sensors.id"], name=op.f("fk_sensor_assets_sensor_id_sensors"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("sensor_id", "asset_id", name=op.f("pk_sensor_assets")),
    )
    with op.batch_alter_table("sensor_assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sensor_assets_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("input_unit", sa.String(length=20), nullable=False),
        sa.Column("expression", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sensor_id"], ["sensors.id"], name=op.f("fk_series_sensor_id_sensors"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
        sa.UniqueConstraint("sensor_id", "metric", name=op.f("uq_series_sensor_id_metric")),
    )
    op.create_table(
        "virtual_inputs",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("input_series_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["input_series_id"],
            ["series.id"],
            name=op.f("fk_virtual_inputs_input_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name=op.f("fk_virtual_inputs_series_id_series"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("series_id", "name", name=op.f("pk_virtual_inputs")),
    )
    with op.batch_alter_table("virtual_inputs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_virtual_inputs_input_series_id"), ["input_series_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("virtual_inputs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_virtual_inputs_input_series_id"))

    op.drop_table("virtual_inputs")
    op.drop_table("series")
    with op.batch_alter_table("sensor_assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sensor_assets_asset_id"))

    op.drop_table("sensor_assets")
    with op.batch_alter_table("sensors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sensors_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_sensors_device_group_id"))

    op.drop_table("sensors")
    op.drop_table("device_groups")
    op.drop_table("assets")
    op.drop_table("rollups_hour")
    op.drop_table("rollups_day")
    op.drop_table("points")
    op.drop_table("latest")
