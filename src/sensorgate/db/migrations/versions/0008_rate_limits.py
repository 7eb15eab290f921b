"""Rate limits: an organization's plan

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 07:45:36.218103
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: an organization without a plan of its own gets the default one (usage/plans.py).
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rate_limits", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("rate_limits")
