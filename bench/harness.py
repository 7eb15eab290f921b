"""The harness the benchmarks share: servers in their own process groups, readiness, wrk, deadlines."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The servers are started by the tests' launcher, so that tests and benchmarks start them one way.
sys.path.insert(0, str(ROOT))
from tests import services  # noqa: E402

BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
READY_TIMEOUT = 60.0
console = Console(highlight=False, width=None if sys.stdout.isatty() else 110)
# Servers write bytecode here, outside the source tree, so a cold start is not also a compile-from-source.
PYCACHE = Path(tempfile.gettempdir()) / "sensorgate-bench-pycache"
USE_PYCACHE = True


class BenchError(Exception):
    pass


def install_deadline(max_seconds: int) -> None:
    """Stop the run after max_seconds, and turn SIGTERM and SIGINT into KeyboardInterrupt, so that the
    caller's finally block always stops the servers it started."""

    def on_alarm(_signum: int, _frame: Any) -> None:
        raise Deadline(f"aborted after --max-seconds={max_seconds}")

    def on_term(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGTERM, on_term)
    # Even when started in the background, where SIGINT arrives ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.alarm(max_seconds)


class Deadline(Exception):
    pass


# ---------------------------------------------------------------- processes


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    stderr_path: Path


@dataclass
class Processes:
    """Every server this script starts, each in its own process group, so all of it can be killed."""

    servers: list[Server] = field(default_factory=list)

    def start(
        self, name: str, argv: list[str], env: dict[str, str], port: int, logs: Path, *, keep_stdout: bool = False
    ) -> Server:
        """Start a server. Its stdout (granian's log and the access log) goes to /dev/null unless keep_stdout."""
        stderr_path = logs / f"{name}.stderr"
        with open(stderr_path, "ab") as err, open(logs / f"{name}.stdout", "ab") as out:
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out if keep_stdout else subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )
        server = Server(name, proc, port, stderr_path)
        self.servers.append(server)
        return server

    def stop(self, server: Server) -> None:
        _kill_group(server.proc)
        with contextlib.suppress(ValueError):
            self.servers.remove(server)

    def stop_all(self) -> None:
        for server in list(self.servers):
            self.stop(server)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
    # Workers may outlive the parent: kill whatever is left in the group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def base_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENSORGATE_")}
    env.update({"SENSORGATE_MODE": "dev", "SENSORGATE_DATA_DIR": str(data_dir)})
    if USE_PYCACHE:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env.update(extra)
    return env


def request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def wait_ready(server: Server, path: str = "/health", timeout: float = READY_TIMEOUT) -> float:
    """Poll until the first 200 on `path`; return the monotonic time it came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise BenchError(f"{server.name} exited with {server.proc.returncode}:\n{tail(server.stderr_path)}")
        try:
            status, _, _ = request(server.port, "GET", path)
        except (ConnectionError, OSError, http.client.HTTPException):
            time.sleep(0.002)
            continue
        if status == 200:
            return time.monotonic()
        time.sleep(0.002)
    raise BenchError(f"{server.name}: no 200 on {path} within {timeout:.0f}s:\n{tail(server.stderr_path)}")


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_checked(argv: list[str], env: dict[str, str], timeout: float = 120) -> None:
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise BenchError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr.decode(errors='replace')}")


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL cluster, the tests' own (tests/services.py): yield the URL of its `postgres`
    database; stop and delete it afterwards. Raises BenchError if it cannot start."""
    try:
        with services.postgres_cluster(missing=_missing) as cluster:
            yield cluster.url
    except RuntimeError as exc:
        raise BenchError(str(exc)) from None


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free port (the tests' own): yield its URL."""
    with services.redis_instance(missing=_missing) as server:
        yield server.url


def _missing(reason: str) -> NoReturn:
    raise BenchError(reason)


# ---------------------------------------------------------------- the end of every run


@dataclass
class Outcome:
    code: int = 0  # the script's exit code: 1 when the benchmark failed, 130 when interrupted


@contextlib.contextmanager
def finishing(procs: Processes, work: Path, *, keep: bool, cleanup: list[Any] | None = None) -> Iterator[Outcome]:
    """The end of every benchmark's main(): a failure or an interrupt becomes its exit code with one line saying
    why, and whatever happens the servers stop, `cleanup` callables run and the work dir goes (unless `keep`)."""
    outcome = Outcome()
    try:
        yield outcome
    except (BenchError, Deadline) as exc:
        console.print(f"[red]benchmark failed:[/red] {exc}")
        outcome.code = 1
    except KeyboardInterrupt:
        console.print("[red]interrupted[/red]")
        outcome.code = 130
    finally:
        signal.alarm(0)
        for close in cleanup or []:
            close()
        procs.stop_all()
        if keep:
            console.print(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def report_end(logs: Path, began: float, command: str, *, load_start: float | None = None, expected: str = "") -> None:
    """The closing lines of every run: server log lines that look like trouble (but for `expected`), the load
    average, how long it took, and the command that repeats it."""
    for text in [t for t in scan_stderr(logs) if not (expected and expected in t)][:10]:
        console.print(f"[yellow]server log:[/yellow] {text}", soft_wrap=True)
    start = "" if load_start is None else f"at start {load_start:.2f}, "
    console.print(f"load average {start}at end {os.getloadavg()[0]:.2f}")
    console.print(f"took {time.monotonic() - began:.0f} s; reproduce with (from {ROOT}):\n  {command}")


# ---------------------------------------------------------------- cold start


WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
WRK_SOCKET = re.compile(r"Socket errors:\s+(.*)")
WRK_REQUESTS = re.compile(r"(\d+) requests in")
WRK_LATENCY = re.compile(r"Latency\s+([\d.]+\w+)")


@dataclass
class WrkResult:
    rps: float
    requests: int
    non2xx: int
    socket_errors: str | None
    latency_avg: str


def wrk(port: int, path: str, seconds: float, connections: int, headers: list[str]) -> WrkResult:
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s"]
    for header in headers:
        argv += ["-H", header]
    argv.append(f"http://{HOST}:{port}{path}")
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, check=False)
    out = result.stdout
    match = WRK_RPS.search(out)
    if result.returncode != 0 or not match:
        raise BenchError(f"wrk failed ({result.returncode}):\n{out}\n{result.stderr}")
    non2xx = WRK_NON2XX.search(out)
    sock = WRK_SOCKET.search(out)
    requests = WRK_REQUESTS.search(out)
    latency = WRK_LATENCY.search(out)
    return WrkResult(
        rps=float(match.group(1)),
        requests=int(requests.group(1)) if requests else 0,
        non2xx=int(non2xx.group(1)) if non2xx else 0,
        socket_errors=sock.group(1).strip() if sock else None,
        latency_avg=latency.group(1) if latency else "?",
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def scan_stderr(logs: Path) -> list[str]:
    """Lines in the servers' stderr that look like trouble, deduplicated."""
    pattern = re.compile(r"traceback|error|exception|warn|critical|unexpected|\[(?!INFO\])[A-Z]+\]", re.IGNORECASE)
    seen: dict[str, int] = {}
    for path in sorted([*logs.glob("*.stderr"), *logs.glob("*.stdout")]):
        for line in path.read_text(errors="replace").splitlines():
            if pattern.search(line):
                key = f"{path.name}: {re.sub(r'[0-9T:.+-]{19,}Z?', '<time>', line.strip())[:200]}"
                seen[key] = seen.get(key, 0) + 1
    return [f"{line}  (x{count})" if count > 1 else line for line, count in seen.items()]
