"""Console login sessions: open, resolve to a Principal, close.

The cookie holds a random token; the database holds only its keyed hash, and the hash of the CSRF token
that unsafe requests must echo in the X-CSRF-Token header. SessionVerifier is what the guard asks.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
import sqlalchemy as sa

from sensorgate.accounts import store
from sensorgate.accounts.passwords import verify_password
from sensorgate.accounts.throttle import LoginThrottle
from sensorgate.auth.guard import ResolvedSession
from sensorgate.auth.principal import Membership, Principal
from sensorgate.auth.scopes import permissions_for
from sensorgate.db.engine import Database
from sensorgate.kit.crypto import keyed_hash
from sensorgate.kit.errors import Unauthorized
from sensorgate.kit.times import utcnow
from sensorgate.settings import Settings


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str
    csrf_token: str
    expires_at: datetime


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


@dataclass(frozen=True, slots=True)
class LoggedIn:
    user: Any
    session: NewSession


async def log_in(
    db: Database,
    throttle: LoginThrottle,
    settings: Settings,
    email: str,
    password: str,
    *,
    ip: str,
    user_agent: str | None,
) -> LoggedIn:
    """Check a console login and open its session, for the API and the console alike.

    Repeated failures for one email or from one address answer 429 (accounts/throttle.py); an unknown email costs
    the same time as a wrong password, so timing does not tell which emails exist.
    """
    await throttle.check(email, ip)
    user = await db.read(store.user_by_email, email)
    ok, new_hash = await anyio.to_thread.run_sync(verify_password, user.password_hash if user else None, password)
    if not ok or user is None:
        await throttle.failed(email, ip)
        raise Unauthorized("wrong email or password")
    await throttle.succeeded(email)
    opened = await db.write(
        open_session,
        settings.hash_pepper,
        user.id,
        now=utcnow(),
        lifetime=timedelta(hours=settings.session_hours),
        ip=ip,
        user_agent=user_agent,
        new_password_hash=new_hash,
    )
    return LoggedIn(user=user, session=opened)


class SessionVerifier:
    """The guard's view of sessions: the Principal behind a cookie's token, and the CSRF check."""

    def __init__(self, db: Database, pepper: str) -> None:
        self.db = db
        self.pepper = pepper

    async def resolve(self, token: str, now: datetime) -> ResolvedSession | None:
        return await self.db.read(resolve_session, self.pepper, token, now)

    def csrf_matches(self, given: str, expected_hash: bytes) -> bool:
        return csrf_matches(self.pepper, given, expected_hash)
