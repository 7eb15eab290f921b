"""Tables for credentials and their secrets.

A credential holds the permissions (organization, workspaces, device group, scopes) and the lifecycle; a
secret is one string that proves it. Reissue and renew add a secret; the old one lives until its own expiry.
"""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.db.metadata import UtcDateTime, metadata

credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "organization_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("kind", sa.String(16), nullable=False),
    # A signing key's public id or an OAuth client's id: not secret, sent with every request. API keys: null.
    sa.Column("public_id", sa.String(40), nullable=True, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.String(1000), nullable=False),
    sa.Column("owner_name", sa.String(200), nullable=False),
    sa.Column("owner_email", sa.String(254), nullable=False),
    # Workspaces: `list` reaches the listed ones; `all` reaches every workspace of the organization but the listed.
    sa.Column("workspace_mode", sa.String(4), nullable=False),
    sa.Column("workspace_ids", sa.JSON, nullable=False),
    sa.Column("device_group_id", sa.Integer, sa.ForeignKey("device_groups.id", ondelete="CASCADE"), nullable=True),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("units", sa.JSON, nullable=False),  # metric -> unit the credential's responses use
    sa.Column("ip_allowlist", sa.JSON, nullable=False),  # CIDRs; empty: any address
    sa.Column("can_renew", sa.Boolean, nullable=False),
    sa.Column("lifetime_days", sa.Integer, nullable=False),  # for secrets made by reissue and renew
    sa.Column("limits", sa.JSON, nullable=True),
    sa.Column(
        "created_by_user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    ),
    sa.Column("created_by_credential_id", sa.Integer, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
    sa.Column("deleted_at", UtcDateTime, nullable=True),
    sa.Column("last_used_at", UtcDateTime, nullable=True),  # written in batches by usage/recorder.py
    sa.CheckConstraint("kind IN ('api_key', 'signing_key', 'oauth_client')", name="kind"),
    sa.CheckConstraint("workspace_mode IN ('list', 'all')", name="workspace_mode"),
)

credential_secrets = sa.Table(
    "credential_secrets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "credential_id", sa.Integer, sa.ForeignKey("credentials.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("prefix", sa.String(16), nullable=False),  # the first characters, for display only
    # HMAC-SHA256 under the server pepper; the secret itself is never stored. Null once purged.
    sa.Column("secret_hash", sa.LargeBinary(32), nullable=True, unique=True),
    # Signing secrets only: AES-GCM under the master key (kit/sealing.py), as the server must read them back.
    sa.Column("sealed_secret", sa.LargeBinary, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
)
