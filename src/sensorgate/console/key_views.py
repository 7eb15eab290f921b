"""What the key pages show, gathered in one database transaction each from the services the API calls: the keys,
their health, the caller's active-key standing, and the names of workspaces, device groups and creators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from sensorgate.accounts import service as accounts
from sensorgate.auth.principal import Principal
from sensorgate.credentials import offer as offers
from sensorgate.credentials import service as keys
from sensorgate.credentials.offer import Offer, Standing
from sensorgate.credentials.schemas import KeyOut
from sensorgate.kit.errors import NotFound
from sensorgate.kit.times import parse_iso
from sensorgate.usage import health as healths
from sensorgate.usage import history, key_log
from sensorgate.usage.health import Health
from sensorgate.usage.history import UsageHistory

KINDS = {"api_key": "API key", "signing_key": "Signing key", "oauth_client": "OAuth client"}
STATUSES = {
    "all": "Any status",
    "active": "Active",
    "expiring": "Expiring within 14 days",
    "expired": "Expired",
    "revoked": "Revoked",
}


@dataclass(frozen=True, slots=True)
class KeyRow:
    key: KeyOut
    kind: str
    binding: str
    created_by: str
    last_used: str
    expires: str
    health: Health
    status: str  # active, expiring, expired, revoked


@dataclass(frozen=True, slots=True)
class KeysView:
    rows: list[KeyRow]
    offer: Offer
    standing: Standing | None


@dataclass(frozen=True, slots=True)
class KeyView:
    row: KeyRow
    log: key_log.KeyLog | None
    offer: Offer
    usage: UsageHistory | None = None  # its days of usage, on the key's page


def when(text: str | None, never: str = "never") -> str:
    """A wire time as a page shows it: to the minute, in UTC (the pages say so)."""
    if text is None:
        return never
    return parse_iso(text).strftime("%Y-%m-%d %H:%M")


def binding(key: KeyOut, offer: Offer) -> str:
    """Where a key reaches, in words: its workspaces, or all but some, and its device group."""
    slugs = {w.id: w.name for w in offer.workspaces}

    def names(ids: list[int]) -> str:
        return ", ".join(slugs.get(i, f"#{i}") for i in ids)

    if key.all_workspaces:
        reach = "all workspaces" + (f" except {names(key.exclude_workspaces)}" if key.exclude_workspaces else "")
    else:
        reach = names(key.workspaces)
    if key.device_group is not None:
        group = next((g for g in offer.groups if g.id == key.device_group), None)
        reach += f" · group {group.name if group else f'#{key.device_group}'}"
    return reach


def status_of(key: KeyOut, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is None or parse_iso(key.expires_at) <= now:
        return "expired"
    if parse_iso(key.expires_at) - now <= healths.EXPIRING_WITHIN:
        return "expiring"
    return "active"


def _rows(conn: sa.Connection, principal: Principal, found: list[KeyOut], offer: Offer, now: datetime) -> list[KeyRow]:
    health = healths.health(conn, found, now)
    emails = accounts.emails_of(conn, principal, [k.created_by for k in found if k.created_by is not None])
    rows = []
    for key in found:
        if key.created_by_key is not None:
            creator = f"key #{key.created_by_key}"
        elif key.created_by is not None:
            creator = emails.get(key.created_by, f"user #{key.created_by}")
        else:
            creator = "operator"
        rows.append(
            KeyRow(
                key=key,
                kind=KINDS.get(key.kind, key.kind),
                binding=binding(key, offer),
                created_by=creator,
                last_used=when(key.last_used_at),
                expires=when(key.expires_at, "—"),
                health=health[key.id],
                status=status_of(key, now),
            )
        )
    return rows


def keys_view(
    conn: sa.Connection,
    principal: Principal,
    organization_id: int,
    *,
    kind: str,
    status: str,
    workspace: int | None,
    revoked: bool,
    now: datetime,
) -> KeysView:
    """The organization's keys the caller may see, filtered as the list page asks."""
    include_revoked = revoked or status == "revoked"
    found = keys.list_keys(conn, principal, include_revoked, organization_id)
    found = [k for k in found if k.deleted_at is None and (not kind or k.kind == kind)]
    if workspace is not None:
        found = [k for k in found if _reaches(k, workspace)]
    offer = offers.offer(conn, principal, organization_id, now)
    rows = _rows(conn, principal, found, offer, now)
    if status != "all":
        rows = [r for r in rows if r.status == status]
    return KeysView(rows, offer, offer.standing)


def _reaches(key: KeyOut, workspace: int) -> bool:
    return workspace not in key.exclude_workspaces if key.all_workspaces else workspace in key.workspaces


def key_view(
    conn: sa.Connection,
    principal: Principal,
    organization_id: int,
    key_id: int,
    *,
    log_window: tuple[datetime, datetime] | None,
    event: str | None,
    now: datetime,
    usage_days: int | None = None,
) -> KeyView:
    """One key of this organization, with its health and, when asked, its log and its usage over days."""
    found = keys.get_key(conn, principal, key_id)
    if found.organization_id != organization_id:
        raise NotFound(f"key {key_id} not found")
    offer = offers.offer(conn, principal, organization_id, now)
    row = _rows(conn, principal, [found], offer, now)[0]
    log = None
    if log_window is not None:
        log = key_log.read_log(conn, principal, key_id, log_window[0], log_window[1], event)
    usage = history.key_history(conn, key_id, usage_days, now.date()) if usage_days else None
    return KeyView(row, log, offer, usage)


def new_key_view(
    conn: sa.Connection, principal: Principal, organization_id: int, narrower_of: int | None, now: datetime
) -> tuple[Offer, KeyRow | None]:
    """What the create form offers, and the key a narrower one is made from."""
    offer = offers.offer(conn, principal, organization_id, now)
    if narrower_of is None:
        return offer, None
    found = keys.get_key(conn, principal, narrower_of)
    if found.organization_id != organization_id:
        raise NotFound(f"key {narrower_of} not found")
    return offer, _rows(conn, principal, [found], offer, now)[0]


def log_window(start: str, end: str, now: datetime) -> tuple[datetime, datetime]:
    """The log's [from, to) from a page's datetime-local fields, read as UTC, under the API's rules (the last day
    by default, at most 31 days)."""
    return key_log.window(_utc(start), _utc(end), now)


def _utc(local: str) -> str | None:
    """A datetime-local value (2026-12-01T10:00) as a UTC time the API reads."""
    return f"{local}Z" if local and local[-1:].isdigit() else (local or None)
