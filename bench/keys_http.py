"""API-key benchmark over HTTP: a 100-point history page with an API key, against the same request made with a
console session and with authentication off, all on one server process, rounds alternating.

The issue's target: the key variant reaches at least 0.95 of the session variant and of the no-auth variant.

The server is bench/auth_app.py: the real app (1 worker, SQLite, demo data, access log on and sent to
/dev/null, as `sensorgate serve --demo`), except that a request with no credential is served as the demo owner
(the principal of the session used by the session variant, resolved once at start-up). The same request with
the key is also sent to the stock `sensorgate serve --demo` on the same data, to show that the bench app adds
nothing measurable ("key, stock serve"); it is also the run's noise gauge: far from 1, the machine was busy.
Many short rounds rather than a few long ones, and the order of the variants rotates from round to round, so
that bursts of other work on the machine fall on every variant alike.

    uv run python bench/keys_http.py            # ~3.5 minutes: 9 rounds of 4 s per variant
    uv run python bench/keys_http.py --quick    # ~30 s

Needs `wrk` (apt-get install -y wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import data_load as dl
from harness import (
    BIN,
    HERE,
    BenchError,
    Processes,
    base_env,
    console,
    finishing,
    free_port,
    install_deadline,
    median,
    report_end,
    request,
    wait_ready,
    wrk,
)

LIMIT = 100
VARIANTS = ("key", "session", "no auth", "key, stock serve")


def login(port: int, demo: dict[str, str]) -> str:
    body = json.dumps({"email": demo["email"], "password": demo["password"]}).encode()
    status, headers, payload = request(port, "POST", "/v1/auth/login", body, {"Content-Type": "application/json"})
    for cookie in headers.get_all("set-cookie") or []:
        name, _, rest = cookie.partition("=")
        if status == 200 and name.strip() == "sg_session":
            return rest.split(";", 1)[0]
    raise BenchError(f"login answered {status} without a session cookie: {payload[:300]!r}")


def history_path(port: int, key: str) -> str:
    """A window of the first sensor's temperature that holds far more than LIMIT points."""
    status, _, payload = request(port, "GET", "/v1/sensors", headers={"X-API-Key": key})
    if status != 200:
        raise BenchError(f"GET /v1/sensors with the demo key answered {status}: {payload[:300]!r}")
    sensor = json.loads(payload)["items"][0]["id"]
    now = int(time.time()) // 60 * 60_000
    start, end = now - 6 * dl.DAY_MS, now - 4 * dl.DAY_MS
    return f"/v1/measurements?sensor={sensor}&metric=temperature&from={dl.iso(start)}&to={dl.iso(end)}&limit={LIMIT}"


@dataclass(frozen=True)
class SeededDemo:
    env: dict[str, str]  # the demo's SENSORGATE_* settings, for the app the script then runs in-process
    demo: dict[str, str]  # demo.json: the owner's login and the read-only key
    session: str  # the owner's session cookie
    path: str  # the 100-point history page


def seeded_demo(work: Path, procs: Processes) -> SeededDemo:
    """Start a stock `serve --demo` to seed the data, log in and pick the history page; then stop it.

    The in-process benchmarks (keys_asgi, schemes_asgi, limits_asgi) then build their apps on the same data dir.
    """
    data_dir = work / "data"
    env = base_env(data_dir, SENSORGATE_MODE="demo")
    port = free_port()
    server = procs.start("stock", [str(BIN / "sensorgate"), "serve", "--demo", "--port", str(port)], env, port, work)
    wait_ready(server)
    demo = json.loads((data_dir / "demo.json").read_text())
    seeded = SeededDemo(env, demo, login(port, demo), history_path(port, demo["api_key"]))
    procs.stop_all()
    console.print(f"GET {seeded.path}", soft_wrap=True)
    return seeded


