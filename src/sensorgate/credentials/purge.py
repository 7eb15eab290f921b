"""Forgetting dead secrets: 28 days after a secret expired or was revoked, its hash is erased.

The credential, its secrets' display prefixes and dates, and its whole audit trail stay; only the hash that
could match a presented key goes. Erasing is idempotent (it only touches hashes still present), so two
processes running it at once do the work once, and each erasure is audited once.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import sqlalchemy as sa

from sensorgate.audit import store as audit_store
from sensorgate.credentials import store

PURGE_AFTER = timedelta(days=28)


def purge_secrets(conn: sa.Connection, now: datetime) -> int:
    """Erase the hashes of secrets dead for PURGE_AFTER; return how many were erased."""
    cutoff = now - PURGE_AFTER
    per_credential = Counter(store.erase_hashes_dead_since(conn, cutoff))
    if not per_credential:
        return 0
    organizations = store.organizations_of(conn, sorted(per_credential))
    for credential_id, count in sorted(per_credential.items()):
        audit_store.add_event(
            conn,
            {
                "organization_id": organizations[credential_id],
                "credential_id": credential_id,
                "action": "secrets_purged",
                "actor_user_id": None,
                "actor_credential_id": None,
                "at": now,
                "ip": None,
                "user_agent": "sensorgate purge job",
                "details": {"secrets": count, "deadFor": f"more than {PURGE_AFTER.days} days"},
            },
        )
    return sum(per_credential.values())
