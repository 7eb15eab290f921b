"""Tables for OAuth2 access tokens: the keys that sign them, and the tokens revoked before their expiry.

Access tokens themselves are not stored: a JWT carries its own claims, and only a revocation (RFC 7009) has to
be remembered, until the token would have expired anyway.
"""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.db.metadata import UtcDateTime, metadata

jwt_keys = sa.Table(
    "jwt_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # Keys follow one another. Two processes that both find no current key both try to insert the next
    # generation; the unique constraint lets exactly one of them succeed, and the other signs with the winner's.
    sa.Column("generation", sa.Integer, nullable=False, unique=True),
    sa.Column("kid", sa.String(64), nullable=False, unique=True),  # RFC 7638 thumbprint of the public key
    sa.Column("algorithm", sa.String(16), nullable=False),
    sa.Column("public_key", sa.LargeBinary(32), nullable=False),  # raw Ed25519
    # AES-GCM under the master key (kit/sealing.py): whoever reads the database cannot mint tokens.
    sa.Column("sealed_private_key", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # The key signs in [signs_from, signs_until). A successor is made (and published) before its turn, so that
    # integrators who cache the JWKS already know it when its first token arrives.
    sa.Column("signs_from", UtcDateTime, nullable=False),
    sa.Column("signs_until", UtcDateTime, nullable=False),
)

revoked_tokens = sa.Table(
    "oauth_revoked_tokens",
    metadata,
    sa.Column("jti", sa.String(64), primary_key=True),
    sa.Column(
        "credential_id", sa.Integer, sa.ForeignKey("credentials.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("revoked_at", UtcDateTime, nullable=False),
    # The token's own `exp`: past it the token is refused anyway, so the purge deletes the row.
    sa.Column("expires_at", UtcDateTime, nullable=False, index=True),
)
