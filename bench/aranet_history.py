"""An Aranet history page of 100 points (`/api/v1/measurements/history`) against the same page through
`/v1/measurements`, in one run, with the demo's read-only API key. Target: Aranet at 0.9 or more of /v1's rate.

The demo is seeded by a stock `serve --demo`; the app is then called in-process as an ASGI callable (bench/
keys_asgi.py's harness): no granian, no socket, so the figure is the cost of the request itself. Time is this
process's CPU time, so other work on the machine does not count. Both pages are checked to hold the same points.
Aranet's page is timed with `links` on (its default) and off.

    uv run python bench/aranet_history.py            # ~40 s
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import keys_http
from harness import Processes, console
from keys_asgi import alternate, call, scope_for, start_lifespan, timed_calls

TARGET = 0.9


def aranet_path(v1_path: str, links: bool) -> str:
    query = {k: v[0] for k, v in parse_qs(urlparse(v1_path).query).items()}
    # Aranet names temperature metric 1 and takes times without an offset.
    window = f"from={query['from'][:19]}&to={query['to'][:19]}"
    path = f"/api/v1/measurements/history?sensor={query['sensor']}&metric=1&{window}&limit={query['limit']}"
    return path if links else path + "&links=false"


async def measure(app: Any, key: str, v1_path: str, repeats: int) -> float:
    inbox, lifespan = await start_lifespan(app)
    headers = [(b"apikey", key.encode())]
    pages = {
        "/v1 history": v1_path,
        "aranet history": aranet_path(v1_path, links=True),
        "aranet, links=false": aranet_path(v1_path, links=False),
    }
    scopes = {name: scope_for(path, headers) for name, path in pages.items()}
    answers = {}
    for name, scope in scopes.items():
        status, body = await call(app, scope)
        if status != 200:
            raise SystemExit(f"{name}: {status} {body[:300]!r}")
        answers[name] = json.loads(body)
    v1 = [(p["time"], p["value"]) for p in answers["/v1 history"]["items"]]
    aranet = [(r["time"], r["value"]) for r in answers["aranet history"]["readings"]]
    if v1 != aranet or len(v1) != 100:
        raise SystemExit(f"the pages differ: {len(v1)} points through /v1, {len(aranet)} through Aranet's path")
    console.print(f"both pages hold the same {len(v1)} points")

    n, results = await alternate({name: timed_calls(app, scope) for name, scope in scopes.items()}, repeats)
    console.print(f"{repeats} alternating repeats of {n:,} requests per page, in-process, CPU time")
    base = statistics.median(results["/v1 history"])
    for name, values in results.items():
        mid = statistics.median(values)
        console.print(
            f"{name:>22}: median {mid:7.1f} µs/request (best {min(values):7.1f}); rate vs /v1 = {base / mid:.3f}"
        )
    ratio = base / statistics.median(results["aranet history"])
    console.print(
        f"Aranet page rate / /v1 page rate = {ratio:.3f}; target >= {TARGET}: {'met' if ratio >= TARGET else 'MISSED'}"
    )
    inbox.put_nowait({"type": "lifespan.shutdown"})
    await lifespan
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description="Aranet's history page vs /v1's, in-process")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sensorgate-aranet-"))
    procs = Processes()
    try:
        console.print(f"aranet history, in-process: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        seeded = keys_http.seeded_demo(work, procs)
        os.environ.update(seeded.env)
        from sensorgate.app import create_app
        from sensorgate.settings import load_settings

        with open(os.devnull, "w") as devnull:
            app = create_app(load_settings(), access_stream=devnull)
            asyncio.run(measure(app, seeded.demo["api_key"], seeded.path, args.repeats))
        console.print(f"load average at end {os.getloadavg()[0]:.2f}")
        return 0
    finally:
        procs.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
