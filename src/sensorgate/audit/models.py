"""The audit table: every lifecycle event of a credential, with who did it, from where."""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.db.metadata import UtcDateTime, metadata

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("organization_id", sa.Integer, sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    sa.Column(
        "credential_id", sa.Integer, sa.ForeignKey("credentials.id", ondelete="CASCADE"), nullable=True, index=True
    ),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("actor_user_id", sa.Integer, nullable=True),
    sa.Column("actor_credential_id", sa.Integer, nullable=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("ip", sa.String(45), nullable=True),
    sa.Column("user_agent", sa.String(300), nullable=True),
    sa.Column("details", sa.JSON, nullable=False),
)
