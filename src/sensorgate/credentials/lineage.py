"""Keys made by keys: what a key's makers allow it, for as long as it lives.

A key with keys:write may make keys, and those may make keys in turn. Each never holds more than the key that made
it, now or later: its scopes, workspaces and device group are checked at creation (grants.py) and fixed; its
expiry, renewal, IP allowlist and limits are checked at creation and again whenever they could grow (edit,
reissue, renew, and each plan read); and revoking a key revokes every key made through it.

The checks read the whole line of makers, not only the parent, so that keys made before a rule existed are held
to it too. A line is a handful of keys, read only when a key's state is read from the database (at most once a
second per key), and only for keys that have a maker.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sensorgate.accounts import store as accounts_store
from sensorgate.credentials import policy, store
from sensorgate.kit.errors import Conflict

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Makers:
    """What the keys above one key allow it. `none` when it was made by a user or the operator."""

    keys: tuple[Any, ...]  # rows, nearest first
    revoked: bool  # one of them is revoked (or deleted)
    expires_at: datetime | None  # the earliest of their newest live secrets' expiries; None: no makers
    can_renew: bool  # all of them may renew

    @property
    def any(self) -> bool:
        return bool(self.keys)


NO_MAKERS = Makers((), False, None, True)


def makers(conn: sa.Connection, row: Any) -> Makers:
    """The line of keys that made this key (row), and what together they allow."""
    if row.created_by_credential_id is None:
        return NO_MAKERS
    return _line(conn, store.maker_chain(conn, row))


def line_from(conn: sa.Connection, maker: Any) -> Makers:
    """The makers of a key that `maker` (a key's row) is making now: the maker and the line above it."""
    return _line(conn, [maker, *store.maker_chain(conn, maker)])


def _line(conn: sa.Connection, chain: list[Any]) -> Makers:
    # A maker without a live secret (all revoked) can make nothing live either: it counts as revoked.
    expiries = [store.newest_expiry(conn, maker.id) for maker in chain]
    revoked = any(m.revoked_at is not None or m.deleted_at is not None for m in chain) or None in expiries
    live = [e for e in expiries if e is not None]
    return Makers(
        keys=tuple(chain),
        revoked=revoked,
        expires_at=min(live) if live else None,
        can_renew=all(m.can_renew for m in chain),
    )


def root_of(conn: sa.Connection, row: Any) -> Any:
    """The first key of a key's line: the one no key made (a user's, or the operator's with the CLI)."""
    chain = store.maker_chain(conn, row)
    return chain[-1] if chain else row


def check_line_limit(conn: sa.Connection, maker: Any, organization_id: int, now: datetime) -> None:
    """The per-user active-key limit, for a line of keys that no user made: a key made with the CLI belongs to
    no user, so the keys made through it count against that key's line instead (the CLI key included)."""
    root = root_of(conn, maker)
    # Serialize the line's creates, as grants.check_active_limit does a user's.
    store.lock_credential(conn, root.id)
    organization = accounts_store.organization_by_id(conn, organization_id)
    limit = organization.max_active_keys_per_user
    if store.active_in_line(conn, root.id, now) >= limit:
        raise Conflict(
            f"key {root.id} (made with the CLI, so no user's) and the keys made through it already hold {limit} "
            f"active keys, the most this organization allows a user; revoke one no longer needed, or "
            f"{policy.raising_the_limit(organization.slug)}"
        )


def networks(cidrs: list[str]) -> list[Network]:
    return [ipaddress.ip_network(c, strict=False) for c in cidrs]


def within(inner: list[str], outer: list[str]) -> list[str]:
    """The networks of `inner` that lie in none of `outer`'s (an empty `outer` holds every address)."""
    if not outer:
        return []
    held = networks(outer)
    return [
        cidr
        for cidr, net in zip(inner, networks(inner), strict=True)
        if not any(net.version == o.version and net.subnet_of(o) for o in held)  # type: ignore[arg-type]
    ]
