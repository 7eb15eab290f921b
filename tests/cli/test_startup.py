"""`sensorgate --help` and `--version` load click, not the app: the CLI imports what a command needs when it runs.

No timing here (bench/cli_startup.py measures it): a subprocess lists the modules it ended with, which is what
decides the time. The names the CLI keeps to stay light are checked against the modules they come from.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sensorgate.cli.jobs import JOB_NAMES
from sensorgate.cli.key_changes import LOG_EVENTS
from sensorgate.cli.orgs import PLAN_FIELDS
from sensorgate.credentials import plans
from sensorgate.jobs import runner
from sensorgate.usage import key_log

HEAVY = ("sqlalchemy", "alembic", "litestar", "granian", "rich", "msgspec", "sensorgate.app", "sensorgate.db")
PROBE = """
import json, sys
from sensorgate.cli import main
try:
    main(ARGS)
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def modules_after(args: list[str]) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.replace("ARGS", repr(args))], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "args", [["--help"], ["--version"], ["keys", "--help"], ["keys", "create", "--help"], ["orgs", "limits", "--help"]]
)
def test_help_and_version_import_no_database_web_or_terminal_library(args: list[str]) -> None:
    loaded = modules_after(args)
    assert "click" in loaded
    heavy = sorted(name for name in loaded if name.split(".")[0] in HEAVY or name.startswith(HEAVY))
    assert heavy == [], f"sensorgate {' '.join(args)} imported {heavy[:10]}"


def test_a_command_that_runs_does_import_what_it_needs(tmp_path: Path) -> None:
    # The probe sees imports: a command that runs loads what the help left out.
    loaded = modules_after(["db", "upgrade", "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert {"sqlalchemy", "alembic"} <= loaded


def test_the_names_the_cli_keeps_are_those_of_the_services() -> None:
    assert tuple(sorted(runner.JOBS)) == JOB_NAMES
    assert PLAN_FIELDS == plans.FIELDS
    assert LOG_EVENTS == key_log.EVENTS
