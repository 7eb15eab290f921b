"""public ids and sealed signing secrets

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 06:51:01.977560
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credential_secrets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_secret", sa.LargeBinary(), nullable=True))

    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_id", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_credentials_public_id"), ["public_id"])


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_credentials_public_id"), type_="unique")
        batch_op.drop_column("public_id")

    with op.batch_alter_table("credential_secrets", schema=None) as batch_op:
        batch_op.drop_column("sealed_secret")
