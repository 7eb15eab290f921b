"""SQL for accounts. Functions take a Connection and never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sensorgate.accounts.models import login_sessions, memberships, organizations, users, workspaces

Row = Any  # rows are read by attribute name; the column types live in models.py


def user_by_email(conn: sa.Connection, email: str) -> Row | None:
    return conn.execute(sa.select(users).where(users.c.email == email)).first()


def insert_user(conn: sa.Connection, email: str, password_hash: str, now: datetime) -> int:
    return int(
        conn.execute(
            users.insert().values(email=email, password_hash=password_hash, created_at=now).returning(users.c.id)
        ).scalar_one()
    )


def set_password_hash(conn: sa.Connection, user_id: int, password_hash: str) -> None:
    conn.execute(users.update().where(users.c.id == user_id).values(password_hash=password_hash))


def organization_by_slug(conn: sa.Connection, slug: str) -> Row | None:
    return conn.execute(sa.select(organizations).where(organizations.c.slug == slug)).first()


def organization_by_id(conn: sa.Connection, organization_id: int) -> Row:
    return conn.execute(sa.select(organizations).where(organizations.c.id == organization_id)).one()


def organizations_by_id(conn: sa.Connection, organization_ids: list[int] | None) -> list[Row]:
    """These organizations (None: all of them), by id."""
    query = sa.select(organizations).order_by(organizations.c.id)
    if organization_ids is not None:
        query = query.where(organizations.c.id.in_(organization_ids))
    return list(conn.execute(query).all())


def workspace_by_slug(conn: sa.Connection, slug: str) -> Row | None:
    return conn.execute(_workspace_query().where(workspaces.c.slug == slug)).first()


def update_organization(conn: sa.Connection, organization_id: int, values: dict[str, Any]) -> None:
    conn.execute(organizations.update().where(organizations.c.id == organization_id).values(**values))


def workspaces_of(conn: sa.Connection, organization_ids: list[int]) -> list[Row]:
    """(id, slug, organization_id) of every workspace of these organizations, by id."""
    return list(
        conn.execute(
            sa.select(workspaces.c.id, workspaces.c.slug, workspaces.c.organization_id)
            .where(workspaces.c.organization_id.in_(organization_ids))
            .order_by(workspaces.c.id)
        ).all()
    )


def lock_user(conn: sa.Connection, user_id: int) -> None:
    """Make other transactions that lock this user wait for ours (PostgreSQL; SQLite writers queue anyway)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(users.c.id).where(users.c.id == user_id).with_for_update())


def workspace_ids_of(conn: sa.Connection, organization_id: int) -> list[int]:
    return list(
        conn.execute(sa.select(workspaces.c.id).where(workspaces.c.organization_id == organization_id)).scalars()
    )


def insert_organization(conn: sa.Connection, slug: str, name: str, now: datetime) -> int:
    return int(
        conn.execute(
            organizations.insert().values(slug=slug, name=name, created_at=now).returning(organizations.c.id)
        ).scalar_one()
    )


def workspace_slug_taken(conn: sa.Connection, slug: str) -> bool:
    return conn.execute(sa.select(workspaces.c.id).where(workspaces.c.slug == slug)).first() is not None


def insert_workspace(conn: sa.Connection, organization_id: int, slug: str, name: str, now: datetime) -> int:
    return int(
        conn.execute(
            workspaces.insert()
            .values(organization_id=organization_id, slug=slug, name=name, created_at=now)
            .returning(workspaces.c.id)
        ).scalar_one()
    )


def _workspace_query() -> sa.Select[Any]:
    return sa.select(
        workspaces.c.id,
        workspaces.c.slug,
        workspaces.c.name,
        workspaces.c.organization_id,
        organizations.c.slug.label("organization"),
        workspaces.c.created_at,
    ).join(organizations, organizations.c.id == workspaces.c.organization_id)


def workspace_by_id(conn: sa.Connection, workspace_id: int) -> Row | None:
    return conn.execute(_workspace_query().where(workspaces.c.id == workspace_id)).first()


def workspaces_page(
    conn: sa.Connection, organization_ids: list[int], offset: int, limit: int, only: frozenset[int] | None = None
) -> tuple[list[Row], int]:
    where: sa.ColumnElement[bool] = workspaces.c.organization_id.in_(organization_ids)
    if only is not None:
        where = sa.and_(where, workspaces.c.id.in_(sorted(only)))
    total = conn.execute(sa.select(sa.func.count()).select_from(workspaces).where(where)).scalar_one()
    rows = conn.execute(_workspace_query().where(where).order_by(workspaces.c.id).offset(offset).limit(limit)).all()
    return list(rows), int(total)


