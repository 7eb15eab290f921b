"""Refused attempts per reason per credential per day, for the console's usage charts

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 16:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credential_refusals_daily",
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_credential_refusals_daily_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("credential_id", "day", "reason", name=op.f("pk_credential_refusals_daily")),
    )
    # The reasons of the last 90 days are in the per-minute rows: carry them over, by UTC day.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "INSERT INTO credential_refusals_daily (credential_id, day, reason, count) "
            "SELECT credential_id, substr(minute, 1, 10), outcome, SUM(count) FROM credential_usage "
            "WHERE outcome <> 'used' GROUP BY credential_id, substr(minute, 1, 10), outcome"
        )
    else:
        op.execute(
            "INSERT INTO credential_refusals_daily (credential_id, day, reason, count) "
            "SELECT credential_id, (minute AT TIME ZONE 'UTC')::date, outcome, SUM(count) FROM credential_usage "
            "WHERE outcome <> 'used' GROUP BY credential_id, (minute AT TIME ZONE 'UTC')::date, outcome"
        )


def downgrade() -> None:
    op.drop_table("credential_refusals_daily")
