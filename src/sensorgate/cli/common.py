"""Pieces shared by the CLI commands."""

from __future__ import annotations

import os

import click
import sqlalchemy as sa
from rich.console import Console

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
    if db_url:
        # Workers started by granian read the environment, so the choice must live there.
        os.environ["SENSORGATE_DATABASE_URL"] = db_url
    try:
        return load_settings(require_secrets=require_secrets)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def shown_url(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)
