"""SQL for credentials, secrets and their audit events. Functions take a Connection and never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sensorgate.accounts.models import organizations
from sensorgate.credentials.models import credential_secrets, credentials

Row = Any


@dataclass(frozen=True, slots=True)
class KeyReach:
    """Which keys a caller may see, as the service decided it: every key of the `managed` organizations and the
    user's own keys in the `own_in` ones; or, for a key, every key made through it (`made_by`: the keys it made,
    the keys those made, ...), and (`itself`) its own."""

    managed: tuple[int, ...] = ()
    own_in: tuple[int, ...] = ()
    user_id: int | None = None
    made_by: int | None = None
    itself: int | None = None


def reach_condition(reach: KeyReach) -> sa.ColumnElement[bool]:
    if reach.made_by is not None:
        made = credentials.c.id.in_(made_through(reach.made_by))
        return sa.or_(made, credentials.c.id == reach.itself) if reach.itself is not None else made
    return sa.or_(
        credentials.c.organization_id.in_(reach.managed),
        sa.and_(credentials.c.organization_id.in_(reach.own_in), credentials.c.created_by_user_id == reach.user_id),
    )


def plan_layers(conn: sa.Connection, credential_ids: list[int]) -> list[Row]:
    """Per credential, its own limits, its organization's, and the key that made it: what its plan is made of."""
    return list(
        conn.execute(
            sa.select(
                credentials.c.id,
                credentials.c.limits,
                credentials.c.created_by_credential_id,
                organizations.c.rate_limits,
            )
            .join(organizations, organizations.c.id == credentials.c.organization_id)
            .where(credentials.c.id.in_(credential_ids))
        ).all()
    )


MAX_LINE = 32  # keys made by keys made by keys: a line deeper than this is read no further


def maker_chain(conn: sa.Connection, row: Row) -> list[Row]:
    """The keys above a key: the key that made it, the key that made that one, and so on, nearest first."""
    chain: list[Row] = []
    seen = {row.id}
    maker = row.created_by_credential_id
    while maker is not None and maker not in seen and len(chain) < MAX_LINE:
        found = credential(conn, maker)
        if found is None:
            break
        chain.append(found)
        seen.add(found.id)
        maker = found.created_by_credential_id
    return chain


def made_through(credential_id: int) -> sa.Select[Any]:
    """The ids of every key made through this one: the keys it made, the keys those made, and so on."""
    tree = (
        sa.select(credentials.c.id)
        .where(credentials.c.created_by_credential_id == credential_id)
        .cte("made_through", recursive=True)
    )
    tree = tree.union_all(sa.select(credentials.c.id).join(tree, credentials.c.created_by_credential_id == tree.c.id))
    return sa.select(tree.c.id)


def keys_by_id(conn: sa.Connection, credential_ids: list[int]) -> list[Row]:
    if not credential_ids:
        return []
    query = sa.select(credentials).where(credentials.c.id.in_(credential_ids)).order_by(credentials.c.id)
    return list(conn.execute(query).all())


def descendant_ids(conn: sa.Connection, credential_id: int) -> list[int]:
    return sorted(int(i) for i in conn.execute(made_through(credential_id)).scalars())


def keys(
    conn: sa.Connection,
    reach: KeyReach,
    *,
    key_id: int | None = None,
    live_only: bool = False,
    organization_id: int | None = None,
    limit: int,
) -> list[Row]:
    """The keys in reach, by id: one key (`key_id`), those not revoked (`live_only`), one organization's."""
    where = reach_condition(reach)
    if key_id is not None:
        where = sa.and_(where, credentials.c.id == key_id)
    if organization_id is not None:
        where = sa.and_(where, credentials.c.organization_id == organization_id)
    if live_only:
        where = sa.and_(where, credentials.c.revoked_at.is_(None))
    return list(conn.execute(sa.select(credentials).where(where).order_by(credentials.c.id).limit(limit)).all())


def keys_alive(
    conn: sa.Connection,
    reach: KeyReach,
    start: datetime,
    end: datetime,
    limit: int,
    organization_id: int | None = None,
) -> list[Row]:
    """The keys in reach that existed and were not revoked at some moment of [start, end), by id; with
    `organization_id`, only that organization's."""
    where = sa.and_(
        reach_condition(reach),
        credentials.c.created_at < end,
        sa.or_(credentials.c.revoked_at.is_(None), credentials.c.revoked_at >= start),
    )
    if organization_id is not None:
        where = sa.and_(where, credentials.c.organization_id == organization_id)
    return list(conn.execute(sa.select(credentials).where(where).order_by(credentials.c.id).limit(limit)).all())


def insert_credential(conn: sa.Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(credentials.insert().values(**values).returning(credentials.c.id)).scalar_one())


