"""Tables for organizations, workspaces, users, memberships and console login sessions."""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.db.metadata import UtcDateTime, metadata

organizations = sa.Table(
    "organizations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slug", sa.String(63), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # Credential policy: the longest lifetime a secret may have, and how many active credentials one user
    # may have created.
    sa.Column("max_key_lifetime_days", sa.Integer, nullable=False, server_default="365"),
    sa.Column("max_active_keys_per_user", sa.Integer, nullable=False, server_default="5"),
    # The organization's rate-limit plan, {requests, window, daily}; null fields fall back to the default plan.
    sa.Column("rate_limits", sa.JSON, nullable=True),
)

workspaces = sa.Table(
    "workspaces",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "organization_id",
        sa.Integer,
        sa.ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # Unique across the installation, so that `--workspace SLUG` names exactly one (docs/api.md).
    sa.Column("slug", sa.String(63), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # Stored lower-case, so uniqueness ignores case on both databases.
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("organization_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("role", sa.String(16), nullable=False),
    # Permissions granted on top of the role, such as integrations:write for a member.
    sa.Column("grants", sa.JSON, nullable=False, default=list),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("role IN ('owner', 'admin', 'member', 'viewer')", name="role"),
)

login_sessions = sa.Table(
    "login_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # HMAC of the cookie's token: a copy of the database cannot be replayed as a cookie.
    sa.Column("token_hash", sa.LargeBinary(32), nullable=False, unique=True),
    sa.Column("csrf_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("ip", sa.String(45), nullable=True),
    sa.Column("user_agent", sa.String(300), nullable=True),
)
