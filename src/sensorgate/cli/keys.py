"""`sensorgate keys`: API keys made and managed by the operator, from the server's own shell.

The operator acts with an owner's rights in the organization concerned, but as nobody in particular
(credentials/operator.py): keys made here count against no user's active-key limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import click
import msgspec
from rich import box
from rich.markup import escape
from rich.table import Table

from sensorgate.auth.scopes import CREDENTIAL_SCOPES
from sensorgate.cli.common import console, db_option, require_newest_schema, settings_for
from sensorgate.credentials import operator, service
from sensorgate.credentials.schemas import EXPIRY_PRESETS, KeyCreated, KeyIn, KeyOut
from sensorgate.db.engine import Database, create_engine
from sensorgate.kit.errors import ApiError
from sensorgate.kit.times import iso, utcnow
from sensorgate.settings import Settings

T = TypeVar("T")

USER_AGENT = "sensorgate cli"
MAX_DAYS = 3650
DAYS = re.compile(r"(\d{1,4})d")

json_option = click.option("--json", "as_json", is_flag=True, help="print one JSON object instead of text")


@click.group()
def keys() -> None:
    """API keys, managed with full rights in their organization."""


@keys.command()
@click.option("--workspace", "workspace_slug", required=True, metavar="SLUG", help="the workspace the key reaches")
@click.option("--name", required=True, help="a name to recognise the key by")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice([scope.value for scope in CREDENTIAL_SCOPES]),
    help="repeat for several (default: data:read)",
)
@click.option(
    "--expires",
    metavar="LIFETIME",
    help=f"{', '.join(EXPIRY_PRESETS)}, or Nd for N days (1 to {MAX_DAYS}); default 3m. "
    "The organization's longest lifetime still applies.",
)
@click.option(
    "--kind",
    default="api_key",
    show_default=True,
    type=click.Choice(["api_key", "signing_key", "oauth_client"]),
)
@click.option("--owner", default="", help="who is responsible for the key (free text)")
@click.option("--email", default=None, help="whom to tell about the key, e.g. before it expires")
@click.option("--description", default="", help="what the key is for")
@click.option("--ip", "ips", multiple=True, metavar="CIDR", help="only from these addresses; repeat for several")
@click.option("--device-group", default=None, metavar="NAME", help="only this device group of the workspace")
@json_option
@db_option
def create(
    workspace_slug: str,
    name: str,
    scopes: tuple[str, ...],
    expires: str | None,
    kind: str,
    owner: str,
    email: str | None,
    description: str,
    ips: tuple[str, ...],
    device_group: str | None,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Create a key for one workspace and print its secret, which is shown this once.

    An api_key is sent as is. A signing_key prints a public id (sent in X-API-Key) and the secret that signs
    each request; an oauth_client prints a client_id and client secret for POST /v1/oauth/token.
    """
    now = _now()
    fields: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "description": description,
        "owner": owner,
        "email": email,
        "workspaces": [workspace_slug],
        "deviceGroup": device_group,
        "scopes": list(scopes) or None,
        "ipAllowlist": list(ips),
    }
    fields |= _lifetime(expires, now)
    try:
        # convert, not KeyIn(...): only decoding checks the length limits declared on the struct.
        body = msgspec.convert(fields, KeyIn)
    except (msgspec.ValidationError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None

    def work(db: Database, settings: Settings) -> tuple[KeyCreated, str]:
        return db.write_sync(operator.create, workspace_slug, body, _request(settings, now))

    created, organization = _in_database(db_url, work, require_secrets=True)
    if as_json:
        _print_json(created)
        return
    console.print(f"created key {created.id} in organization {escape(organization)}")
    _print_secret(created)
    _print_key(created.key)


@keys.command("list")
@click.option("--workspace", "workspace_slug", metavar="SLUG", help="the organization of this workspace")
@click.option("--org", "org_slug", metavar="SLUG", help="this organization (default: every organization)")
@click.option("--include-revoked", is_flag=True, help="also the revoked and deleted keys")
@json_option
@db_option
def list_(
    workspace_slug: str | None, org_slug: str | None, include_revoked: bool, as_json: bool, db_url: str | None
) -> None:
    """List the keys of an organization, or of every organization. Never shows a secret."""
    if workspace_slug and org_slug:
        raise click.UsageError("give --workspace or --org, not both")

    def work(db: Database, _settings: Settings) -> tuple[list[KeyOut], dict[int, str], dict[int, str]]:
        return db.read_sync(operator.list_keys, workspace_slug, org_slug, include_revoked)

    found, organization_slugs, workspace_slugs = _in_database(db_url, work, require_secrets=False)
    if as_json:
        _print_json({"items": found})
        return
    if not found:
        console.print("no keys")
        return
    # Light borders: the table must fit 80 columns when piped, where rich cannot ask the terminal.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.add_column("id", no_wrap=True)
    # Fold rather than cut with an ellipsis: a name or slug is what the reader looks for.
    table.add_column("name", overflow="fold", min_width=14)
    table.add_column("org", overflow="fold")
    table.add_column("workspaces", overflow="fold")
    table.add_column("scopes", no_wrap=True)  # one a line
    table.add_column("expires", no_wrap=True)
    table.add_column("state", no_wrap=True)
    now = iso(utcnow())
    for key in found:
        table.add_row(
            str(key.id),
            escape(key.name),
            escape(organization_slugs.get(key.organization_id, str(key.organization_id))),
            escape(_reach(key, workspace_slugs)),
            "\n".join(key.scopes),
            _minutes(key.expires_at),
            _state(key, now),
        )
    console.print(table)


@keys.command()
@click.argument("key_id", metavar="ID", type=int)
@json_option
@db_option
def revoke(key_id: int, as_json: bool, db_url: str | None) -> None:
    """Revoke a key and all its secrets, for good. A running server refuses it within a second."""
    now = _now()

    def work(db: Database, settings: Settings) -> KeyOut:
        return db.write_sync(operator.revoke, key_id, _request(settings, now))

    key = _in_database(db_url, work, require_secrets=False)
    if as_json:
        _print_json(key)
        return
    console.print(f"revoked key {key.id} ({escape(key.name)})")


@keys.command()
@click.argument("key_id", metavar="ID", type=int)
@click.option(
    "--old-expires-in-days",
    "old_days",
    type=click.IntRange(0, MAX_DAYS),
    help="end the old secret this many days from now (default: it keeps its own expiry)",
)
@json_option
@db_option
def reissue(key_id: int, old_days: int | None, as_json: bool, db_url: str | None) -> None:
    """Give a key a new secret with the same permissions; the old one works on until it expires."""
    now = _now()
    old_expires = None if old_days is None else now + timedelta(days=old_days)

    def work(db: Database, settings: Settings) -> KeyCreated:
        return db.write_sync(operator.reissue, key_id, _request(settings, now), old_expires)

    created = _in_database(db_url, work, require_secrets=True)
    if as_json:
        _print_json(created)
        return
    console.print(f"reissued key {created.id} ({escape(created.key.name)})")
    _print_secret(created)
    _print_key(created.key)


# Plumbing.


def _in_database(db_url: str | None, work: Callable[[Database, Settings], T], *, require_secrets: bool) -> T:
    # Creating and reissuing hash a new secret with the pepper; listing and revoking need no secret.
    settings = settings_for(db_url, require_secrets=require_secrets)
    db = Database(create_engine(settings.sqlalchemy_url))
    try:
        require_newest_schema(db.engine)
        return work(db, settings)
    except ApiError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        db.dispose()


def _now() -> datetime:
    # Whole milliseconds, as times are stored and read back: `--expires 30d` then gives exactly 30 days,
    # not 29 days and 23:59:59.999 once the service parses expiresAt again.
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _request(settings: Settings, now: datetime) -> service.Origin:
    return service.Origin(
        ip=None, user_agent=USER_AGENT, now=now, pepper=settings.hash_pepper, master_key=settings.master_key_bytes
    )


def _lifetime(expires: str | None, now: datetime) -> dict[str, str]:
    """A preset goes to the service as it is; N days becomes an expiry time, which the service checks alike."""
    if expires is None:
        return {}
    if expires in EXPIRY_PRESETS:
        return {"expiresIn": expires}
    days = DAYS.fullmatch(expires)
    if days is None or not 1 <= int(days.group(1)) <= MAX_DAYS:
        raise click.BadParameter(
            f"use {', '.join(EXPIRY_PRESETS)}, or Nd for N days from 1 to {MAX_DAYS}", param_hint="--expires"
        )
    return {"expiresAt": iso(now + timedelta(days=int(days.group(1))))}


def _print_json(value: object) -> None:
    # Plain click.echo: rich would wrap long lines and colour the text.
    click.echo(msgspec.json.encode(value).decode())


def _print_secret(created: KeyCreated) -> None:
    if created.key.kind == "signing_key":
        console.print(f"public id (X-API-Key): [bold]{created.public_id}[/bold]", soft_wrap=True)
    elif created.key.kind == "oauth_client":
        console.print(f"client_id: [bold]{created.public_id}[/bold]", soft_wrap=True)
    console.print(f"secret (shown once, store it now): [bold]{created.secret}[/bold]", soft_wrap=True)


def _print_key(key: KeyOut) -> None:
    console.print(f"  name:    {escape(key.name)}", soft_wrap=True)
    console.print(f"  scopes:  {', '.join(key.scopes)}", soft_wrap=True)
    console.print(f"  expires: {key.expires_at or 'never'}", soft_wrap=True)
    # After a reissue the old secrets are listed too, each by the prefix it starts with.
    for secret in key.secrets:
        state = "revoked" if secret.revoked_at else f"valid until {secret.expires_at}"
        console.print(f"  secret {secret.prefix}…: {state}", soft_wrap=True)


def _reach(key: KeyOut, workspace_slugs: dict[int, str]) -> str:
    """The workspaces a key reaches, one a line."""
    if not key.all_workspaces:
        return "\n".join(workspace_slugs.get(w, str(w)) for w in key.workspaces)
    if not key.exclude_workspaces:
        return "all"
    return "all except\n" + "\n".join(workspace_slugs.get(w, str(w)) for w in key.exclude_workspaces)


def _minutes(time: str | None) -> str:
    # 2026-11-22T03:50:15.123Z as 2026-11-22 03:50Z: what a reader needs, and it fits an 80-column table.
    return "never" if time is None else time[:16].replace("T", " ") + "Z"


def _state(key: KeyOut, now: str) -> str:
    if key.deleted_at:
        return "deleted"
    if key.revoked_at:
        return "revoked"
    # ISO 8601 UTC strings of one format compare as the times they name.
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"