def insert_secret(conn: sa.Connection, values: dict[str, Any]) -> None:
    conn.execute(credential_secrets.insert().values(**values))


def credential(conn: sa.Connection, credential_id: int) -> Row | None:
    return conn.execute(sa.select(credentials).where(credentials.c.id == credential_id)).first()


def api_key_by_hash(conn: sa.Connection, digest: bytes) -> Row | None:
    """The API key one of whose secrets has this hash, with that secret's expiry and revocation."""
    return conn.execute(
        sa.select(
            credentials,
            credential_secrets.c.expires_at.label("secret_expires_at"),
            credential_secrets.c.revoked_at.label("secret_revoked_at"),
        )
        .join(credentials, credentials.c.id == credential_secrets.c.credential_id)
        # Only API keys are presented whole; other kinds' secrets never travel as a bearer.
        .where(credential_secrets.c.secret_hash == digest, credentials.c.kind == "api_key")
    ).first()


def signing_key(conn: sa.Connection, public_id: str) -> Row | None:
    return conn.execute(
        sa.select(credentials).where(credentials.c.public_id == public_id, credentials.c.kind == "signing_key")
    ).first()


def sealed_secrets(conn: sa.Connection, credential_id: int) -> list[Row]:
    """A signing key's secrets that are not purged: sealed, with expiry and revocation."""
    return list(
        conn.execute(
            sa.select(
                credential_secrets.c.sealed_secret, credential_secrets.c.expires_at, credential_secrets.c.revoked_at
            ).where(
                credential_secrets.c.credential_id == credential_id, credential_secrets.c.sealed_secret.is_not(None)
            )
        ).all()
    )


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


def _active(now: datetime) -> sa.ColumnElement[bool]:
    """A credential neither revoked nor expired: not revoked itself, and holding a live secret. What the per-user
    active-key limit counts, for a user's keys and for a CLI key's line alike."""
    live_secret = (
        sa.select(credential_secrets.c.id)
        .where(
            credential_secrets.c.credential_id == credentials.c.id,
            credential_secrets.c.revoked_at.is_(None),
            credential_secrets.c.expires_at > now,
        )
        .exists()
    )
    return sa.and_(credentials.c.revoked_at.is_(None), live_secret)


def active_count(conn: sa.Connection, user_id: int, now: datetime) -> int:
    """Credentials a user created that are neither revoked nor expired."""
    query = sa.select(sa.func.count()).select_from(credentials)
    return int(conn.execute(query.where(credentials.c.created_by_user_id == user_id, _active(now))).scalar_one())


def update_credential(conn: sa.Connection, credential_id: int, values: dict[str, Any]) -> None:
    conn.execute(credentials.update().where(credentials.c.id == credential_id).values(**values))


def cap_secret_expiry(conn: sa.Connection, credential_id: int, at: datetime) -> None:
    """Live secrets of the credential that would outlive `at` now expire at `at`."""
    conn.execute(
        credential_secrets.update()
        .where(
            credential_secrets.c.credential_id == credential_id,
            credential_secrets.c.revoked_at.is_(None),
            credential_secrets.c.expires_at > at,
        )
        .values(expires_at=at)
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


def erase_hashes_dead_since(conn: sa.Connection, cutoff: datetime) -> list[int]:
    """Erase the hash (and sealed copy) of every secret that expired or was revoked before `cutoff`; return the
    credential id of each secret erased. Only hashes still present are touched, so a second run erases nothing."""
    erased = conn.execute(
        credential_secrets.update()
        .where(
            credential_secrets.c.secret_hash.is_not(None),
            sa.or_(credential_secrets.c.expires_at < cutoff, credential_secrets.c.revoked_at < cutoff),
        )
        .values(secret_hash=None, sealed_secret=None)
        .returning(credential_secrets.c.credential_id)
    ).scalars()
    return list(erased)


def organizations_of(conn: sa.Connection, credential_ids: list[int]) -> dict[int, int]:
    """credential id -> organization id."""
    rows = conn.execute(
        sa.select(credentials.c.id, credentials.c.organization_id).where(credentials.c.id.in_(credential_ids))
    )
    return {row.id: row.organization_id for row in rows}


def active_in_line(conn: sa.Connection, root_id: int, now: datetime) -> int:
    """A key made by no user (the CLI's) and every key made through it: those neither revoked nor expired."""
    in_line = sa.or_(credentials.c.id == root_id, credentials.c.id.in_(made_through(root_id)))
    query = sa.select(sa.func.count()).select_from(credentials)
    return int(conn.execute(query.where(in_line, _active(now))).scalar_one())


def lock_credential(conn: sa.Connection, credential_id: int) -> None:
    """Make other transactions that lock this key wait for ours (PostgreSQL; SQLite writers queue anyway)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(credentials.c.id).where(credentials.c.id == credential_id).with_for_update())
