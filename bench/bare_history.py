"""A hand-written bare ASGI app serving a history page and latest values: the baselines for the history and
latest figures of bench/data.py.

GET /v1/measurements?sensor=S&metric=M&from=ISO&to=ISO&limit=N runs the same points query as sensorgate
with the `sqlite3` module on the same database file, and answers the same JSON shape, encoded with orjson:
{"items": [{"sensor", "metric", "time", "value"}, ...], "next": <signed cursor or null>}.
GET /v1/measurements/latest?sensor=S1,S2,... runs the same two queries as sensorgate (the sensors' series with
their units and intervals, then the `latest` rows of those series) and answers the same shape with novelty.
No authentication, no validation beyond what the query needs: it is the floor, not a competitor.

Run it under granian with the same settings as `sensorgate serve` (see sensorgate/cli/serve.py); orjson
stays out of the project's dependencies, so:

    uv run --with orjson python bench/bare_history.py --db .sensorgate/sensorgate.db --port 8002
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import sqlite3
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson

DB_ENV = "BARE_HISTORY_DB"
KEY = b"bare history cursor key"
POINTS_SQL = (
    "SELECT series_id, t, value FROM points WHERE series_id IN (?) AND t >= ? AND t < ? ORDER BY series_id, t LIMIT ?"
)
SERIES_SQL = "SELECT id FROM series WHERE sensor_id = ? AND metric = ?"
LATEST_SERIES_SQL = (
    "SELECT s.id, s.sensor_id, s.metric, s.unit, sn.interval FROM series s JOIN sensors sn ON sn.id = s.sensor_id "
    "WHERE s.sensor_id IN ({}) ORDER BY s.id"
)
LATEST_SQL = "SELECT series_id, t, value FROM latest WHERE series_id IN ({}) ORDER BY series_id"
JSON = [(b"content-type", b"application/json")]
DAY_MS = 86_400_000

_conn: sqlite3.Connection | None = None
_series: dict[tuple[int, str], int] = {}  # (sensor, metric) -> series id, filled on first use
_days: dict[int, str] = {}  # day number since the epoch -> "YYYY-MM-DDT"


def connection() -> sqlite3.Connection:
    global _conn
    if _conn is None:
        _conn = sqlite3.connect(os.environ[DB_ENV], check_same_thread=False, isolation_level=None)
        _conn.execute("PRAGMA busy_timeout=5000")
    return _conn


def iso(ms: int) -> str:
    day, rest = divmod(ms, DAY_MS)
    prefix = _days.get(day)
    if prefix is None:
        prefix = _days[day] = datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%dT")
    seconds, millis = divmod(rest, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{prefix}{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


def parse_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def cursor(start: int, end: int, series_id: int, t: int) -> str:
    payload = orjson.dumps([start, end, False, series_id, t])
    tag = hmac.new(KEY, payload, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(payload + tag).decode().rstrip("=")


def history(query: dict[str, str]) -> tuple[int, bytes]:
    sensor, metric = int(query["sensor"]), query.get("metric", "temperature")
    conn = connection()
    series_id = _series.get((sensor, metric))
    if series_id is None:
        row = conn.execute(SERIES_SQL, (sensor, metric)).fetchone()
        if row is None:
            return 404, b'{"error":"no such series"}'
        series_id = _series[(sensor, metric)] = row[0]
    start, end = parse_ms(query["from"]), parse_ms(query["to"]) + 1
    limit = int(query.get("limit", "1000"))
    rows = conn.execute(POINTS_SQL, (series_id, start, end, limit + 1)).fetchall()
    following = cursor(start, end, rows[limit - 1][0], rows[limit - 1][1]) if len(rows) > limit else None
    items = [{"sensor": sensor, "metric": metric, "time": iso(t), "value": value} for _, t, value in rows[:limit]]
    return 200, orjson.dumps({"items": items, "next": following})


def latest(query: dict[str, str]) -> tuple[int, bytes]:
    sensors = [int(part) for part in query["sensor"].split(",")]
    conn = connection()
    series = {
        row[0]: row for row in conn.execute(LATEST_SERIES_SQL.format(",".join("?" * len(sensors))), sensors).fetchall()
    }
    rows = conn.execute(LATEST_SQL.format(",".join("?" * len(series))), list(series)).fetchall()
    now = int(datetime.now(UTC).timestamp() * 1000)
    items = []
    for series_id, t, value in rows:
        _, sensor, metric, unit, interval = series[series_id]
        age = now - t
        novelty = "old" if age > 6 * interval * 1000 else "expiring" if age > 3 * interval * 1000 else "new"
        items.append(
            {"sensor": sensor, "metric": metric, "unit": unit, "time": iso(t), "value": value, "novelty": novelty}
        )
    return 200, orjson.dumps({"items": items})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    if scope["path"] == "/health":
        status, body = 200, b'{"status":"ok"}'
    elif scope["path"] == "/v1/measurements/latest":
        status, body = latest(dict(parse_qsl(scope["query_string"].decode())))
    elif scope["path"].rstrip("/") == "/v1/measurements":
        status, body = history(dict(parse_qsl(scope["query_string"].decode())))
    else:
        status, body = 404, b'{"error":"not found"}'
    headers = [*JSON, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="the SQLite file sensorgate serves")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    os.environ[DB_ENV] = os.path.abspath(args.db)  # workers read it from the environment

    from granian import Granian
    from granian.constants import Interfaces

    # The same arguments as sensorgate.cli.serve, except the target.
    Granian(
        target="bare_history:app",
        interface=Interfaces.ASGI,
        address=args.host,
        port=args.port,
        workers=args.workers,
        log_access=False,
        respawn_failed_workers=True,
    ).serve()


if __name__ == "__main__":
    main()