@contextmanager
def in_process_demo(prefix: str, title: str) -> Iterator[SeededDemo]:
    """The set-up every in-process benchmark shares: a work dir, a seeded demo whose settings are put in this
    process's environment (so the app built next reads them), the load average before and after, and the clean-up
    of the stock server and the work dir, whatever happens."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    procs = Processes()
    try:
        console.print(f"{title}: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        seeded = seeded_demo(work, procs)
        os.environ.update(seeded.env)
        yield seeded
        console.print(f"load average at end {os.getloadavg()[0]:.2f}")
    finally:
        procs.stop_all()
        shutil.rmtree(work, ignore_errors=True)


def check_answers(path: str, targets: dict[str, tuple[int, list[str]]], stock_port: int) -> None:
    """Every variant answers 200 with the same LIMIT items; and without a credential, the stock server says 401."""
    first = None
    for name, (port, header_lines) in targets.items():
        headers = dict(line.split(": ", 1) for line in header_lines)
        status, _, payload = request(port, "GET", path, headers=headers)
        items = json.loads(payload).get("items") if status == 200 else None
        if items is None or len(items) != LIMIT:
            raise BenchError(f"{name}: {status}, {len(items or [])} items: {payload[:300]!r}")
        if first is not None and items != first:
            raise BenchError(f"{name}: not the same items as the other variants")
        first = items
    status, _, _ = request(stock_port, "GET", path)
    if status != 401:
        raise BenchError(f"the stock server answered {status} to a request without credentials")


def main() -> int:
    parser = argparse.ArgumentParser(description="API key vs session vs no auth, history page of 100 points")
    parser.add_argument("--quick", action="store_true", help="1 round of 3 s")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=4.0, help="each timed wrk run (default 4)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (data dir and server logs)")
    parser.add_argument("--max-seconds", type=int, default=600, help="abort the whole run after this long")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        console.print("[red]wrk is missing[/red]: install it with `apt-get install -y wrk`, then run again.")
        return 2
    rounds, seconds = (1, 3.0) if args.quick else (args.rounds, args.seconds)
    command = shlex.join(["uv", "run", "python", "bench/keys_http.py", *sys.argv[1:]])

    install_deadline(args.max_seconds)
    work = Path(tempfile.mkdtemp(prefix="sensorgate-keys-http-"))
    logs = work / "logs"
    logs.mkdir()
    data_dir = work / "data"
    procs = Processes()
    began = time.monotonic()
    with finishing(procs, work, keep=args.keep) as outcome:
        load_start = os.getloadavg()[0]
        console.print(
            f"API key vs session vs no auth: {os.cpu_count()} CPUs, load average {load_start:.2f}; SQLite, 1 worker, "
            f"wrk -t1 -c{args.connections} -d{seconds:g}s after 1 s warm-up, {rounds} round(s)",
            soft_wrap=True,
        )
        # The stock server seeds the demo data and keeps serving it, as `serve --demo` does.
        env = base_env(data_dir, SENSORGATE_MODE="demo")
        stock_port = free_port()
        stock = procs.start(
            "stock", [str(BIN / "sensorgate"), "serve", "--demo", "--port", str(stock_port)], env, stock_port, logs
        )
        wait_ready(stock)
        demo = json.loads((data_dir / "demo.json").read_text())
        key, cookie = demo["api_key"], login(stock_port, demo)
        bench_port = free_port()
        bench = procs.start(
            "auth_app",
            [sys.executable, str(HERE / "auth_app.py"), "--port", str(bench_port)],
            {**env, "SENSORGATE_BENCH_SESSION": cookie, "PYTHONPATH": str(HERE)},
            bench_port,
            logs,
        )
        wait_ready(bench)

        path = history_path(stock_port, key)
        targets = {
            "key": (bench_port, [f"X-API-Key: {key}"]),
            "session": (bench_port, [f"Cookie: sg_session={cookie}"]),
            "no auth": (bench_port, []),
            "key, stock serve": (stock_port, [f"X-API-Key: {key}"]),
        }
        check_answers(path, targets, stock_port)
        console.print(f"GET {path}: 200 and {LIMIT} identical items for every variant", soft_wrap=True)

        for port, headers in targets.values():
            wrk(port, path, 2.0, args.connections, headers)  # first warm-up
        results: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for rnd in range(rounds):
            order = VARIANTS[rnd % len(VARIANTS) :] + VARIANTS[: rnd % len(VARIANTS)]
            for name in order:
                port, headers = targets[name]
                wrk(port, path, 1.0, args.connections, headers)
                res = wrk(port, path, seconds, args.connections, headers)
                if res.non2xx or res.socket_errors:
                    raise BenchError(f"{name}: {res.non2xx} non-2xx answers, socket errors: {res.socket_errors}")
                results[name].append(res.rps)
            line = ", ".join(f"{name} {results[name][-1]:,.0f}" for name in VARIANTS)
            console.print(f"  round {rnd + 1}: {line} req/s")

        procs.stop_all()
        console.print()
        med = {name: median(values) for name, values in results.items()}
        for name in VARIANTS:
            console.print(f"{name:>17}: {med[name]:8,.0f} req/s (median of {rounds})")

        def paired(a: str, b: str) -> str:
            ratios = [x / y for x, y in zip(results[a], results[b], strict=True)]
            return f"median of per-round ratios {median(ratios):.3f}, range {min(ratios):.3f}-{max(ratios):.3f}"

        for a, b, label, note in (
            ("key", "session", "key/session", "target >= 0.95"),
            ("key", "no auth", "key/no-auth", "target >= 0.95"),
            ("key, stock serve", "key", "key stock serve/bench app", "the bench app's own cost and the noise: ~1"),
        ):
            console.print(f"ratio {label} = {med[a] / med[b]:.3f}  ({paired(a, b)}; {note})", soft_wrap=True)
        console.print("every wrk run: 0 non-2xx answers, no socket errors")
        report_end(logs, began, command, load_start=load_start)
    return outcome.code


if __name__ == "__main__":
    sys.exit(main())
