"""The demo installation that `serve --demo` creates: organization `demo`, workspace `demo`, an owner.

Seeding is idempotent: a restart finds what the first run made, and the owner's password, kept in the
data dir, stays the same.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from sensorgate.accounts import service, store
from sensorgate.accounts.passwords import hash_password
from sensorgate.auth.principal import Membership, Principal
from sensorgate.auth.scopes import Scope, permissions_for
from sensorgate.credentials.schemas import KeyIn
from sensorgate.credentials.service import Origin, create_key
from sensorgate.credentials.verify import load
from sensorgate.db.engine import Database
from sensorgate.kit.crypto import keyed_hash
from sensorgate.kit.errors import ApiError
from sensorgate.kit.times import utcnow
from sensorgate.settings import Settings, write_private_file

DEMO_ORG = "demo"
DEMO_EMAIL = "owner@demo.sensorgate.example"


@dataclass(frozen=True)
class DemoInfo:
    email: str
    password: str
    organization: str
    workspace: str
    api_key: str | None  # read-only; None if the owner already holds the most keys allowed


def seed_demo(db: Database, settings: Settings) -> DemoInfo:
    path = Path(settings.data_dir) / "demo.json"
    kept: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    password = kept.get("password")
    exists = db.read_sync(lambda conn: store.user_by_email(conn, DEMO_EMAIL)) is not None
    # Hash only when the password must be (re)written: argon2 costs time on every restart otherwise.
    password_hash = None
    if password is None or not exists:
        password = password or _new_password()
        password_hash = hash_password(password)
    db.write_sync(_seed, password_hash)
    api_key = db.write_sync(_read_only_key, settings.hash_pepper, kept.get("api_key"))
    kept = {"email": DEMO_EMAIL, "password": password} | ({"api_key": api_key} if api_key else {})
    write_private_file(path, json.dumps(kept, indent=2))
    return DemoInfo(email=DEMO_EMAIL, password=password, organization=DEMO_ORG, workspace=DEMO_ORG, api_key=api_key)


def owner_principal(conn: sa.Connection) -> tuple[Principal, int]:
    """The demo owner as a Principal that reaches the demo workspace only."""
    organization = store.organization_by_slug(conn, DEMO_ORG)
    user = store.user_by_email(conn, DEMO_EMAIL)
    if organization is None or user is None:
        raise LookupError("the demo organization or its owner is missing: seed_demo() makes them")
    member = store.membership(conn, organization.id, user.id)
    if member is None:
        raise LookupError("the demo owner is not a member of the demo organization: seed_demo() makes it one")
    workspace = store.workspace_by_slug(conn, DEMO_ORG)
    if workspace is None or workspace.organization_id != organization.id:
        raise LookupError("the demo workspace is missing: seed_demo() makes it")
    workspace_id = workspace.id
    membership = Membership(
        organization_id=organization.id,
        organization=organization.slug,
        organization_name=organization.name,
        role=member.role,
        grants=tuple(member.grants),
        permissions=permissions_for(member.role, member.grants),
    )
    principal = Principal(
        kind="cli",
        user_id=user.id,
        email=user.email,
        memberships={organization.id: membership},
        workspace_ids=frozenset({workspace_id}),
    )
    return principal, int(workspace_id)


def _read_only_key(conn: sa.Connection, pepper: str, kept: str | None) -> str | None:
    """The demo's read-only key: the one kept in the data dir while it still works, else a new one.

    Keeping the secret in a file is for the demo only: a real key's secret is shown once and never stored.
    """
    record = load(conn, keyed_hash(pepper, kept)) if kept else None
    if record is not None and not record.revoked and record.expires_at > utcnow():
        return kept
    owner, _ = owner_principal(conn)
    request = Origin(ip=None, user_agent="sensorgate serve --demo", now=utcnow(), pepper=pepper)
    body = KeyIn(name="demo read-only key", workspaces=[DEMO_ORG], scopes=[Scope.DATA_READ], expires_in="1y")
    try:
        return create_key(conn, owner, body, request).secret
    except ApiError:
        return None


def _seed(conn: sa.Connection, password_hash: str | None) -> None:
    now = utcnow()
    service.ensure_user(conn, DEMO_EMAIL, password_hash, DEMO_ORG, "owner", now)


def _new_password() -> str:
    # Letters and digits only, in four groups: easy to copy from a terminal, about 95 bits.
    alphabet = string.ascii_letters + string.digits
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4 * 2)) for _ in range(4))
