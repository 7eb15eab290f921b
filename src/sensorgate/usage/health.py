"""Key health: what about a key deserves an admin's attention. Keys expiring within 14 days, keys never used or
unused for 30 days, and scopes granted but unused in the last 30 days (from the per-scope usage counters), which
a narrower key would not need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from sensorgate.credentials.schemas import KeyOut
from sensorgate.kit.times import parse_iso
from sensorgate.usage import store

EXPIRING_WITHIN = timedelta(days=14)
UNUSED_FOR = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # expired, expiring, never_used, unused, unused_scopes
    tone: str  # bad or warn: how a page colours it
    text: str


@dataclass(frozen=True, slots=True)
class Health:
    findings: list[Finding] = field(default_factory=list)
    used_scopes: list[str] = field(default_factory=list)  # of the key's scopes, those used in the last 30 days
    unused_scopes: list[str] = field(default_factory=list)


def health(conn: sa.Connection, keys: list[KeyOut], now: datetime) -> dict[int, Health]:
    """Each key's health; a revoked key has none to report. One query for every key's scope use."""
    live = [k for k in keys if k.revoked_at is None]
    used = store.scopes_used(conn, [k.id for k in live], (now - UNUSED_FOR).date())
    found = {k.id: Health() for k in keys}
    for key in live:
        found[key.id] = _health(key, used[key.id], now)
    return found


def _health(key: KeyOut, used: set[str], now: datetime) -> Health:
    findings = []
    if key.expires_at is not None:
        left = parse_iso(key.expires_at) - now
        if left <= timedelta(0):
            findings.append(Finding("expired", "bad", "expired"))
        elif left <= EXPIRING_WITHIN:
            days = left.days
            text = "expires today" if days == 0 else f"expires in {days} day{'s' if days != 1 else ''}"
            findings.append(Finding("expiring", "warn", text))
    if key.last_used_at is None:
        findings.append(Finding("never_used", "warn", "never used"))
        return Health(findings)
    idle = now - parse_iso(key.last_used_at)
    if idle >= UNUSED_FOR:
        findings.append(Finding("unused", "warn", f"unused for {idle.days} days"))
    used_scopes = [s for s in key.scopes if s in used]
    unused_scopes = [s for s in key.scopes if s not in used]
    # A key unused for the whole period used no scope; "unused for N days" already says so.
    if unused_scopes and used_scopes:
        findings.append(Finding("unused_scopes", "warn", f"unused scopes: {', '.join(unused_scopes)}"))
    return Health(findings, used_scopes, unused_scopes)
