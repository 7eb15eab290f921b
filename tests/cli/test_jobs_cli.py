"""`sensorgate jobs run`: the purge from the shell, as cron would run it."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from sensorgate.cli import main
from sensorgate.credentials.models import credential_secrets
from sensorgate.jobs import runner
from sensorgate.kit.times import utcnow
from tests.cli.helpers import flat, invoke


def dev(args: list[str], data_dir: Path) -> str:
    """Run a command in dev mode (generated secrets), which `keys create` needs; return its output."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("SENSORGATE_")}
    env.update({"SENSORGATE_MODE": "dev", "SENSORGATE_DATA_DIR": str(data_dir), "SENSORGATE_DATABASE_URL": None})
    result = CliRunner().invoke(main, args, input="a-long-enough-password\n", env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_jobs_run_purges_and_reports(tmp_path: Path) -> None:
    dev(["db", "upgrade"], tmp_path)
    dev(
        ["users", "create", "--email", "ann@acme.example", "--org", "acme", "--role", "owner", "--password-stdin"],
        tmp_path,
    )
    key = json.loads(dev(["keys", "create", "--workspace", "acme", "--name", "old", "--json"], tmp_path))
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'sensorgate.db'}")
    with engine.begin() as conn:
        conn.execute(credential_secrets.update().values(expires_at=utcnow() - timedelta(days=30)))
    engine.dispose()

    text = invoke(["jobs", "run"], tmp_path)
    assert text.exit_code == 0, text.output
    assert "purge: done at" in flat(text.output) and "secretsPurged 1" in flat(text.output)
    again = invoke(["jobs", "run", "purge", "--json"], tmp_path)
    assert again.exit_code == 0
    assert json.loads(again.output) | {"finishedAt": ""} == {
        "job": "purge", "finishedAt": "", "secretsPurged": 0, "usageMinutesDeleted": 0, "usageDaysDeleted": 0,
        "revokedTokensDeleted": 0,
    }  # fmt: skip
    assert "old" in dev(["keys", "list"], tmp_path) and key["id"] == 1  # the key itself stays


def test_jobs_run_skips_a_job_running_elsewhere(tmp_path: Path) -> None:
    assert invoke(["db", "upgrade"], tmp_path).exit_code == 0
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'sensorgate.db'}")
    with engine.begin() as conn:
        assert runner.claim(conn, "purge", utcnow(), None)
    engine.dispose()
    result = invoke(["jobs", "run", "purge"], tmp_path)
    assert result.exit_code == 0
    assert "skipped, another process is running it" in flat(result.output)


def test_jobs_run_refuses_an_unknown_job(tmp_path: Path) -> None:
    result = invoke(["jobs", "run", "vacuum"], tmp_path)
    assert result.exit_code == 2 and "'vacuum' is not 'purge'" in flat(result.output)
