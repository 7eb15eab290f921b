"""Usage analytics: points returned and errors per credential per day

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Zero for the days counted before: those counts were not kept, and zero is what a report can add to.
    with op.batch_alter_table("credential_usage_daily", schema=None) as batch_op:
        batch_op.add_column(sa.Column("points", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("errors", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("credential_usage_daily", schema=None) as batch_op:
        batch_op.drop_column("errors")
        batch_op.drop_column("points")
