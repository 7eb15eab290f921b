"""`sensorgate keys edit|reissue|revoke|delete|log`: the rest of a key's life, on the services the API calls.

PATCH /v1/keys/{id}, POST .../reissue, POST .../revoke, DELETE /v1/keys/{id} and GET .../log, as the operator.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import click

from sensorgate.cli.common import console, db_option, in_database, json_option, print_json
from sensorgate.cli.keys import escape, keys, now_ms, origin, print_key, print_secret
from sensorgate.credentials.lifetimes import MAX_LIFETIME_DAYS

if TYPE_CHECKING:
    from sensorgate.credentials.schemas import KeyCreated, KeyOut
    from sensorgate.db.engine import Database
    from sensorgate.settings import Settings
    from sensorgate.usage.key_log import KeyLog

# The events a log can be narrowed to: usage.key_log.EVENTS, which tests/cli/test_startup.py keeps equal.
LOG_EVENTS = (
    "created",
    "edited",
    "reissued",
    "renewed",
    "revoked",
    "deleted",
    "secrets_purged",
    "token_issued",
    "token_revoked",
    "used",
    "refused",
)


@keys.command()
@click.argument("key_id", metavar="ID", type=int)
@click.option("--name", default=None, help="a new name")
@click.option("--description", default=None, help="what the key is for")
@click.option("--owner", default=None, help="who is responsible for the key (free text)")
@click.option("--email", default=None, help="whom to tell about the key")
@click.option("--can-renew/--cannot-renew", "can_renew", default=None, help="may it renew itself (GET /v1/token/renew)")
@click.option(
    "--lifetime-days",
    type=click.IntRange(1, MAX_LIFETIME_DAYS),
    help="the lifetime of the secrets that later reissues and renewals make",
)
@json_option
@db_option
def edit(
    key_id: int,
    name: str | None,
    description: str | None,
    owner: str | None,
    email: str | None,
    can_renew: bool | None,
    lifetime_days: int | None,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Change what describes a key; its access (scopes, workspaces, addresses...) is fixed: make a new key."""
    import msgspec

    from sensorgate.credentials import operator
    from sensorgate.credentials.schemas import KeyPatch

    given = {"name": name, "description": description, "owner": owner, "email": email, "canRenew": can_renew,
             "lifetimeDays": lifetime_days}  # fmt: skip
    fields = {k: v for k, v in given.items() if v is not None}
    if not fields:
        raise click.UsageError(
            "say what to change: --name, --description, --owner, --email, --can-renew or --lifetime-days"
        )
    try:
        patch = msgspec.convert(fields, KeyPatch)
    except (msgspec.ValidationError, ValueError) as exc:
        raise click.ClickException(str(exc).replace("$.", "")) from None
    now = now_ms()

    def work(db: Database, settings: Settings) -> KeyOut:
        return db.write_sync(operator.update, key_id, patch, origin(settings, now))

    key = in_database(db_url, work, require_secrets=False)
    if as_json:
        print_json(key)
        return
    console.print(f"edited key {key.id}: {', '.join(sorted(fields))}")
    print_key(key)


@keys.command()
@click.argument("key_id", metavar="ID", type=int)
@json_option
@db_option
def revoke(key_id: int, as_json: bool, db_url: str | None) -> None:
    """Revoke a key and all its secrets, for good, and every key made through it. A running server refuses them
    within a second."""
    key = _revoke(key_id, db_url, delete=False)
    if as_json:
        print_json(key)
        return
    console.print(f"revoked key {key.id} ({escape(key.name)})")


@keys.command()
@click.argument("key_id", metavar="ID", type=int)
@json_option
@db_option
def delete(key_id: int, as_json: bool, db_url: str | None) -> None:
    """Delete a key: revoked for good (with every key made through it), listed only with --include-revoked.
    Its log and audit trail stay (`keys show`, `keys log`)."""
    key = _revoke(key_id, db_url, delete=True)
    if as_json:
        print_json(key)
        return
    console.print(f"deleted key {key.id} ({escape(key.name)})")


