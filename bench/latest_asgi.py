"""Latest values of every demo sensor (or, with --route history, the 100-point history page of
bench/keys_http.py), timed in-process: sensorgate's app against bench/bare_history.py's bare ASGI app, which runs
the same queries with sqlite3 on the same file and encodes with orjson (issue 19, speeds 5 and 7).

Both are called as ASGI callables in one event loop, so neither granian nor sockets nor wrk are counted, and the
time is this process's CPU time (time.process_time): the ratio holds on a busy machine, where wrk's one-connection
latency does not. The wrk figure over HTTP is bench/data.py's `latest`. Repeats alternate; the ratio is of CPU per
request, from the best repeat of each, the medians next to them.

    uv run --with orjson python bench/latest_asgi.py                   # ~30 s
    uv run --with orjson python bench/latest_asgi.py --route history
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import sys
from pathlib import Path

import keys_http
from harness import console
from keys_asgi import alternate, call, scope_for, start_lifespan, timed_calls


async def measure(ours: object, bare: object, path: str, key: str, repeats: int, target: float) -> None:
    await start_lifespan(ours)
    scopes = {"sensorgate": scope_for(path, [(b"x-api-key", key.encode())]), "bare": scope_for(path, [])}
    apps = {"sensorgate": ours, "bare": bare}
    answers = {}
    for name, app in apps.items():
        status, body = await call(app, scopes[name])
        if status != 200:
            raise SystemExit(f"{name}: {status} {body[:300]!r}")
        answers[name] = [(i["sensor"], i["metric"], i["time"], i["value"]) for i in json.loads(body)["items"]]
    if answers["sensorgate"] != answers["bare"] or not answers["bare"]:
        raise SystemExit("the two apps answer different items")
    variants = {name: timed_calls(app, scopes[name]) for name, app in apps.items()}
    n, results = await alternate(variants, repeats)
    console.print(f"{len(answers['bare'])} series; {repeats} alternating repeats of {n:,} requests, CPU time")
    for name, values in results.items():
        console.print(f"  {name:>10}: best {min(values):7.1f} us/request, median {statistics.median(values):7.1f}")
    best = min(results["sensorgate"]) / min(results["bare"])
    median = statistics.median(results["sensorgate"]) / statistics.median(results["bare"])
    console.print(
        f"cost sensorgate/bare (CPU per request) = {best:.3f} (best), {median:.3f} (median); "
        f"target <= {target:.3g} (bare/sensorgate = {1 / best:.3f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="latest values: sensorgate vs a bare ASGI app, in-process")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--route", choices=("latest", "history"), default="latest")
    args = parser.parse_args()
    with keys_http.in_process_demo("sensorgate-latest-asgi-", "latest values, in-process") as seeded:
        os.environ["SENSORGATE_BENCH_SESSION"] = seeded.session
        database = Path(seeded.env["SENSORGATE_DATA_DIR"]) / "sensorgate.db"
        os.environ["BARE_HISTORY_DB"] = str(database)
        import auth_app  # after the environment is set: its settings come from there
        import bare_history

        with sqlite3.connect(database) as conn:
            sensors = ",".join(str(row[0]) for row in conn.execute("SELECT id FROM sensors ORDER BY id"))
        path = f"/v1/measurements/latest?sensor={sensors}" if args.route == "latest" else seeded.path
        # History's target is 0.7 of the bare app's requests per second: a cost ratio of 1/0.7.
        target = 1.3 if args.route == "latest" else 1 / 0.7
        console.print(f"GET {path}", soft_wrap=True)
        with open(os.devnull, "w") as devnull:
            ours = auth_app.app_factory(access_stream=devnull)
            asyncio.run(measure(ours, bare_history.app, path, seeded.demo["api_key"], args.repeats, target))
    return 0


if __name__ == "__main__":
    sys.exit(main())