def membership(conn: sa.Connection, organization_id: int, user_id: int) -> Row | None:
    return conn.execute(
        sa.select(memberships).where(memberships.c.organization_id == organization_id, memberships.c.user_id == user_id)
    ).first()


def insert_membership(
    conn: sa.Connection, organization_id: int, user_id: int, role: str, grants: list[str], now: datetime
) -> None:
    conn.execute(
        memberships.insert().values(
            organization_id=organization_id, user_id=user_id, role=role, grants=grants, created_at=now
        )
    )


def update_membership(conn: sa.Connection, organization_id: int, user_id: int, values: dict[str, Any]) -> None:
    conn.execute(
        memberships.update()
        .where(memberships.c.organization_id == organization_id, memberships.c.user_id == user_id)
        .values(**values)
    )


def delete_membership(conn: sa.Connection, organization_id: int, user_id: int) -> None:
    conn.execute(
        memberships.delete().where(memberships.c.organization_id == organization_id, memberships.c.user_id == user_id)
    )


def count_owners(conn: sa.Connection, organization_id: int) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(memberships)
            .where(memberships.c.organization_id == organization_id, memberships.c.role == "owner")
        ).scalar_one()
    )


def _member_query() -> sa.Select[Any]:
    return sa.select(
        memberships.c.user_id, users.c.email, memberships.c.role, memberships.c.grants, memberships.c.created_at
    ).join(users, users.c.id == memberships.c.user_id)


def members_page(conn: sa.Connection, organization_id: int, offset: int, limit: int) -> tuple[list[Row], int]:
    where = memberships.c.organization_id == organization_id
    total = conn.execute(sa.select(sa.func.count()).select_from(memberships).where(where)).scalar_one()
    rows = conn.execute(_member_query().where(where).order_by(memberships.c.user_id).offset(offset).limit(limit)).all()
    return list(rows), int(total)


def member(conn: sa.Connection, organization_id: int, user_id: int) -> Row | None:
    return conn.execute(
        _member_query().where(memberships.c.organization_id == organization_id, memberships.c.user_id == user_id)
    ).first()


def insert_session(conn: sa.Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(login_sessions.insert().values(**values).returning(login_sessions.c.id)).scalar_one())


# Built once: this runs on every console request, and building a statement costs more than running it.
_SESSION_WITH_MEMBERSHIPS = (
    sa.select(
        login_sessions.c.id,
        login_sessions.c.csrf_hash,
        login_sessions.c.expires_at,
        users.c.id.label("user_id"),
        users.c.email,
        memberships.c.organization_id,
        organizations.c.slug.label("organization"),
        organizations.c.name.label("organization_name"),
        memberships.c.role,
        memberships.c.grants,
    )
    .join(users, users.c.id == login_sessions.c.user_id)
    .outerjoin(memberships, memberships.c.user_id == users.c.id)
    .outerjoin(organizations, organizations.c.id == memberships.c.organization_id)
    .where(login_sessions.c.token_hash == sa.bindparam("token_hash"))
    .order_by(memberships.c.organization_id)
)


def session_with_memberships(conn: sa.Connection, token_hash: bytes) -> list[Row]:
    """One row per membership of the session's user (one row with null membership columns if none)."""
    return list(conn.execute(_SESSION_WITH_MEMBERSHIPS, {"token_hash": token_hash}).all())


_USER_BY_ID = sa.select(users).where(users.c.id == sa.bindparam("user_id"))


def user_by_id(conn: sa.Connection, user_id: int) -> Row | None:
    return conn.execute(_USER_BY_ID, {"user_id": user_id}).first()


def delete_session(conn: sa.Connection, session_id: int) -> None:
    conn.execute(login_sessions.delete().where(login_sessions.c.id == session_id))


def delete_expired_sessions(conn: sa.Connection, user_id: int, now: datetime) -> None:
    conn.execute(login_sessions.delete().where(login_sessions.c.user_id == user_id, login_sessions.c.expires_at <= now))


def emails_of(conn: sa.Connection, user_ids: list[int], organization_ids: list[int]) -> dict[int, str]:
    """The emails of these users, among the members of these organizations."""
    if not user_ids or not organization_ids:
        return {}
    rows = conn.execute(
        sa.select(users.c.id, users.c.email)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(users.c.id.in_(user_ids), memberships.c.organization_id.in_(organization_ids))
        .distinct()
    )
    return {row.id: row.email for row in rows}
