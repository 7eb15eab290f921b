"""SQL for credentials, secrets and their audit events. Functions take a Connection and never commit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sensorgate.credentials.models import audit_events, credential_secrets, credentials

Row = Any


def insert_credential(conn: sa.Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(credentials.insert().values(**values).returning(credentials.c.id)).scalar_one())


def insert_secret(conn: sa.Connection, values: dict[str, Any]) -> None:
    conn.execute(credential_secrets.insert().values(**values))


def credential(conn: sa.Connection, credential_id: int) -> Row | None:
    return conn.execute(sa.select(credentials).where(credentials.c.id == credential_id)).first()


def credentials_where(conn: sa.Connection, where: sa.ColumnElement[bool], limit: int) -> list[Row]:
    return list(conn.execute(sa.select(credentials).where(where).order_by(credentials.c.id).limit(limit)).all())


def secrets_of(conn: sa.Connection, credential_ids: list[int]) -> dict[int, list[Row]]:
    found: dict[int, list[Row]] = {i: [] for i in credential_ids}
    rows = conn.execute(
        sa.select(credential_secrets)
        .where(credential_secrets.c.credential_id.in_(credential_ids))
        .order_by(credential_secrets.c.id)
    )
    for row in rows:
        found[row.credential_id].append(row)
    return found


def newest_expiry(conn: sa.Connection, credential_id: int) -> datetime | None:
    value = conn.execute(
        sa.select(sa.func.max(credential_secrets.c.expires_at)).where(
            credential_secrets.c.credential_id == credential_id, credential_secrets.c.revoked_at.is_(None)
        )
    ).scalar()
    if value is None:
        return None
    # A raw aggregate skips the column type: put the zone back as UtcDateTime does.
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def active_count(conn: sa.Connection, user_id: int, now: datetime) -> int:
    """Credentials a user created that are neither revoked nor expired."""
    live_secret = (
        sa.select(credential_secrets.c.id)
        .where(
            credential_secrets.c.credential_id == credentials.c.id,
            credential_secrets.c.revoked_at.is_(None),
            credential_secrets.c.expires_at > now,
        )
        .exists()
    )
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(credentials)
            .where(credentials.c.created_by_user_id == user_id, credentials.c.revoked_at.is_(None), live_secret)
        ).scalar_one()
    )


def revoke(conn: sa.Connection, credential_id: int, now: datetime, *, delete: bool) -> list[bytes]:
    """Revoke the credential and every secret; return the secrets' hashes so caches can drop them."""
    values: dict[str, Any] = {"updated_at": now}
    conn.execute(
        credentials.update()
        .where(credentials.c.id == credential_id, credentials.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if delete:
        values["deleted_at"] = now
    conn.execute(credentials.update().where(credentials.c.id == credential_id).values(**values))
    conn.execute(
        credential_secrets.update()
        .where(credential_secrets.c.credential_id == credential_id, credential_secrets.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    hashes = conn.execute(
        sa.select(credential_secrets.c.secret_hash).where(credential_secrets.c.credential_id == credential_id)
    ).scalars()
    return [h for h in hashes if h is not None]


def audit(conn: sa.Connection, values: dict[str, Any]) -> None:
    conn.execute(audit_events.insert().values(**values))
