"""Pieces shared by the CLI commands.

The CLI's modules import click and little else at the top: `sensorgate --help` and `--version` must not load the
app, SQLAlchemy, Alembic or rich, which cost twenty times click itself (bench/cli_startup.py,
tests/cli/test_startup.py). Each command imports what it needs when it runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    import sqlalchemy as sa
    from rich.console import Console

    from sensorgate.db.engine import Database
    from sensorgate.settings import Settings

T = TypeVar("T")


class LazyConsole:
    """A rich Console made on first use."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    @property
    def rich(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr, highlight=False)
        return self._console

    def print(self, *objects: Any, **options: Any) -> None:
        self.rich.print(*objects, **options)


console = LazyConsole(stderr=False)
err_console = LazyConsole(stderr=True)

db_option = click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="sqlite:///path/file.db or postgresql://user:pass@host:port/dbname "
    "(default: SENSORGATE_DATABASE_URL, else an SQLite file in the data dir)",
)
json_option = click.option("--json", "as_json", is_flag=True, help="print one JSON object instead of text")


def settings_for(db_url: str | None, *, require_secrets: bool) -> Settings:
    from sensorgate.settings import SettingsError, load_settings

    try:
        settings = load_settings(require_secrets=require_secrets, database_url=db_url)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    if settings.mode == "demo" and "SENSORGATE_MODE" not in os.environ:
        # Said on stderr, so that --json output stays one JSON value.
        err_console.print(f"[dim]{settings.data_dir}: the data dir of `serve --demo`, used in demo mode[/dim]")
    return settings


def require_newest_schema(engine: sa.Engine) -> None:
    """Stop with advice, rather than a traceback, when the database was never migrated or is behind."""
    from sensorgate.db import migrate

    if migrate.current_revision(engine) != migrate.head_revision():
        raise click.ClickException(
            "the database schema is not the newest: run `sensorgate db upgrade`, or serve with --migrate"
        )


@contextmanager
def database(db_url: str | None, *, require_secrets: bool) -> Iterator[tuple[Database, Settings]]:
    """The database of the settings, at the newest schema, and the settings; a service's 4xx is a clean exit."""
    from sensorgate.db.engine import Database, create_engine
    from sensorgate.kit.errors import ApiError

    settings = settings_for(db_url, require_secrets=require_secrets)
    db = Database(create_engine(settings.sqlalchemy_url))
    try:
        require_newest_schema(db.engine)
        yield db, settings
    except ApiError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        db.dispose()


def in_database(db_url: str | None, work: Callable[[Database, Settings], T], *, require_secrets: bool) -> T:
    with database(db_url, require_secrets=require_secrets) as (db, settings):
        return work(db, settings)


def print_json(value: object) -> None:
    # Plain click.echo: rich would wrap long lines and colour the text.
    import msgspec

    click.echo(msgspec.json.encode(value).decode())


def shown_url(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)
