"""SQL for OAuth clients, their revoked access tokens and the keys that sign tokens. Functions never commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from sensorgate.credentials.models import credential_secrets, credentials
from sensorgate.credentials.oauth.models import jwt_keys, revoked_tokens
from sensorgate.db.upsert import insert

Row = Any


def credential_by_public_id(conn: sa.Connection, public_id: str) -> Row | None:
    """Any kind: a signing key's id presented at the token endpoint is told apart from an unknown one."""
    return conn.execute(sa.select(credentials).where(credentials.c.public_id == public_id)).first()


def secrets_of(conn: sa.Connection, credential_id: int) -> list[Row]:
    return list(
        conn.execute(sa.select(credential_secrets).where(credential_secrets.c.credential_id == credential_id)).all()
    )


def client(conn: sa.Connection, client_id: str) -> Row | None:
    return conn.execute(
        sa.select(credentials).where(credentials.c.public_id == client_id, credentials.c.kind == "oauth_client")
    ).first()


def client_secret(conn: sa.Connection, credential_id: int, secret_id: int) -> Row | None:
    return conn.execute(
        sa.select(credential_secrets.c.expires_at, credential_secrets.c.revoked_at).where(
            credential_secrets.c.id == secret_id, credential_secrets.c.credential_id == credential_id
        )
    ).first()


def token_revoked(conn: sa.Connection, jti: str) -> bool:
    return conn.execute(sa.select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == jti)).first() is not None


def add_revoked_token(conn: sa.Connection, jti: str, credential_id: int, now: datetime, expires_at: datetime) -> bool:
    """Remember a revoked token until its own expiry; False when it was revoked already."""
    added = conn.execute(
        insert(conn, revoked_tokens)
        .values(jti=jti, credential_id=credential_id, revoked_at=now, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=[revoked_tokens.c.jti])
        .returning(revoked_tokens.c.jti)
    ).first()
    return added is not None


def delete_revoked_tokens_before(conn: sa.Connection, now: datetime) -> int:
    return int(conn.execute(revoked_tokens.delete().where(revoked_tokens.c.expires_at < now)).rowcount)


def signing_keys(conn: sa.Connection) -> list[Row]:
    return list(conn.execute(sa.select(jwt_keys).order_by(jwt_keys.c.generation)).all())


def signing_key_of_generation(conn: sa.Connection, generation: int) -> Row:
    return conn.execute(sa.select(jwt_keys).where(jwt_keys.c.generation == generation)).one()


def add_signing_key(conn: sa.Connection, values: dict[str, Any]) -> None:
    """Insert a key generation, unless another process has inserted that generation first."""
    conn.execute(insert(conn, jwt_keys).values(**values).on_conflict_do_nothing(index_elements=[jwt_keys.c.generation]))


def delete_signing_keys_before(conn: sa.Connection, cutoff: datetime) -> None:
    conn.execute(jwt_keys.delete().where(jwt_keys.c.signs_until < cutoff))


def published_keys(conn: sa.Connection, now: datetime, token_lifetime: timedelta) -> list[Row]:
    """Keys that sign now, will sign next, or signed a token that has not expired yet, newest first."""
    return list(
        conn.execute(
            sa.select(jwt_keys.c.kid, jwt_keys.c.public_key, jwt_keys.c.signs_from, jwt_keys.c.signs_until)
            .where(jwt_keys.c.signs_until > now - token_lifetime)
            .order_by(jwt_keys.c.generation.desc())
        ).all()
    )


def public_keys(conn: sa.Connection) -> list[Row]:
    return list(conn.execute(sa.select(jwt_keys.c.kid, jwt_keys.c.public_key)).all())
