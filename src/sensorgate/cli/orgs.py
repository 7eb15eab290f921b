"""`sensorgate orgs plan`: an organization's rate-limit plan, which its keys' own `limits` override per field."""

from __future__ import annotations

from typing import Any

import click
import msgspec

from sensorgate.accounts import service as accounts
from sensorgate.cli.common import console, db_option, require_newest_schema, settings_for
from sensorgate.credentials import operator, plans, policy
from sensorgate.credentials.schemas import LimitsIn, check_window
from sensorgate.db.engine import Database, create_engine
from sensorgate.kit.errors import ApiError


@click.group()
def orgs() -> None:
    """Organizations."""


@orgs.command("plan")
@db_option
@click.argument("slug")
@click.option("--requests", type=int, help="data requests per window")
@click.option("--window", help="the window, an ISO 8601 duration from PT1S to P31D (e.g. PT15M, PT1H)")
@click.option("--daily", type=int, help="data requests per UTC day")
@click.option("--tokens", type=int, help="OAuth token requests per 15 minutes, per client")
@click.option("--unset", "unset", multiple=True, type=click.Choice(plans.FIELDS), help="back to the default")
@click.option("--reset", is_flag=True, help="drop the organization's plan: every field back to the default")
@click.option("--json", "as_json", is_flag=True, help="print the plan as one JSON object")
def plan(
    db_url: str | None,
    slug: str,
    requests: int | None,
    window: str | None,
    daily: int | None,
    tokens: int | None,
    unset: tuple[str, ...],
    reset: bool,
    as_json: bool,
) -> None:
    """Show or change an organization's plan.

    Without options it shows the plan. A field left out keeps its value; the default plan is 1,000,000
    requests per PT15M, no daily quota and 15 token requests. A running server applies a change within a minute.
    """
    given = {"requests": requests, "window": window, "daily": daily, "tokens": tokens}
    changes = {name: value for name, value in given.items() if value is not None}
    if reset and (changes or unset):
        raise click.UsageError("--reset drops the whole plan; give it alone")
    if both := sorted(set(changes) & set(unset)):
        raise click.UsageError(f"--{both[0]} and --unset {both[0]} contradict each other; give one")
    settings = settings_for(db_url, require_secrets=False)
    db = Database(create_engine(settings.sqlalchemy_url))
    try:
        require_newest_schema(db.engine)
        try:
            organization_id = db.read_sync(accounts.organization_id, slug)
        except ApiError as exc:
            raise click.ClickException(exc.message) from None
        stored = db.read_sync(plans.organization_plan, organization_id)
        own: dict[str, Any] = dict(stored) if stored else {}
        if changes or unset or reset:
            own = {} if reset else {k: v for k, v in {**own, **changes}.items() if k not in unset}
            _check(own)
            db.write_sync(plans.set_organization_plan, organization_id, own or None)
    finally:
        db.dispose()
    effective = plans.effective_plan(None, own).as_json()
    if as_json:
        print(msgspec.json.encode({"organization": slug, "own": own, "effective": effective}).decode())
        return
    for name in plans.FIELDS:
        value = effective[name]
        source = "organization" if name in own else "default"
        console.print(f"{name:>8}: {'none' if value is None else value}  ({source})")


def _check(values: dict[str, Any]) -> None:
    """The same bounds as a key's `limits` (POST /v1/keys)."""
    try:
        if "window" in values:
            check_window(values["window"], "--window")
        msgspec.convert(values, LimitsIn)
    except (msgspec.ValidationError, ValueError) as exc:
        raise click.BadParameter(str(exc).replace("$.", "--")) from None


@orgs.command("set")
@db_option
@click.argument("slug")
@click.option("--max-active-keys", type=int, help="active keys one user may hold (1 to 1000)")
@click.option("--max-key-lifetime-days", type=int, help="the longest lifetime of a new secret (1 to 3650 days)")
@click.option("--json", "as_json", is_flag=True, help="print the policy as one JSON object")
def set_policy(
    db_url: str | None, slug: str, max_active_keys: int | None, max_key_lifetime_days: int | None, as_json: bool
) -> None:
    """Show or change an organization's key policy: active keys per user and the longest key lifetime.

    Without options it shows them. Keys already made keep their expiry; a lower active-key limit revokes nothing.
    The same as PATCH /v1/organizations/{org}/settings, and the console's Settings page.
    """
    fields = {"maxActiveKeysPerUser": max_active_keys, "maxKeyLifetimeDays": max_key_lifetime_days}
    try:
        patch = msgspec.convert({k: v for k, v in fields.items() if v is not None}, policy.PolicyPatch)
    except msgspec.ValidationError as exc:
        message = str(exc).replace("$.maxActiveKeysPerUser", "--max-active-keys")
        raise click.BadParameter(message.replace("$.maxKeyLifetimeDays", "--max-key-lifetime-days")) from None
    settings = settings_for(db_url, require_secrets=False)
    db = Database(create_engine(settings.sqlalchemy_url))
    try:
        require_newest_schema(db.engine)
        found = db.write_sync(operator.change_policy, slug, patch)
    except ApiError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        db.dispose()
    if as_json:
        print(msgspec.json.encode(found).decode())
        return
    console.print(f"active keys per user: {found.max_active_keys_per_user}")
    console.print(f"longest key lifetime: {found.max_key_lifetime_days} days")
