"""`sensorgate users create`."""

from __future__ import annotations

import sys

import click

from sensorgate.cli.common import console, database, db_option


@click.group()
def users() -> None:
    """Console users."""


@users.command()
@click.option("--email", required=True, help="the user's email, used to log in")
@click.option("--org", "org_slug", required=True, help="organization slug; created with a workspace of that slug")
@click.option("--role", required=True, type=click.Choice(["owner", "admin", "member", "viewer"]))
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@db_option
def create(email: str, org_slug: str, role: str, password_stdin: bool, db_url: str | None) -> None:
    """Create a user (or give an existing one a role) in an organization.

    A new user needs a password: from standard input with --password-stdin, typed at a prompt, or, when
    there is no terminal, generated and printed once. An existing user keeps its password unless
    --password-stdin gives a new one.
    """
    from sensorgate.accounts import service
    from sensorgate.accounts.passwords import hash_password
    from sensorgate.kit.times import utcnow
    from sensorgate.kit.validate import check_slug, normalize_email

    try:
        email = normalize_email(email)
        check_slug(org_slug)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    with database(db_url, require_secrets=False) as (db, _settings):
        exists = db.read_sync(service.user_exists, email)
        password, generated = _password(email, password_stdin, exists)
        password_hash = hash_password(password) if password is not None else None
        user_id, created = db.write_sync(service.ensure_user, email, password_hash, org_slug, role, utcnow())
    verb = "created" if created else "updated"
    console.print(f"{verb} user {email} (id {user_id}) as {role} of organization {org_slug}")
    if generated:
        console.print(f"password (shown once): [bold]{password}[/bold]")


def _password(email: str, from_stdin: bool, exists: bool) -> tuple[str | None, bool]:
    from sensorgate.accounts.passwords import password_problem

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif exists:
        return None, False
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        import secrets

        return secrets.token_urlsafe(18), True
    problem = password_problem(password, email)
    if problem:
        raise click.BadParameter(problem, param_hint="password")
    return password, False
