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
from sensorgate.db.engine import Database
from sensorgate.kit.timeutil import utcnow
from sensorgate.settings import Settings, write_private_file

DEMO_ORG = "demo"
DEMO_EMAIL = "owner@demo.sensorgate.example"


@dataclass(frozen=True)
class DemoInfo:
    email: str
    password: str
    organization: str
    workspace: str


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
    write_private_file(path, json.dumps({"email": DEMO_EMAIL, "password": password}, indent=2))
    return DemoInfo(email=DEMO_EMAIL, password=password, organization=DEMO_ORG, workspace=DEMO_ORG)


def _seed(conn: sa.Connection, password_hash: str | None) -> None:
    now = utcnow()
    service.ensure_user(conn, DEMO_EMAIL, password_hash, DEMO_ORG, "owner", now)


def _new_password() -> str:
    # Letters and digits only, in four groups: easy to copy from a terminal, about 95 bits.
    alphabet = string.ascii_letters + string.digits
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4 * 2)) for _ in range(4))
