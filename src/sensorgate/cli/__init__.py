"""The `sensorgate` command.

Its modules import what each command needs when it runs (cli/common.py): `--help` and `--version` stay about as
quick as importing click.
"""

from __future__ import annotations

import click

from sensorgate import __version__
from sensorgate.cli.db import db
from sensorgate.cli.demo import demo
from sensorgate.cli.jobs import jobs
from sensorgate.cli.key_changes import edit  # noqa: F401  (edit, reissue, revoke, delete and log join `keys`)
from sensorgate.cli.keys import keys
from sensorgate.cli.orgs import orgs
from sensorgate.cli.serve import serve
from sensorgate.cli.users import users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sensorgate")
def main() -> None:
    """sensorgate: a self-hosted sensor-data API with first-class API credentials."""


main.add_command(serve)
main.add_command(db)
main.add_command(users)
main.add_command(keys)
main.add_command(demo)
main.add_command(jobs)
main.add_command(orgs)
