"""`sensorgate jobs run`: the periodic jobs, for cron or by hand. `serve` also runs them every hour."""

from __future__ import annotations

import click
import msgspec

from sensorgate.cli.common import console, db_option, require_newest_schema, settings_for
from sensorgate.db.engine import Database, create_engine
from sensorgate.jobs import runner


@click.group()
def jobs() -> None:
    """Periodic jobs: the purge of dead secrets and old usage counters."""


@jobs.command("run")
@db_option
@click.argument("names", nargs=-1, metavar="[JOB]...", type=click.Choice(sorted(runner.JOBS)))
@click.option("--json", "as_json", is_flag=True, help="print one JSON object per job instead of text")
def run(db_url: str | None, names: tuple[str, ...], as_json: bool) -> None:
    """Run the named jobs now (all when none is named).

    purge: erases the hashes of secrets expired or revoked more than 28 days ago (the keys and their audit
    trail stay), per-minute key usage older than 90 days and per-day usage older than 400 days.

    Safe beside running servers: a job another process is running right now is skipped, and said so.
    """
    settings = settings_for(db_url, require_secrets=False)
    db = Database(create_engine(settings.sqlalchemy_url))
    try:
        require_newest_schema(db.engine)
        for name in names or sorted(runner.JOBS):
            result = runner.run(db, name)
            if as_json:
                print(msgspec.json.encode(result or {"job": name, "skipped": "running in another process"}).decode())
            elif result is None:
                console.print(f"{name}: skipped, another process is running it right now")
            else:
                details = ", ".join(f"{k} {v}" for k, v in result.items() if k not in ("job", "finishedAt"))
                console.print(f"{name}: done at {result['finishedAt']}: {details}")
    finally:
        db.dispose()
