"""Foundation benchmark: cold start of `sensorgate serve`, and requests/s against a bare ASGI baseline.

Measures in one run, on loopback only:

1. cold start of the real CLI (`sensorgate serve`, fresh SQLite data dir, after `sensorgate db upgrade`)
   until the first 200 on GET /health; and the same for `serve --demo` on a fresh data dir (first run:
   migrations and seeding included);
2. requests/s of GET /health and of GET /v1/me with a session cookie, on `sensorgate serve` with 1 worker,
   each next to bench/bare_asgi.py under granian with the same settings, alternating the runs; with the
   default settings (access log on, to stdout, sent to /dev/null) and with SENSORGATE_ACCESS_LOG=false.

The figure that matters is the ratio sensorgate/bare, because the machine is noisy.

    uv run python bench/foundation.py            # full: ~4 minutes
    uv run python bench/foundation.py --quick    # ~1 minute

Needs `wrk` (apt-get install -y wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import harness
from harness import (
    BIN,
    HERE,
    PYCACHE,
    BenchError,
    Processes,
    WrkResult,
    base_env,
    console,
    finishing,
    free_port,
    install_deadline,
    median,
    report_end,
    request,
    run_checked,
    scan_stderr,
    wait_ready,
    wrk,
)
from rich.table import Table


def cold_start(procs: Processes, work: Path, logs: Path, *, demo: bool, index: int) -> float:
    data_dir = work / f"cold-{'demo' if demo else 'plain'}-{index}"
    env = base_env(data_dir)
    sensorgate = str(BIN / "sensorgate")
    if not demo:
        run_checked([sensorgate, "db", "upgrade"], env)
    port = free_port()
    argv = [sensorgate, "serve", "--port", str(port), *(["--demo"] if demo else [])]
    started = time.monotonic()
    # Cold starts serve one request: keep granian's log, it says when a worker dies.
    server = procs.start(f"cold-{'demo' if demo else 'plain'}", argv, env, port, logs, keep_stdout=True)
    try:
        ready = wait_ready(server)
    finally:
        procs.stop(server)
    shutil.rmtree(data_dir, ignore_errors=True)
    return (ready - started) * 1000


def access_log_lines(procs: Processes, data_dir: Path, logs: Path) -> int:
    """Serve one request with SENSORGATE_ACCESS_LOG=false and count the access-log lines on stdout (want 0)."""
    port = free_port()
    env = base_env(data_dir, SENSORGATE_ACCESS_LOG="false")
    argv = [str(BIN / "sensorgate"), "serve", "--port", str(port)]
    server = procs.start("access-log-check", argv, env, port, logs, keep_stdout=True)
    try:
        wait_ready(server)
        time.sleep(0.2)
    finally:
        procs.stop(server)
    return (logs / "access-log-check.stdout").read_text(errors="replace").count('"requestId"')


# ---------------------------------------------------------------- throughput


def login(port: int, demo_json: Path) -> str:
    creds = json.loads(demo_json.read_text())
    body = json.dumps({"email": creds["email"], "password": creds["password"]}).encode()
    status, headers, payload = request(port, "POST", "/v1/auth/login", body, {"Content-Type": "application/json"})
    if status != 200:
        raise BenchError(f"login answered {status}: {payload[:300]!r}")
    for cookie in headers.get_all("set-cookie") or []:
        name, _, rest = cookie.partition("=")
        if name.strip() == "sg_session":
            return rest.split(";", 1)[0]
    raise BenchError("login set no sg_session cookie")


# ---------------------------------------------------------------- report


def main() -> int:
    parser = argparse.ArgumentParser(description="sensorgate foundation benchmark")
    parser.add_argument("--quick", action="store_true", help="3 s per measurement, 1 round, fewer cold starts")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (data dirs and server stderr)")
    parser.add_argument("--max-seconds", type=int, default=900, help="abort the whole run after this long")
    parser.add_argument(
        "--no-pycache", action="store_true", help="respect PYTHONDONTWRITEBYTECODE: cold starts compile from source"
    )
    args = parser.parse_args()
    harness.USE_PYCACHE = not args.no_pycache

    if shutil.which("wrk") is None:
        console.print("[red]wrk is missing[/red]: install it with `apt-get install -y wrk`, then run again.")
        return 2
    if not (BIN / "sensorgate").exists():
        console.print(f"[red]{BIN / 'sensorgate'} is missing[/red]: run this with `uv run` from the project root.")
        return 2

    duration = 3.0 if args.quick else 10.0
    warmup = 1.0
    rounds = 1 if args.quick else 3
    plain_starts = 2 if args.quick else 5
    demo_starts = 1 if args.quick else 3
    command = (
        "uv run python bench/foundation.py"
        + (" --quick" if args.quick else "")
        + (" --no-pycache" if args.no_pycache else "")
    )

    install_deadline(args.max_seconds)

    work = Path(tempfile.mkdtemp(prefix="sensorgate-bench-"))
    logs = work / "logs"
    logs.mkdir()
    procs = Processes()
    began = time.monotonic()
    with finishing(procs, work, keep=args.keep) as outcome:
        console.print(
            f"sensorgate foundation benchmark ({'quick' if args.quick else 'full'}): {os.cpu_count()} CPUs, "
            f"wrk -t1 -c{args.connections} -d{duration:g}s after {warmup:g}s warm-up, {rounds} round(s), 1 worker"
        )

        pyc = f"bytecode cache {PYCACHE}" if harness.USE_PYCACHE else "bytecode: as the environment says"
        if harness.USE_PYCACHE and os.environ.get("PYTHONDONTWRITEBYTECODE"):
            pyc += " (PYTHONDONTWRITEBYTECODE is set here; overridden for the servers)"
        console.print(f"load average at start {os.getloadavg()[0]:.2f}; {pyc}", soft_wrap=True)
        # Prime the bytecode cache (untimed), so every timed start finds it.
        run_checked(
            [sys.executable, "-c", "import sensorgate.cli, sensorgate.app, granian, bare_asgi"],
            {**base_env(work / "prime"), "PYTHONPATH": str(HERE)},
        )

        # 1. cold start
        plain_ms: list[float] = []
        for i in range(plain_starts):
            plain_ms.append(cold_start(procs, work, logs, demo=False, index=i))
            console.print(f"  cold start serve #{i + 1}: {plain_ms[-1]:.0f} ms")
        demo_ms: list[float] = []
        for i in range(demo_starts):
            demo_ms.append(cold_start(procs, work, logs, demo=True, index=i))
            console.print(f"  cold start serve --demo (first run) #{i + 1}: {demo_ms[-1]:.0f} ms")

        # 2. throughput: three servers up at once (idle ones cost no CPU), runs alternate between them
        data_dir = work / "rps"
        sensorgate = str(BIN / "sensorgate")
        sg_port, nolog_port, bare_port = free_port(), free_port(), free_port()
        sg = procs.start(
            "sensorgate", [sensorgate, "serve", "--demo", "--port", str(sg_port)], base_env(data_dir), sg_port, logs
        )
        wait_ready(sg)
        leaked = access_log_lines(procs, data_dir, logs)
        if leaked:
            console.print(
                f"[yellow]warning:[/yellow] with SENSORGATE_ACCESS_LOG=false the server still wrote {leaked} "
                "access-log line(s) to stdout: the 'no access log' column below is NOT without the access log"
            )
        # Same data dir, database and secrets: the session cookie is valid on both.
        nolog = procs.start(
            "sensorgate-nolog",
            [sensorgate, "serve", "--demo", "--port", str(nolog_port)],
            base_env(data_dir, SENSORGATE_ACCESS_LOG="false"),
            nolog_port,
            logs,
        )
        bare = procs.start(
            "bare",
            [sys.executable, str(HERE / "bare_asgi.py"), "--port", str(bare_port)],
            base_env(data_dir),
            bare_port,
            logs,
        )
        wait_ready(nolog)
        wait_ready(bare)
        cookie = login(sg_port, data_dir / "demo.json")
        cookie_header = f"Cookie: sg_session={cookie}"
        for server in (sg, nolog):
            status, _, payload = request(server.port, "GET", "/v1/me", headers={"Cookie": f"sg_session={cookie}"})
            if status != 200:
                raise BenchError(f"{server.name}: GET /v1/me with the cookie answered {status}: {payload[:300]!r}")

        targets = [("bare", bare), ("sensorgate", sg), ("sensorgate, no access log", nolog)]
        endpoints = [("GET /health", "/health", []), ("GET /v1/me (cookie)", "/v1/me", [cookie_header])]
        results: dict[tuple[str, str], list[WrkResult]] = {}
        for _label, path, headers in endpoints:
            for _, server in targets:
                wrk(server.port, path, 2.0, args.connections, headers)  # first warm-up
        for rnd in range(rounds):
            for label, path, headers in endpoints:
                line = []
                for name, server in targets:
                    wrk(server.port, path, warmup, args.connections, headers)
                    res = wrk(server.port, path, duration, args.connections, headers)
                    results.setdefault((label, name), []).append(res)
                    line.append(f"{name} {res.rps:,.0f}")
                console.print(f"  round {rnd + 1} {label}: " + ", ".join(line) + " req/s")

        # 3. report
        console.print()
        cold = Table(title="Cold start to first 200 on GET /health", title_justify="left")
        cold.add_column("command")
        cold.add_column("runs", justify="right")
        cold.add_column("min ms", justify="right")
        cold.add_column("median ms", justify="right")
        cold.add_row("serve (after db upgrade)", str(len(plain_ms)), f"{min(plain_ms):.0f}", f"{median(plain_ms):.0f}")
        cold.add_row("serve --demo, first run", str(len(demo_ms)), f"{min(demo_ms):.0f}", f"{median(demo_ms):.0f}")
        console.print(cold)

        table = Table(title=f"Requests/s, median of {rounds} run(s) of {duration:g}s", title_justify="left")
        for column in ("endpoint", "bare", "sensorgate", "ratio", "no access log", "ratio", "log cost"):
            table.add_column(column, justify="left" if column == "endpoint" else "right")
        problems: list[str] = []
        for label, _, _ in endpoints:
            b = median([r.rps for r in results[(label, "bare")]])
            s = median([r.rps for r in results[(label, "sensorgate")]])
            n = median([r.rps for r in results[(label, "sensorgate, no access log")]])
            table.add_row(
                label, f"{b:,.0f}", f"{s:,.0f}", f"{s / b:.3f}", f"{n:,.0f}", f"{n / b:.3f}", f"{(n - s) / n:+.1%}"
            )
            for (lab, name), runs in results.items():
                if lab != label:
                    continue
                for r in runs:
                    if r.non2xx or r.socket_errors:
                        problems.append(f"{name} {label}: {r.non2xx} non-2xx, socket errors: {r.socket_errors}")
        console.print(table)
        console.print(
            "ratio = sensorgate / bare ASGI (granian, same settings, 1 worker); "
            "log cost = 1 - (with access log)/(SENSORGATE_ACCESS_LOG=false)"
            + (" [yellow](invalid: the access log did not turn off)[/yellow]" if leaked else "")
        )
        lat = ", ".join(
            f"{label.split()[1]} {name}: {results[(label, name)][-1].latency_avg}"
            for label, _, _ in endpoints
            for name, _ in targets
        )
        console.print(f"wrk mean latency (last round): {lat}")
        for problem in problems:
            console.print(f"[yellow]wrk:[/yellow] {problem}")
        procs.stop_all()
        if not scan_stderr(logs):
            console.print("server logs (stderr; granian log of cold starts): no errors or warnings")
        report_end(logs, began, command)
    return outcome.code


if __name__ == "__main__":
    sys.exit(main())
