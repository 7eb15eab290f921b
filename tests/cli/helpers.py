"""Running the `sensorgate` command as a user would: the installed console script, a clean environment."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from click.testing import CliRunner, Result
from litestar.testing import TestClient

from sensorgate.app import create_app
from sensorgate.cli import main
from tests.conftest import make_settings

SENSORGATE = str(Path(sys.executable).parent / "sensorgate")


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The test process's environment without any SENSORGATE_* variable, with its own data dir."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("SENSORGATE_")}
    env["SENSORGATE_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run(
    args: Sequence[str], env: dict[str, str], stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SENSORGATE, *args],
        env=env,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def invoke(args: Sequence[str], data_dir: Path, stdin: str | None = None) -> Result:
    """Run the command in this process. The CLI writes SENSORGATE_* variables for granian's workers;
    naming every one of them in `env` makes CliRunner put them back afterwards."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("SENSORGATE_")}
    env.update({"SENSORGATE_DATABASE_URL": None, "SENSORGATE_MODE": None, "SENSORGATE_DATA_DIR": str(data_dir)})
    return CliRunner().invoke(main, list(args), input=stdin, env=env, catch_exceptions=False)


def flat(text: str) -> str:
    """Output with line wrapping undone, so assertions do not depend on the terminal width."""
    return " ".join(text.split())


def count_rows(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def session_view(database_url: str, app_dir: Path, email: str, password: str) -> dict[str, Any]:
    """Log in through the HTTP API; return /v1/me and the workspace slugs, or the failed login's status."""
    app = create_app(make_settings(database_url, app_dir))
    with TestClient(app=app, base_url="https://testserver.local") as client:
        response = client.post("/v1/auth/login", json={"email": email, "password": password})
        if response.status_code != 200:
            return {"login": response.status_code}
        me = client.get("/v1/me").json()
        workspaces = client.get("/v1/workspaces").json()
    return {
        "login": 200,
        "roles": {m["organization"]: m["role"] for m in me["memberships"]},
        "workspaces": sorted(w["slug"] for w in workspaces["items"]),
    }


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text()

    def logs(self) -> str:
        return f"stdout:\n{self.stdout.read_text()}\nstderr:\n{self.stderr.read_text()[-3000:]}"


@contextmanager
def serving(args: Sequence[str], env: dict[str, str], port: int, logs: Path, timeout: float = 10) -> Iterator[Server]:
    """Start `sensorgate serve`, wait until /health answers 200, and always stop it (and its workers)."""
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / "stdout.txt", logs / "stderr.txt"
    with out.open("wb") as out_file, err.open("wb") as err_file:
        process = subprocess.Popen(
            [SENSORGATE, "serve", "--port", str(port), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out_file,
            stderr=err_file,
            start_new_session=True,  # its own process group: the workers go down with it
        )
    server = Server(process, f"http://127.0.0.1:{port}", out, err)
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert process.poll() is None, f"serve exited with {process.returncode}\n{server.logs()}"
            try:
                if httpx.get(f"{server.base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"/health did not answer 200 within {timeout} s\n{server.logs()}"
            time.sleep(0.1)
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # leftovers of this server's own group only
    if process.poll() is None:
        process.wait(timeout=10)


def banner_value(output: str, label: str) -> str:
    found = re.search(rf"^\s*{label}\s+(\S+)\s*$", output, re.MULTILINE)
    assert found, f"no {label!r} line in:\n{output}"
    return found.group(1)