def _revoke(key_id: int, db_url: str | None, *, delete: bool) -> KeyOut:
    from sensorgate.credentials import operator

    now = now_ms()

    def work(db: Database, settings: Settings) -> KeyOut:
        return db.write_sync(operator.revoke, key_id, origin(settings, now), delete=delete)

    return in_database(db_url, work, require_secrets=False)


@keys.command()
@click.argument("key_id", metavar="ID", type=int)
@click.option(
    "--old-expires-in-days",
    "old_days",
    type=click.IntRange(0, MAX_LIFETIME_DAYS),
    help="end the old secret this many days from now (default: it keeps its own expiry)",
)
@json_option
@db_option
def reissue(key_id: int, old_days: int | None, as_json: bool, db_url: str | None) -> None:
    """Give a key a new secret with the same permissions; the old one works on until it expires."""
    from sensorgate.credentials import operator

    now = now_ms()
    old_expires = None if old_days is None else now + timedelta(days=old_days)

    def work(db: Database, settings: Settings) -> KeyCreated:
        return db.write_sync(operator.reissue, key_id, origin(settings, now), old_expires)

    created = in_database(db_url, work, require_secrets=True)
    if as_json:
        print_json(created)
        return
    console.print(f"reissued key {created.id} ({escape(created.key.name)})")
    print_secret(created)
    print_key(created.key)


@keys.command()
@click.argument("key_id", metavar="ID", type=int)
@click.option("--from", "start", metavar="TIME", help="from this time (default: a day before --to)")
@click.option("--to", "end", metavar="TIME", help="up to this time (default: now); at most 31 days after --from")
@click.option("--event", type=click.Choice(LOG_EVENTS), help="only lines of this kind")
@click.option("--csv", "as_csv", is_flag=True, help="print CSV, the columns of GET /v1/keys/{id}/log?format=csv")
@json_option
@db_option
def log(
    key_id: int, start: str | None, end: str | None, event: str | None, as_csv: bool, as_json: bool, db_url: str | None
) -> None:
    """A key's log: its lifecycle events and, per minute, its uses and refusals (with their reason), oldest first.

    Times are ISO 8601 (2026-11-30T10:00:00Z) or epoch seconds. Running servers write uses in batches, about
    every second, so the last second of use may not show yet. At most 10,000 lines: narrow --from/--to.
    """
    from sensorgate.credentials import operator
    from sensorgate.kit.errors import ApiError
    from sensorgate.usage import key_log

    if as_csv and as_json:
        raise click.UsageError("give --csv or --json, not both")
    try:
        lower, upper = key_log.window(start, end, now_ms())
    except ApiError as exc:
        raise click.BadParameter(re.sub(r"\b(from|to)\b", r"--\1", exc.message)) from None

    def work(db: Database, _settings: Settings) -> KeyLog:
        def read(conn: Any) -> KeyLog:
            principal = operator.operator_of_key(conn, key_id, deleted=True)
            return key_log.read_log(conn, principal, key_id, lower, upper, event)

        return db.read_sync(read)

    trail = in_database(db_url, work, require_secrets=False)
    if as_csv:
        click.echo(key_log.to_csv(trail), nl=False)
    elif as_json:
        print_json(trail)
    else:
        _print_log(trail)


def _print_log(trail: KeyLog) -> None:
    if not trail.items:
        console.print(f"key {trail.key}: nothing from {trail.start} to {trail.end}")
        return
    for entry in trail.items:
        what = entry.event + (f" x{entry.count}" if entry.count is not None else "")
        parts = [entry.time, what]
        if entry.reason:
            parts.append(f"reason {entry.reason}")
        if entry.ip:
            parts.append(f"from {entry.ip}")
        if entry.actor_user:
            parts.append(f"by user {entry.actor_user}")
        if entry.actor_key:
            parts.append(f"by key {entry.actor_key}")
        if entry.details:
            parts.append("; ".join(f"{k} {_shown(v)}" for k, v in entry.details.items()))
        console.print(escape("  ".join(parts)), soft_wrap=True)


def _shown(value: object) -> str:
    # ["can_renew", "name"] as can_renew, name: the log is read, not parsed (--json and --csv are for that).
    return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
