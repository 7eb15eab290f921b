"""Console login sessions: open, resolve to a Principal, close.

The cookie holds a random token; the database holds only its keyed hash, and the hash of the CSRF token
that unsafe requests must echo in the X-CSRF-Token header.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from sensorgate.accounts import store
from sensorgate.accounts.principal import Membership, Principal
from sensorgate.accounts.roles import permissions_for
from sensorgate.kit.crypto import keyed_hash

SESSION_COOKIE = "sg_session"
CSRF_COOKIE = "sg_csrf"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ResolvedSession:
    principal: Principal
    csrf_hash: bytes


def open_session(
    conn: sa.Connection,
    pepper: str,
    user_id: int,
    *,
    now: datetime,
    lifetime: timedelta,
    ip: str | None,
    user_agent: str | None,
    new_password_hash: str | None = None,
) -> NewSession:
    token, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires_at = now + lifetime
    store.delete_expired_sessions(conn, user_id, now)
    if new_password_hash:
        store.set_password_hash(conn, user_id, new_password_hash)
    store.insert_session(
        conn,
        {
            "token_hash": keyed_hash(pepper, token),
            "csrf_hash": keyed_hash(pepper, csrf_token),
            "user_id": user_id,
            "created_at": now,
            "expires_at": expires_at,
            "ip": ip,
            "user_agent": (user_agent or "")[:300] or None,
        },
    )
    return NewSession(token=token, csrf_token=csrf_token, expires_at=expires_at)


def resolve_session(conn: sa.Connection, pepper: str, token: str, now: datetime) -> ResolvedSession | None:
    rows = store.session_with_memberships(conn, keyed_hash(pepper, token))
    if not rows or rows[0].expires_at <= now:
        return None
    row = rows[0]
    memberships = {
        m.organization_id: Membership(
            organization_id=m.organization_id,
            organization=m.organization,
            organization_name=m.organization_name,
            role=m.role,
            grants=tuple(m.grants),
            permissions=permissions_for(m.role, m.grants),
        )
        for m in rows
        if m.organization_id is not None
    }
    principal = Principal(
        kind="session", user_id=row.user_id, email=row.email, session_id=row.id, memberships=memberships
    )
    return ResolvedSession(principal=principal, csrf_hash=row.csrf_hash)


def csrf_matches(pepper: str, given: str, expected_hash: bytes) -> bool:
    return bool(given) and hmac.compare_digest(keyed_hash(pepper, given), expected_hash)


def close_session(conn: sa.Connection, session_id: int) -> None:
    store.delete_session(conn, session_id)
