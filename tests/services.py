"""Real PostgreSQL and Redis servers for the tests and the benchmarks, started from the local binaries.

We start them ourselves rather than through pytest-postgresql: CI runs as root, initdb refuses to run as
root, and so the cluster must be started as the `postgres` user, which that plugin cannot do.
When a binary is missing, the tests that need it skip, unless SENSORGATE_TEST_REQUIRE_SERVICES=1, when
they fail: CI sets it so a missing service can never pass unnoticed. The benchmarks (bench/harness.py) pass
their own `missing`, which raises instead, so this module imports pytest only when a test needs it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

REQUIRE = os.environ.get("SENSORGATE_TEST_REQUIRE_SERVICES") == "1"


def unavailable(reason: str) -> NoReturn:
    """What a test does without the server: skip, or fail where CI requires every service."""
    import pytest

    if REQUIRE:
        pytest.fail(f"{reason} (SENSORGATE_TEST_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


Missing = Callable[[str], NoReturn]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def postgres_bin_dir() -> Path | None:
    candidates = [os.environ.get("SENSORGATE_TEST_PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(str(Path(found).resolve().parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / "pg_ctl").exists() and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


@dataclass
class PostgresCluster:
    """A throwaway cluster that a test may stop and start again (on the same port) to simulate a restart."""

    url: str
    pg_ctl: list[str]  # the pg_ctl command line up to its action, run as the right user

    def stop(self) -> None:
        subprocess.run([*self.pg_ctl, "-m", "fast", "-w", "stop"], check=True, capture_output=True)

    def start(self) -> None:
        subprocess.run([*self.pg_ctl, "-w", "start"], check=True, capture_output=True)


@contextmanager
def postgres_cluster(missing: Missing = unavailable) -> Iterator[PostgresCluster]:
    """Start a throwaway cluster (as the `postgres` user when root, since initdb refuses root, with fsync off);
    stop and delete it afterwards. RuntimeError, with PostgreSQL's own words, when it does not start."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        missing("PostgreSQL binaries (initdb, pg_ctl) not found")
    run_as: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="sg-pg-"))
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            missing("running as root and there is no 'postgres' user to run PostgreSQL as")
        run_as = ["runuser", "-u", "postgres", "--"]
        os.chown(workdir, account.pw_uid, account.pw_gid)
    data, port = workdir / "data", free_port()
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    pg_ctl = [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(workdir / "log")]
    cluster = PostgresCluster(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", pg_ctl)
    try:
        initdb = [*run_as, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        subprocess.run(initdb, check=True, capture_output=True, timeout=120)
        cluster.start()
        _wait_for_port(port)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, RuntimeError) as exc:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, check=False)
        stderr = exc.stderr.decode(errors="replace") if isinstance(getattr(exc, "stderr", None), bytes) else ""
        log = (workdir / "log").read_text(errors="replace")[-2000:] if (workdir / "log").exists() else ""
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {exc}\n{stderr}{log}") from None
    try:
        yield cluster
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the URL of a throwaway cluster's `postgres` database; stop and delete it afterwards."""
    with postgres_cluster() as cluster:
        yield cluster.url


class RedisServer:
    """A redis-server on a port of its own, which a test may stop and start again (empty: it saves nothing)."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextmanager
def redis_instance(missing: Missing = unavailable) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server not found")
    server = RedisServer(binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def redis_server() -> Iterator[str]:
    with redis_instance() as server:
        yield server.url
