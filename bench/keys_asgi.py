"""The request of bench/keys_http.py (a 100-point history page with an API key, with a console session, with
authentication off) timed in-process: the app is called as an ASGI callable, without granian, sockets or wrk.

This is the same app (bench/auth_app.py: the real one, plus "no credential = the demo owner"), started through
its lifespan (so the usage flush runs every second, as in a server), with the access log written to /dev/null,
on demo data seeded by `sensorgate serve --demo`. Time is this process's CPU time (time.process_time), so
other work on the machine does not count, and the ratios hold up on a busy machine far better than wrk's.
Repeats of the three variants alternate; ratios are of requests per second, from the best repeat of each
(timeit's convention), the medians next to them.

    uv run python bench/keys_asgi.py              # ~20 s
    uv run python bench/keys_asgi.py --profile    # and where each variant's time goes (cProfile)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import keys_http
from harness import Processes, console

TARGET_SECONDS = 0.3  # per repeat
UNLIMITED = "key, limits off"
AUTH_PATH = (
    r"auth_app|accounts/(guard|sessions|store)|credentials/verify|kit/(keys|crypto|outage)"
    r"|usage/(recorder|limits|memory_counters)"
)
Headers = list[tuple[bytes, bytes]]


def scope_for(path: str, headers: Headers) -> dict[str, Any]:
    raw, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw,
        "raw_path": raw.encode(),
        "query_string": query.encode(),
        "root_path": "",
        # What wrk sends, plus the credential.
        "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"wrk"), *headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }


async def call(app: Any, scope: dict[str, Any]) -> tuple[int, bytes]:
    """One request; a fresh copy of the scope, since the app writes into it."""
    out: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        out.append(message.get("status") or message.get("body", b""))

    await app(dict(scope), receive, send)
    return out[0], b"".join(part for part in out[1:] if isinstance(part, bytes))


async def start_lifespan(app: Any) -> tuple[asyncio.Queue[dict[str, str]], asyncio.Task[None]]:
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    started = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    inbox.put_nowait({"type": "lifespan.startup"})
    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send))
    await started.wait()
    return inbox, task


Timed = Callable[[int], Awaitable[float]]  # runs n requests, returns the CPU seconds they took


def timed_calls(app: Any, scope: dict[str, Any]) -> Timed:
    """n calls of `scope` on `app`, timed in this process's CPU time: a variant for alternate()."""

    async def loop(n: int) -> float:
        started = time.process_time()
        for _ in range(n):
            await call(app, scope)
        return time.process_time() - started

    return loop


async def alternate(variants: dict[str, Timed], repeats: int) -> tuple[int, dict[str, list[float]]]:
    """n calibrated on the first variant (about TARGET_SECONDS a repeat), then repeats of every variant in turn,
    so that a disturbance falls on all alike. Returns n and each variant's microseconds per request."""
    first = next(iter(variants.values()))
    n = 50
    while await first(n) < TARGET_SECONDS / 4:
        n *= 2
    n *= 4
    results: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, timed in variants.items():
            results[name].append(await timed(n) / n * 1e6)
    return n, results


async def measure(app: Any, path: str, variants: dict[str, Headers], repeats: int, profile: bool) -> None:
    inbox, lifespan = await start_lifespan(app)
    scopes = {name: scope_for(path, headers) for name, headers in variants.items()}
    first = None
    for name, scope in scopes.items():
        status, body = await call(app, scope)
        items = json.loads(body).get("items") if status == 200 else None
        if items is None or len(items) != keys_http.LIMIT or (first is not None and items != first):
            raise SystemExit(f"{name}: {status}, not the {keys_http.LIMIT} items of the other variants")
        first = items

    limiter = app.state.sensorgate.limits

    def timed(scope: dict[str, Any], limited: bool = True) -> Timed:
        async def loop(n: int) -> float:
            limiter.enabled = limited
            started = time.process_time()
            for _ in range(n):
                await call(app, scope)
            elapsed = time.process_time() - started
            limiter.enabled = True
            return elapsed

        return loop

    loops = {name: timed(scope) for name, scope in scopes.items()}
    # The same key request with its rate limit off: what authentication alone costs, next to "no auth".
    loops[UNLIMITED] = timed(scopes["key"], limited=False)
    n, results = await alternate(loops, repeats)
    console.print(
        f"{repeats} alternating repeats of {n:,} requests per variant, in-process (no server, no socket), CPU time"
    )
    for name, values in results.items():
        rate, mid = 1e6 / min(values), statistics.median(values)
        console.print(f"{name:>15}: best {min(values):6.1f} us/request ({rate:,.0f} req/s), median {mid:6.1f}")
    best = {name: min(values) for name, values in results.items()}
    med = {name: statistics.median(values) for name, values in results.items()}
    for other in ("session", "no auth"):
        console.print(
            f"ratio key/{other.replace(' ', '-')} (req/s) = {best[other] / best['key']:.3f} (best), "
            f"{med[other] / med['key']:.3f} (median); target >= 0.95"
        )
    console.print(
        f"ratio key without its rate limit/no-auth (req/s) = {best['no auth'] / best[UNLIMITED]:.3f} (best), "
        f"{med['no auth'] / med[UNLIMITED]:.3f} (median): authentication alone"
    )
    if profile:
        for name, scope in scopes.items():
            profiler = cProfile.Profile()
            profiler.enable()
            await timed(scope)(n)
            profiler.disable()
            text = io.StringIO()
            stats = pstats.Stats(profiler, stream=text)
            stats.sort_stats("tottime").print_stats(10)
            # The authentication path alone, cumulative (cProfile inflates small functions: compare, do not add).
            stats.sort_stats("cumulative").print_stats(AUTH_PATH, 12)
            console.print(f"----- profile: {name}, {n:,} requests\n{text.getvalue()}", soft_wrap=True)
    inbox.put_nowait({"type": "lifespan.shutdown"})
    await lifespan


def main() -> int:
    parser = argparse.ArgumentParser(description="key vs session vs no auth, in-process ASGI calls")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top 12 functions per variant")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sensorgate-keys-asgi-"))
    procs = Processes()
    try:
        console.print(
            f"API key vs session vs no auth, in-process: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
        )
        # The stock server seeds the demo data and opens the session; then it stops, and the app runs in here.
        seeded = keys_http.seeded_demo(work, procs)
        demo, cookie, path = seeded.demo, seeded.session, seeded.path
        os.environ.update({**seeded.env, "SENSORGATE_BENCH_SESSION": cookie})
        import auth_app  # after the environment is set: its settings come from there

        with open(os.devnull, "w") as devnull:
            app = auth_app.app_factory(access_stream=devnull)
            variants = {
                "key": [(b"x-api-key", demo["api_key"].encode())],
                "session": [(b"cookie", f"sg_session={cookie}".encode())],
                "no auth": [],
            }
            asyncio.run(measure(app, path, variants, args.repeats, args.profile))
        console.print(f"load average at end {os.getloadavg()[0]:.2f}")
        return 0
    finally:
        procs.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
