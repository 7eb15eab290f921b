"""Token-signing keys: sealed at rest, rotated with the successor published ahead, retired keys published until
their last token expires, and one key when several processes make it at the same moment."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sensorgate.credentials.oauth.jwt_keys import SEALING_PURPOSE, KeyRing, ensure_keys
from sensorgate.credentials.oauth.models import jwt_keys
from sensorgate.db.engine import Database, create_engine
from sensorgate.kit.sealing import unseal
from sensorgate.kit.times import utcnow
from sensorgate.settings import Settings

ROTATION = timedelta(days=30)
LIFETIME = timedelta(hours=1)


def rows(db: Database) -> list[Any]:
    return db.read_sync(lambda conn: list(conn.execute(sa.select(jwt_keys).order_by(jwt_keys.c.generation)).all()))


def test_the_private_key_is_sealed_with_the_master_key(db: Database, settings: Settings) -> None:
    master = settings.master_key_bytes
    made = db.write_sync(ensure_keys, utcnow(), master, ROTATION, LIFETIME)
    raw = unseal(master, SEALING_PURPOSE, made.sealed_private_key)
    assert raw not in made.sealed_private_key
    public = Ed25519PrivateKey.from_private_bytes(raw).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert public == made.public_key


def test_rotation_publishes_the_successor_ahead_and_retires_keys_after_their_tokens(
    db: Database, settings: Settings
) -> None:
    master, start = settings.master_key_bytes, utcnow()
    ring = KeyRing(db, master, ROTATION, LIFETIME)

    def kids(at: timedelta) -> list[str]:
        return [k.kid for k in asyncio.run(ring.jwks(start + at)).keys]

    def signer(at: timedelta) -> str:
        return db.write_sync(ring.signing_key, start + at).kid  # type: ignore[no-any-return]

    first = signer(timedelta(0))
    assert signer(timedelta(days=10)) == first and len(rows(db)) == 1
    # A day before the end, the successor is made and published, but the first key still signs.
    assert signer(ROTATION - timedelta(hours=12)) == first
    second = rows(db)[1]
    assert second.signs_from == rows(db)[0].signs_until and second.kid != first
    assert kids(ROTATION - timedelta(hours=12)) == [second.kid, first]
    # Then the successor signs, and the first key stays published until its last token has expired.
    assert signer(ROTATION + timedelta(seconds=1)) == second.kid
    assert kids(ROTATION + LIFETIME - timedelta(seconds=1)) == [second.kid, first]
    assert kids(ROTATION + LIFETIME + timedelta(seconds=1)) == [second.kid]
    # After a pause with no key signing, a new one is made at once; long-retired keys are deleted.
    third = signer(2 * ROTATION + timedelta(hours=12))
    assert [r.kid for r in rows(db)] == [second.kid, third]


def test_processes_starting_or_rotating_at_once_make_one_key(database_url: str, settings: Settings) -> None:
    processes = [Database(create_engine(database_url)) for _ in range(6)]
    barrier = threading.Barrier(len(processes))

    def sign_at(now: datetime) -> set[str]:
        def one(db: Database) -> str:
            barrier.wait()
            return db.write_sync(ensure_keys, now, settings.master_key_bytes, ROTATION, LIFETIME).kid  # type: ignore[no-any-return]

        with ThreadPoolExecutor(len(processes)) as pool:
            return set(pool.map(one, processes))

    try:
        start = utcnow()
        first = sign_at(start)
        assert len(first) == 1 and [r.kid for r in rows(processes[0])] == list(first)
        # All at once in the last day of the key: one successor between them.
        assert sign_at(start + ROTATION - timedelta(hours=1)) == first
        assert [r.generation for r in rows(processes[0])] == [1, 2]
        # All at once after a pause longer than a rotation: one new key.
        later = sign_at(start + 3 * ROTATION)
        assert len(later) == 1 and [r.generation for r in rows(processes[0])] == [3]
    finally:
        for db in processes:
            db.dispose()
