"""`sensorgate keys`: API keys made and managed by the operator, from the server's own shell.

The operator acts with an owner's rights in the organization concerned, but as nobody in particular
(credentials/operator.py): keys made here count against no user's active-key limit. This module creates, lists
and shows keys; key_changes.py edits, reissues, revokes, deletes and reads a key's log.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from sensorgate.auth.scopes import CREDENTIAL_SCOPES
from sensorgate.cli.common import console, db_option, err_console, in_database, json_option, print_json
from sensorgate.credentials.lifetimes import DEFAULT_EXPIRY, LIFETIMES

if TYPE_CHECKING:
    from sensorgate.credentials import service
    from sensorgate.credentials.schemas import KeyCreated, KeyOut
    from sensorgate.db.engine import Database
    from sensorgate.settings import Settings

USER_AGENT = "sensorgate cli"
KINDS = ("api_key", "signing_key", "oauth_client")


@click.group()
def keys() -> None:
    """API keys, managed with full rights in their organization."""


@keys.command()
@click.option(
    "--workspace",
    "workspace_slug",
    metavar="SLUG",
    help="the workspace the key reaches; needed when there is more than one",
)
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
    help=f"{LIFETIMES}; default {DEFAULT_EXPIRY}. The same as the API's expiresIn. "
    "The organization's longest lifetime still applies.",
)
@click.option("--kind", default="api_key", show_default=True, type=click.Choice(KINDS))
@click.option("--owner", default="", help="who is responsible for the key (free text)")
@click.option("--email", default=None, help="whom to tell about the key, e.g. before it expires")
@click.option("--description", default="", help="what the key is for")
@click.option("--ip", "ips", multiple=True, metavar="CIDR", help="only from these addresses; repeat for several")
@click.option("--device-group", default=None, metavar="NAME", help="only this device group of the workspace")
@json_option
@db_option
def create(
    workspace_slug: str | None,
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
    import msgspec

    from sensorgate.credentials import operator
    from sensorgate.credentials.schemas import KeyIn

    fields: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "description": description,
        "owner": owner,
        "email": email,
        "workspaces": [workspace_slug] if workspace_slug else None,
        "deviceGroup": device_group,
        "scopes": list(scopes) or None,
        "ipAllowlist": list(ips),
        "expiresIn": expires,
    }
    try:
        # convert, not KeyIn(...): only decoding checks the length limits declared on the struct.
        body = msgspec.convert(fields, KeyIn)
    except (msgspec.ValidationError, ValueError) as exc:
        raise click.ClickException(str(exc).replace("expiresIn", "--expires").replace("$.", "")) from None
    now = now_ms()

    def work(db: Database, settings: Settings) -> tuple[KeyCreated, str, str]:
        def write(conn: Any) -> tuple[KeyCreated, str, str]:
            workspace = workspace_slug or operator.only_workspace(conn)
            return (*operator.create(conn, workspace, body, origin(settings, now)), workspace)

        return db.write_sync(write)

    created, organization, workspace = in_database(db_url, work, require_secrets=True)
    if workspace_slug is None:
        # Said on stderr too with --json, so that what was chosen is never silent.
        err_console.print(f"no --workspace given: the key reaches workspace {workspace}, the only one")
    if as_json:
        print_json(created)
        return
    console.print(f"created key {created.id} in organization {escape(organization)}, workspace {escape(workspace)}")
    print_secret(created)
    print_key(created.key)


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
    from rich import box
    from rich.table import Table

    from sensorgate.credentials import operator
    from sensorgate.kit.times import iso, utcnow

    if workspace_slug and org_slug:
        raise click.UsageError("give --workspace or --org, not both")

    def work(db: Database, _settings: Settings) -> tuple[list[KeyOut], dict[int, str], dict[int, str]]:
        return db.read_sync(operator.list_keys, workspace_slug, org_slug, include_revoked)

    found, organization_slugs, workspace_slugs = in_database(db_url, work, require_secrets=False)
    if as_json:
        print_json({"items": found})
        return
    if not found:
        console.print("no keys")
        return
    # Light borders: the table must fit 80 columns when piped, where rich cannot ask the terminal.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.add_column("id", no_wrap=True)
    # Fold rather than cut with an ellipsis: a name or slug is what the reader looks for.
    table.add_column("name", overflow="fold", min_width=12)
    table.add_column("kind", overflow="fold")
    table.add_column("org", overflow="fold")
    table.add_column("workspaces", overflow="fold")
    table.add_column("scopes", no_wrap=True)  # one a line
    table.add_column("expires", overflow="fold")
    table.add_column("state", no_wrap=True)
    now = iso(utcnow())
    for key in found:
        table.add_row(
            str(key.id),
            escape(key.name),
            key.kind.replace("_", " "),  # two words fold onto two lines in a narrow terminal
            escape(organization_slugs.get(key.organization_id, str(key.organization_id))),
            escape(reach(key, workspace_slugs)),
            "\n".join(key.scopes),
            minutes(key.expires_at),
            state(key, now),
        )
    console.print(table)


@keys.command()
@click.argument("key_id", metavar="ID", type=int)
@json_option
@db_option
def show(key_id: int, as_json: bool, db_url: str | None) -> None:
    """Everything about one key (deleted ones too), its secrets by prefix. Never shows a secret."""
    from sensorgate.credentials import operator
    from sensorgate.kit.times import iso, utcnow

    def work(db: Database, _settings: Settings) -> tuple[KeyOut, str, dict[int, str]]:
        return db.read_sync(operator.get_key, key_id)

    key, organization, workspace_slugs = in_database(db_url, work, require_secrets=False)
    if as_json:
        print_json(key)
        return
    lines = [
        ("key", f"{key.id} ({key.kind.replace('_', ' ')})" + (f", public id {key.public_id}" if key.public_id else "")),
        ("state", state(key, iso(utcnow()))),
        ("organization", organization),
        ("workspaces", reach(key, workspace_slugs).replace("\n", ", ")),
        ("device group", "any" if key.device_group is None else str(key.device_group)),
        ("scopes", ", ".join(key.scopes)),
        ("addresses", ", ".join(key.ip_allowlist) or "any"),
        ("owner", key.owner or "-"),
        ("email", key.email or "-"),
        ("description", key.description or "-"),
        ("can renew", "yes" if key.can_renew else "no"),
        ("lifetime", f"{key.lifetime_days} days, for later reissues and renewals"),
        ("created", key.created_at + (f" by user {key.created_by}" if key.created_by else "")),
        ("last used", key.last_used_at or "never"),
    ]
    console.print(f"[bold]{escape(key.name)}[/bold]", soft_wrap=True)
    for label, value in lines:
        console.print(f"  {label + ':':<13} {escape(value)}", soft_wrap=True)
    print_secrets(key)


# Shared with key_changes.py.


def now_ms() -> datetime:
    # Whole milliseconds, as times are stored and read back: what is printed is what the database holds.
    from sensorgate.kit.times import utcnow

    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def origin(settings: Settings, now: datetime) -> service.Origin:
    from sensorgate.credentials import service

    return service.Origin(
        ip=None, user_agent=USER_AGENT, now=now, pepper=settings.hash_pepper, master_key=settings.master_key_bytes
    )


def escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def print_secret(created: KeyCreated) -> None:
    if created.key.kind == "signing_key":
        console.print(f"public id (X-API-Key): [bold]{created.public_id}[/bold]", soft_wrap=True)
    elif created.key.kind == "oauth_client":
        console.print(f"client_id: [bold]{created.public_id}[/bold]", soft_wrap=True)
    console.print(f"secret (shown once, store it now): [bold]{created.secret}[/bold]", soft_wrap=True)


def print_key(key: KeyOut) -> None:
    console.print(f"  name:    {escape(key.name)}", soft_wrap=True)
    console.print(f"  scopes:  {', '.join(key.scopes)}", soft_wrap=True)
    console.print(f"  expires: {key.expires_at or 'never'}", soft_wrap=True)
    print_secrets(key)


def print_secrets(key: KeyOut) -> None:
    # After a reissue the old secrets are listed too, each by the prefix it starts with.
    for secret in key.secrets:
        valid = "revoked" if secret.revoked_at else f"valid until {secret.expires_at}"
        console.print(f"  secret {secret.prefix}…: {valid}", soft_wrap=True)


def reach(key: KeyOut, workspace_slugs: dict[int, str]) -> str:
    """The workspaces a key reaches, one a line."""
    if not key.all_workspaces:
        return "\n".join(workspace_slugs.get(w, str(w)) for w in key.workspaces)
    if not key.exclude_workspaces:
        return "all"
    return "all except\n" + "\n".join(workspace_slugs.get(w, str(w)) for w in key.exclude_workspaces)


def minutes(time: str | None) -> str:
    # 2026-11-22T03:50:15.123Z as 2026-11-22 03:50Z: what a reader needs, and it fits an 80-column table.
    return "never" if time is None else time[:16].replace("T", " ") + "Z"


def state(key: KeyOut, now: str) -> str:
    if key.deleted_at:
        return "deleted"
    if key.revoked_at:
        return "revoked"
    # ISO 8601 UTC strings of one format compare as the times they name.
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"
