"""`sensorgate jobs run`: the periodic jobs, for cron or by hand. `serve` also runs them every hour."""

from __future__ import annotations

import click

from sensorgate.cli.common import console, database, db_option, print_json

# The names of jobs.runner.JOBS, which imports the whole purge; tests/cli/test_startup.py keeps the two equal.
JOB_NAMES = ("purge",)


@click.group()
def jobs() -> None:
    """Periodic jobs: the purge of dead secrets and old usage counters."""


@jobs.command("run")
@db_option
@click.argument("names", nargs=-1, metavar="[JOB]...", type=click.Choice(JOB_NAMES))
@click.option("--json", "as_json", is_flag=True, help="print one JSON object per job instead of text")
def run(db_url: str | None, names: tuple[str, ...], as_json: bool) -> None:
    """Run the named jobs now (all when none is named).

    purge: erases the hashes of secrets expired or revoked more than 28 days ago (the keys and their audit
    trail stay), per-minute key usage older than 90 days and per-day usage older than 400 days.

    Safe beside running servers: a job another process is running right now is skipped, and said so.
    """
    from sensorgate.jobs import runner

    with database(db_url, require_secrets=False) as (db, _settings):
        for name in names or JOB_NAMES:
            result = runner.run(db, name)
            if as_json:
                print_json(result or {"job": name, "skipped": "running in another process"})
            elif result is None:
                console.print(f"{name}: skipped, another process is running it right now")
            else:
                details = ", ".join(f"{k} {v}" for k, v in result.items() if k not in ("job", "finishedAt"))
                console.print(f"{name}: done at {result['finishedAt']}: {details}")
