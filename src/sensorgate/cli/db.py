"""`sensorgate db upgrade`."""

from __future__ import annotations

import click

from sensorgate.cli.common import console, db_option, settings_for, shown_url


@click.group()
def db() -> None:
    """Database schema."""


@db.command()
@db_option
def upgrade(db_url: str | None) -> None:
    """Migrate the database to the newest schema. Safe to run again, and from several hosts at once."""
    from sensorgate.db import migrate
    from sensorgate.db.engine import create_engine

    settings = settings_for(db_url, require_secrets=False)
    engine = create_engine(settings.sqlalchemy_url)
    try:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        after = migrate.current_revision(engine)
    finally:
        engine.dispose()
    where = shown_url(settings.sqlalchemy_url)
    if before == after:
        console.print(f"{where}: already at revision {after} (newest)")
    else:
        console.print(f"{where}: migrated from {before or 'empty'} to {after}")
