"""Hourly aggregate of a year of minute data, in one process: the app (called over ASGI, with API-key auth,
routing, the query and JSON encoding) against a plain sqlite3 GROUP BY over the raw points of the same file.

bench/data.py measures the same figure through HTTP, where moving the 1.2 MB answer over loopback is part of
the time; here neither side pays for a network.

    uv run python bench/aggregate_inprocess.py
"""

from __future__ import annotations

import asyncio
import base64
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sensorgate.accounts import service as accounts
from sensorgate.app import create_app
from sensorgate.auth.principal import Membership, Principal
from sensorgate.auth.scopes import permissions_for
from sensorgate.credentials.schemas import KeyIn
from sensorgate.credentials.service import Origin, create_key
from sensorgate.db import migrate
from sensorgate.db.engine import Database, create_engine
from sensorgate.kit.times import utcnow
from sensorgate.measurements.writer import write_batch
from sensorgate.sensors import service as sensors
from sensorgate.sensors.schemas import MetricIn, SensorIn
from sensorgate.settings import load_settings

START = 1_735_689_600_000  # 2025-01-01T00:00:00Z
MINUTES = 525_600
ROUNDS = 15
BASELINE = (
    "SELECT (t - ?) / 3600000, count(*), min(value), max(value), sum(value) FROM points "
    "WHERE series_id = ? AND t >= ? AND t < ? GROUP BY 1"
)


def prepare(directory: Path) -> tuple[Any, str, int]:
    settings = load_settings(
        environ={},
        mode="production",
        data_dir=str(directory),
        secret_key="k" * 40,
        hash_pepper="p" * 40,
        master_key=base64.urlsafe_b64encode(b"m" * 32).decode(),
        access_log=False,
    )
    engine = create_engine(settings.sqlalchemy_url)
    migrate.upgrade(engine)
    db = Database(engine)
    db.write_sync(accounts.ensure_user, "bench@example.com", "x", "bench", "owner", utcnow())
    owner = Principal(
        kind="session",
        user_id=1,
        email="bench@example.com",
        memberships={1: Membership(1, "bench", "bench", "owner", (), permissions_for("owner"))},
    )
    sensor = db.write_sync(
        sensors.create_sensor, owner, SensorIn(name="s", metrics=[MetricIn(metric="temperature")]), utcnow()
    )
    started = time.perf_counter()
    db.write_sync(write_batch, {(1, START + i * 60_000): 20.0 + (i % 1440) / 100 for i in range(MINUTES)})
    print(f"loaded {MINUTES:,} points in {time.perf_counter() - started:.1f} s")
    request = Origin(ip=None, user_agent=None, now=utcnow(), pepper=settings.hash_pepper)
    key = db.write_sync(create_key, owner, KeyIn(name="bench"), request).secret
    engine.dispose()
    return settings, key, sensor.id


async def call(app: Any, key: str, query: bytes) -> int:
    path = "/v1/measurements/aggregate"
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
        "headers": [(b"x-api-key", key.encode())], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    size = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal size
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"aggregate answered {message['status']}")
        size += len(message.get("body", b""))

    await app(scope, receive, send)
    return size


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        settings, key, sensor = prepare(Path(directory))
        app = create_app(settings)
        end = START + MINUTES * 60_000
        query = f"sensor={sensor}&metric=temperature&from={START // 1000}&to={end // 1000 - 1}&bucket=PT1H".encode()
        raw = sqlite3.connect(Path(directory) / "sensorgate.db")
        ours, plain = [], []
        size = await call(app, key, query)
        for _ in range(ROUNDS):  # alternate, so both see the same machine
            started = time.perf_counter()
            await call(app, key, query)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            rows = raw.execute(BASELINE, (START, 1, START, end)).fetchall()
            plain.append(time.perf_counter() - started)
        assert len(rows) == MINUTES // 60
        a, b = statistics.median(ours) * 1000, statistics.median(plain) * 1000
        print(f"aggregate PT1H of 1 year in-process: sensorgate {a:.1f} ms, sqlite3 GROUP BY {b:.1f} ms, "
              f"ratio {a / b:.3f} (target <= 0.1, goal 0.05); answer {size:,} bytes, median of {ROUNDS}")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
