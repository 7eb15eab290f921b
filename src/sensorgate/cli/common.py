"""Pieces shared by the CLI commands."""

from __future__ import annotations

import click
import sqlalchemy as sa
from rich.console import Console

from sensorgate.db import migrate
from sensorgate.settings import Settings, SettingsError, load_settings

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

db_option = click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="sqlite:///path/file.db or postgresql://user:pass@host:port/dbname "
    "(default: SENSORGATE_DATABASE_URL, else an SQLite file in the data dir)",
)


def settings_for(db_url: str | None, *, require_secrets: bool) -> Settings:
    try:
        return load_settings(require_secrets=require_secrets, database_url=db_url)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def require_newest_schema(engine: sa.Engine) -> None:
    """Stop with advice, rather than a traceback, when the database was never migrated or is behind."""
    if migrate.current_revision(engine) != migrate.head_revision():
        raise click.ClickException(
            "the database schema is not the newest: run `sensorgate db upgrade`, or serve with --migrate"
        )


def shown_url(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)
