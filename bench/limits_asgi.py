"""What a rate-limited request costs: bench/keys_asgi.py's request (a 100-point history page with an API key),
timed in-process with per-credential limits off, on with memory storage, and on with Redis storage.

Three apps over the same demo data, in one event loop: SENSORGATE_RATE_LIMITS=false; the default (memory);
and SENSORGATE_REDIS_URL pointing at a redis-server started here on a free port. Time is this process's CPU
time (time.process_time), so Redis's own work and its socket wait are not counted: the Redis figure is the
client's cost (encoding, the Lua call, parsing), not the round trip. Repeats alternate; ratios are of requests
per second, from the best repeat of each, the medians next to them.

    uv run python bench/limits_asgi.py            # ~30 s
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import keys_http
from harness import Processes, console, redis_server
from keys_asgi import Timed, alternate, call, scope_for, start_lifespan


async def measure(apps: dict[str, Any], path: str, key: str, repeats: int) -> None:
    scope = scope_for(path, [(b"x-api-key", key.encode())])
    lifespans = [await start_lifespan(app) for app in apps.values()]
    for name, app in apps.items():
        status, body = await call(app, scope)
        if status != 200 or len(json.loads(body)["items"]) != keys_http.LIMIT:
            raise SystemExit(f"{name}: {status}, not the {keys_http.LIMIT} items")

    def timed(app: Any) -> Timed:
        async def loop(n: int) -> float:
            started = time.process_time()
            for _ in range(n):
                await call(app, scope)
            return time.process_time() - started

        return loop

    n, results = await alternate({name: timed(app) for name, app in apps.items()}, repeats)
    console.print(f"{repeats} alternating repeats of {n:,} requests per variant, in-process, CPU time")
    for name, values in results.items():
        rate, mid = 1e6 / min(values), statistics.median(values)
        console.print(f"{name:>8}: best {min(values):6.1f} us/request ({rate:,.0f} req/s), median {mid:6.1f}")
    best = {name: min(values) for name, values in results.items()}
    med = {name: statistics.median(values) for name, values in results.items()}
    for name, target in (("memory", "target <= 1.05"), ("redis", "target <= 1.25, issue 19")):
        console.print(
            f"cost {name}/off (CPU per request) = {best[name] / best['off']:.3f} (best), "
            f"{med[name] / med['off']:.3f} (median); {target}"
        )
    for inbox, task in lifespans:
        inbox.put_nowait({"type": "lifespan.shutdown"})
        await task


def main() -> int:
    parser = argparse.ArgumentParser(description="rate limits off vs memory vs Redis, in-process ASGI calls")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sensorgate-limits-asgi-"))
    procs = Processes()
    redis = contextlib.ExitStack()
    try:
        redis_url = redis.enter_context(redis_server())
        console.print(f"rate limits off vs memory vs Redis: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
        seeded = keys_http.seeded_demo(work, procs)
        env, demo, path = seeded.env, seeded.demo, seeded.path

        os.environ.update(env)
        import auth_app  # after the environment is set: its settings come from there

        apps: dict[str, Any] = {}
        with open(os.devnull, "w") as devnull:
            for name, extra in (
                ("off", {"SENSORGATE_RATE_LIMITS": "false"}),
                ("memory", {}),
                ("redis", {"SENSORGATE_REDIS_URL": redis_url}),
            ):
                for variable in ("SENSORGATE_RATE_LIMITS", "SENSORGATE_REDIS_URL"):
                    os.environ.pop(variable, None)
                os.environ.update(extra)
                apps[name] = auth_app.app_factory(access_stream=devnull)
            asyncio.run(measure(apps, path, demo["api_key"], args.repeats))
        console.print(f"load average at end {os.getloadavg()[0]:.2f}")
        return 0
    finally:
        procs.stop_all()
        redis.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
