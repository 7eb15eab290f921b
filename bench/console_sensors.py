"""The console's sensor pages, timed in-process with the owner's session: a sensor holding a year of minute data
(525,600 points) with its one-year chart, and the demo's sensors, against `GET /v1/measurements/aggregate` for the
same year (the numbers the chart draws, as JSON, with the same session) measured in the same run.

The demo is seeded by a stock `serve --demo`; then one more sensor is made through the sensors service, and a
year of minute points ending now is written through the writer ingest uses (rollups included). The app is called
as an ASGI callable (bench/keys_asgi.py's harness): no granian, no socket. Time is this process's CPU time, so
other work on the machine does not count. Target: the one-year sensor page under 100 ms.

    uv run python bench/console_sensors.py            # ~2 minutes, most of it writing the year
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
from typing import Any

import keys_http
from harness import console
from keys_asgi import Headers, alternate, call, scope_for, start_lifespan, timed_calls

MINUTES = 525_600
MINUTE_MS = 60_000
TARGET_MS = 100.0
BASELINE = "API aggregate, 1 year, P1D"
TARGETED = "sensor page, 1 year of minutes"


def year_sensor(app: Any) -> int:
    """A sensor with one metric and a year of minute points up to now, through the services the API calls."""
    from sensorgate.demo.owner import owner_principal
    from sensorgate.kit.times import utcnow
    from sensorgate.measurements.writer import write_batch
    from sensorgate.sensors import service, store
    from sensorgate.sensors.schemas import MetricIn, SensorIn

    db = app.state.sensorgate.db
    principal, _ = db.read_sync(owner_principal)
    body = SensorIn(name="A year of minutes", interval=60, metrics=[MetricIn(metric="temperature")])
    sensor = db.write_sync(service.create_sensor, principal, body, utcnow())
    [series] = db.read_sync(store.series_of, [sensor.id])[sensor.id]
    now = int(utcnow().timestamp() * 1000)
    last = now - now % MINUTE_MS
    started = time.perf_counter()
    for first in range(0, MINUTES, 100_000):  # in chunks, so no transaction holds the whole year in memory
        chunk = range(first, min(first + 100_000, MINUTES))
        rows = {(series.id, last - i * MINUTE_MS): 20.0 + (i % 1440) / 100 for i in chunk}
        db.write_sync(write_batch, rows)
    console.print(f"wrote {MINUTES:,} minute points in {time.perf_counter() - started:.1f} s")
    return int(sensor.id)


async def measure(app: Any, cookie: str, year: int, repeats: int) -> None:
    from sensorgate.kit.times import format_time, utcnow

    inbox, lifespan = await start_lifespan(app)
    session: Headers = [(b"cookie", f"sg_session={cookie}".encode())]
    berlin: Headers = [(b"cookie", f"sg_session={cookie}; sg_tz=Europe%2FBerlin".encode())]
    now = int(utcnow().timestamp() * 1000)
    window = f"from={format_time(now - 365 * 86_400_000)}&to={format_time(now)}"
    pages = {
        BASELINE: (f"/v1/measurements/aggregate?sensor={year}&metric=temperature&bucket=P1D&fn=count,min,max,avg&"
                   f"{window}", session),
        TARGETED: (f"/orgs/demo/sensors/{year}?range=1y", session),
        "the same, Europe/Berlin": (f"/orgs/demo/sensors/{year}?range=1y", berlin),
        "the same, 30 days": (f"/orgs/demo/sensors/{year}?range=30d", session),
        "the same, 7 days": (f"/orgs/demo/sensors/{year}?range=7d", session),
        "the same, 24 hours": (f"/orgs/demo/sensors/{year}?range=24h", session),
        "the same, 6 hours": (f"/orgs/demo/sensors/{year}?range=6h", session),
        "demo sensor, 1 year": ("/orgs/demo/sensors/1?range=1y", session),
        "demo sensor, 24 hours": ("/orgs/demo/sensors/1?range=24h", session),
        "sensor list (demo)": ("/orgs/demo/sensors", session),
        "API GET /v1/sensors": ("/v1/sensors", session),
    }  # fmt: skip
    scopes = {name: scope_for(path, headers) for name, (path, headers) in pages.items()}
    for name, scope in scopes.items():
        status, body = await call(app, scope)
        if status != 200:
            raise SystemExit(f"{name}: {status} {body[:300]!r}")
    shown = (await call(app, scopes[TARGETED]))[1].decode()
    drawn = re.findall(r'data-points="(\d+)"', shown)
    console.print(f"the one-year chart draws {', '.join(drawn)} points")

    n, results = await alternate({name: timed_calls(app, scope) for name, scope in scopes.items()}, repeats)
    console.print(f"{repeats} alternating repeats of {n:,} requests per page, in-process, CPU time")
    base = statistics.median(results[BASELINE])
    for name, values in results.items():
        best, mid = min(values), statistics.median(values)
        console.print(
            f"{name:>32}: median {mid / 1000:7.2f} ms/request (best {best / 1000:7.2f}); ratio to the API's year = "
            f"{mid / base:.2f}"
        )
    year_ms = statistics.median(results[TARGETED]) / 1000
    verdict = "met" if year_ms < TARGET_MS else "MISSED"
    console.print(f"the one-year sensor page: {year_ms:.2f} ms (median); target < {TARGET_MS:.0f} ms: {verdict}")
    inbox.put_nowait({"type": "lifespan.shutdown"})
    await lifespan


def main() -> int:
    parser = argparse.ArgumentParser(description="the console's sensor pages vs the aggregate API, in-process")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with keys_http.in_process_demo("sensorgate-console-sensors-", "console sensor pages, in-process") as seeded:
        from sensorgate.app import create_app
        from sensorgate.settings import load_settings

        with open(os.devnull, "w") as devnull:
            app = create_app(load_settings(), access_stream=devnull)
            year = year_sensor(app)
            asyncio.run(measure(app, seeded.session, year, args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
