"""credentials, secrets, audit events, organization key policy

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 05:00:43.934688
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("owner_email", sa.String(length=254), nullable=False),
        sa.Column("workspace_mode", sa.String(length=4), nullable=False),
        sa.Column("workspace_ids", sa.JSON(), nullable=False),
        sa.Column("device_group_id", sa.Integer(), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("ip_allowlist", sa.JSON(), nullable=False),
        sa.Column("can_renew", sa.Boolean(), nullable=False),
        sa.Column("lifetime_days", sa.Integer(), nullable=False),
        sa.Column("limits", sa.JSON(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_by_credential_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('api_key', 'signing_key', 'oauth_client')", name=op.f("ck_credentials_kind")),
        sa.CheckConstraint("workspace_mode IN ('list', 'all')", name=op.f("ck_credentials_workspace_mode")),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_credentials_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["device_group_id"],
            ["device_groups.id"],
            name=op.f("fk_credentials_device_group_id_device_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_credentials_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credentials_created_by_user_id"), ["created_by_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credentials_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_credential_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_audit_events_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_audit_events_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_credential_id"), ["credential_id"], unique=False)

    op.create_table(
        "credential_secrets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_credential_secrets_credential_id_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_secrets")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_credential_secrets_secret_hash")),
    )
    with op.batch_alter_table("credential_secrets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_secrets_credential_id"), ["credential_id"], unique=False)

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_key_lifetime_days", sa.Integer(), server_default="365", nullable=False))
        batch_op.add_column(sa.Column("max_active_keys_per_user", sa.Integer(), server_default="5", nullable=False))


def downgrade() -> None:

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("max_active_keys_per_user")
        batch_op.drop_column("max_key_lifetime_days")

    with op.batch_alter_table("credential_secrets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_secrets_credential_id"))

    op.drop_table("credential_secrets")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_credential_id"))

    op.drop_table("audit_events")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_organization_id"))
        batch_op.drop_index(batch_op.f("ix_credentials_created_by_user_id"))

    op.drop_table("credentials")
