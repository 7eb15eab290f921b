"""`sensorgate orgs plan`: an organization's rate-limit plan, which its keys' own `limits` override per field;
`sensorgate orgs limits`: its key policy (active keys per user, the longest key lifetime)."""

from __future__ import annotations

import copy
from typing import Any

import click

from sensorgate.cli.common import console, database, db_option, print_json
from sensorgate.credentials.lifetimes import MAX_LIFETIME_DAYS

# The fields of credentials.plans.FIELDS, which imports the database layer; tests/cli/test_startup.py keeps the two
# equal. They are the option names below too.
PLAN_FIELDS = ("requests", "window", "daily", "tokens")


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
@click.option("--unset", "unset", multiple=True, type=click.Choice(PLAN_FIELDS), help="back to the default")
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
    from sensorgate.accounts import service as accounts
    from sensorgate.credentials import plans

    given = {"requests": requests, "window": window, "daily": daily, "tokens": tokens}
    changes = {name: value for name, value in given.items() if value is not None}
    if reset and (changes or unset):
        raise click.UsageError("--reset drops the whole plan; give it alone")
    if both := sorted(set(changes) & set(unset)):
        raise click.UsageError(f"--{both[0]} and --unset {both[0]} contradict each other; give one")
    with database(db_url, require_secrets=False) as (db, _settings):
        organization_id = db.read_sync(accounts.organization_id, slug)
        stored = db.read_sync(plans.organization_plan, organization_id)
        own: dict[str, Any] = dict(stored) if stored else {}
        if changes or unset or reset:
            own = {} if reset else {k: v for k, v in {**own, **changes}.items() if k not in unset}
            _check(own)
            db.write_sync(plans.set_organization_plan, organization_id, own or None)
    effective = plans.effective_plan(None, own).as_json()
    if as_json:
        print_json({"organization": slug, "own": own, "effective": effective})
        return
    for name in PLAN_FIELDS:
        value = effective[name]
        source = "organization" if name in own else "default"
        console.print(f"{name:>8}: {'none' if value is None else value}  ({source})")


def _check(values: dict[str, Any]) -> None:
    """The same bounds as a key's `limits` (POST /v1/keys)."""
    import msgspec

    from sensorgate.credentials.schemas import LimitsIn, check_window

    try:
        if "window" in values:
            check_window(values["window"], "--window")
        msgspec.convert(values, LimitsIn)
    except (msgspec.ValidationError, ValueError) as exc:
        raise click.BadParameter(str(exc).replace("$.", "--")) from None


@orgs.command("limits")
@db_option
@click.argument("slug")
@click.option(
    "--active-keys",
    "--max-active-keys",
    "active_keys",
    type=int,
    help="active keys one user may hold (1 to 1000; 5 by default)",
)
@click.option(
    "--lifetime-days",
    "--max-key-lifetime-days",
    "lifetime_days",
    type=int,
    help=f"the longest lifetime of a new secret (1 to {MAX_LIFETIME_DAYS} days; 365 by default)",
)
@click.option("--json", "as_json", is_flag=True, help="print the policy as one JSON object")
def limits(db_url: str | None, slug: str, active_keys: int | None, lifetime_days: int | None, as_json: bool) -> None:
    """Show or change an organization's key policy: active keys per user and the longest key lifetime.

    Without options it shows them. Keys already made keep their expiry; a lower active-key limit revokes nothing,
    it stops new keys past it. The same as PATCH /v1/organizations/{org}/settings, and the console's Settings page.
    """
    import msgspec

    from sensorgate.credentials import operator, policy

    fields = {"maxActiveKeysPerUser": active_keys, "maxKeyLifetimeDays": lifetime_days}
    try:
        patch = msgspec.convert({k: v for k, v in fields.items() if v is not None}, policy.PolicyPatch)
    except msgspec.ValidationError as exc:
        message = str(exc).replace("$.maxActiveKeysPerUser", "--active-keys")
        raise click.BadParameter(message.replace("$.maxKeyLifetimeDays", "--lifetime-days")) from None
    with database(db_url, require_secrets=False) as (db, _settings):
        found = db.write_sync(operator.change_policy, slug, patch)
    if as_json:
        print_json(found)
        return
    console.print(f"active keys per user: {found.max_active_keys_per_user}")
    console.print(f"longest key lifetime: {found.max_key_lifetime_days} days")


# `orgs set`, its first name, still works; the help lists `limits` only.
_former = copy.copy(limits)
_former.hidden = True
orgs.add_command(_former, "set")
