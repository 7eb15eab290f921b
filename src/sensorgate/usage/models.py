"""Tables for credential usage.

Uses are counted per credential per minute, with the last address and user agent seen in that minute; a
refused attempt is a row of its own, with the reason as its outcome. The daily table is what the usage report
reads, so it does not have to add up 1,440 minutes per key; it also holds what only a day is counted for: the
points returned and the errors.
"""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.db.metadata import UtcDateTime, metadata

USED = "used"
# A refused attempt by a known credential; unknown and malformed keys have no credential to charge.
REFUSALS = ("revoked", "expired", "address", "scope", "signature", "replayed", "secret", "limit")

credential_usage = sa.Table(
    "credential_usage",
    metadata,
    sa.Column("credential_id", sa.Integer, sa.ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("minute", UtcDateTime, primary_key=True),
    sa.Column("outcome", sa.String(16), primary_key=True),  # USED, or one of REFUSALS
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("last_at", UtcDateTime, nullable=False),
    sa.Column("last_ip", sa.String(45), nullable=True),
    sa.Column("last_user_agent", sa.String(300), nullable=True),
)

credential_usage_daily = sa.Table(
    "credential_usage_daily",
    metadata,
    sa.Column("credential_id", sa.Integer, sa.ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),  # UTC
    sa.Column("requests", sa.Integer, nullable=False),
    sa.Column("refused", sa.Integer, nullable=False),
    # Data points in the 200 answers of the day's requests (history, latest values, aggregate buckets).
    sa.Column("points", sa.BigInteger, nullable=False, server_default="0"),
    # Requests that passed authentication and limits but answered 4xx or 5xx (refusals are in `refused`).
    sa.Column("errors", sa.Integer, nullable=False, server_default="0"),
)

# Which scope each use of a credential exercised, per UTC day: what the console's key health reads to find scopes
# a key holds but has not used (so that a narrower key can replace it).
credential_scope_usage = sa.Table(
    "credential_scope_usage",
    metadata,
    sa.Column("credential_id", sa.Integer, sa.ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),  # UTC
    sa.Column("scope", sa.String(32), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)

# Refused attempts per reason per UTC day: what the console's usage charts read for 30 or 90 days, since summing the
# per-minute rows (up to 1,440 a key a day) for 1,000 keys would take far longer than a page may.
credential_refusals_daily = sa.Table(
    "credential_refusals_daily",
    metadata,
    sa.Column("credential_id", sa.Integer, sa.ForeignKey("credentials.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),  # UTC
    sa.Column("reason", sa.String(16), primary_key=True),  # one of REFUSALS
    sa.Column("count", sa.Integer, nullable=False),
)
