"""Helpers of bench/data.py: an authenticated HTTP session, sensors, and synthetic minute data.

Data is made up, deterministic and cheap to make: sensor k reads a temperature at every whole minute.
The JSON bodies are built before a batch is timed, so the timings hold only the server's work.
"""

from __future__ import annotations

import http.client
import json
import re
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from harness import HOST, BenchError

from sensorgate.kit.times import format_time

MINUTE_MS = 60_000
DAY_MS = 86_400_000
METRIC = "temperature"
_encode = msgspec.json.encode
LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def value_at(minute: int, sensor_index: int) -> float:
    """A plausible temperature, different per sensor and minute, exact in binary to 1/16."""
    return 15.0 + ((minute * 7 + sensor_index * 13) % 321) / 16


def iso(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


@dataclass
class Session:
    """A console session on one server: the sg_session cookie, and the CSRF token that writes need; and a
    read-only API key, which the timed reads use, as integrators do."""

    port: int
    cookie: str = ""
    csrf: str = ""
    api_key: str = ""
    conn: http.client.HTTPConnection | None = None

    def login(self, email: str, password: str) -> None:
        body = json.dumps({"email": email, "password": password}).encode()
        status, headers, payload = self._send("POST", "/v1/auth/login", body, {"Content-Type": "application/json"})
        if status != 200:
            raise BenchError(f"login answered {status}: {payload[:300]!r}")
        self.csrf = json.loads(payload)["csrfToken"]
        for cookie in headers.get_all("set-cookie") or []:
            name, _, rest = cookie.partition("=")
            if name.strip() == "sg_session":
                self.cookie = rest.split(";", 1)[0]
                created = self.call(
                    "POST", "/v1/keys", json.dumps({"name": "bench", "scopes": ["data:read"]}).encode(), 201
                )
                self.api_key = json.loads(created)["secret"]
                return
        raise BenchError("login set no sg_session cookie")

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str], timeout: float = 300
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request on a kept-alive connection (reconnecting once if the server closed it)."""
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.headers, resp.read()
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, body: bytes | None = None, want: int = 200) -> bytes:
        headers = {"Cookie": f"sg_session={self.cookie}"}
        if method != "GET":
            headers.update({"X-CSRF-Token": self.csrf, "Content-Type": "application/json"})
        status, _, payload = self._send(method, path, body, headers)
        if status != want:
            raise BenchError(f"{method} {path[:120]} answered {status}: {payload[:500]!r}")
        return payload

    def timed(self, path: str) -> tuple[float, bytes]:
        """Seconds from sending a GET to having read the whole answer."""
        started = time.perf_counter()
        payload = self.call("GET", path)
        return time.perf_counter() - started, payload

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def create_sensors(session: Session, count: int, prefix: str) -> list[int]:
    ids = []
    for k in range(count):
        body = _encode({"name": f"{prefix}-{k}", "metrics": [{"metric": METRIC}], "interval": 60})
        ids.append(json.loads(session.call("POST", "/v1/sensors", body, want=201))["id"])
    return ids


def series_ids(db_path: Path, sensor_ids: list[int]) -> list[int]:
    """The temperature series of each sensor, in the order given."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        found = dict(conn.execute("SELECT sensor_id, id FROM series WHERE metric = ?", (METRIC,)).fetchall())
    return [found[s] for s in sensor_ids]


def batches(start_ms: int, minutes: int, count: int, batch: int) -> Iterator[list[tuple[int, int]]]:
    """(minute index, sensor index) pairs in time order, interleaved over `count` sensors, `batch` at a time."""
    pending: list[tuple[int, int]] = []
    for minute in range(minutes):
        for k in range(count):
            pending.append((minute, k))
            if len(pending) == batch:
                yield pending
                pending = []
    if pending:
        yield pending


def backfill_body(pairs: list[tuple[int, int]], sensors: list[int], start_ms: int, iso: bool = False) -> bytes:
    """A backfill body; times in epoch seconds (the API takes them, and they are cheapest to parse), or with
    `iso` as ISO 8601 strings with milliseconds, as most clients write them (2026-11-22T03:50:00.000Z)."""
    base = start_ms // 1000
    items: list[dict[str, Any]] = [
        {"sensor": sensors[k], "metric": METRIC, "value": value_at(m, k), "time": base + m * 60} for m, k in pairs
    ]
    if iso:
        for item in items:
            item["time"] = format_time(item["time"] * 1000)
    return _encode({"items": items})


def baseline_rows(pairs: list[tuple[int, int]], series: list[int], start_ms: int) -> list[tuple[int, int, float]]:
    return [(series[k], start_ms + m * MINUTE_MS, value_at(m, k)) for m, k in pairs]


class Baseline:
    """Plain sqlite3 executemany into an equivalent table in a fresh file, with the engine's pragmas."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(
            "CREATE TABLE points (series_id INTEGER, t INTEGER, value REAL, PRIMARY KEY (series_id, t)) WITHOUT ROWID"
        )

    def write(self, rows: list[tuple[int, int, float]]) -> float:
        started = time.perf_counter()
        self.conn.execute("BEGIN")
        self.conn.executemany("INSERT INTO points (series_id, t, value) VALUES (?, ?, ?)", rows)
        self.conn.execute("COMMIT")
        return time.perf_counter() - started

    def close(self) -> None:
        self.conn.close()


def check_ingest(payload: bytes, expected: int) -> None:
    out: dict[str, Any] = json.loads(payload)
    if out.get("accepted") != expected:
        raise BenchError(f"backfill accepted {out.get('accepted')} of {expected} points")


def wrk_latency(port: int, path: str, seconds: float, headers: list[str]) -> dict[str, float]:
    """Latency percentiles in ms ("50", "75", "90", "99") of wrk with one connection, after a 2 s warm-up."""
    argv = ["wrk", "-t1", "-c1", "--latency", "--timeout", "5s"]
    for header in headers:
        argv += ["-H", header]
    url = f"http://{HOST}:{port}{path}"
    subprocess.run([*argv, "-d2s", url], capture_output=True, timeout=60, check=False)
    out = subprocess.run([*argv, f"-d{seconds:g}s", url], capture_output=True, text=True, timeout=seconds + 30).stdout
    found = {p: float(v) * UNIT_MS[u] for p, v, u in LATENCY.findall(out)}
    if "50" not in found or "Non-2xx" in out or "Socket errors" in out:
        raise BenchError(f"wrk --latency gave no percentiles, or errors:\n{out}")
    return found


def worker_rss(pid: int) -> tuple[float, float, float]:
    """(worker VmRSS, worker VmHWM, main VmRSS) in MiB; the granian worker is the one child of `pid`."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    if len(children) != 1:
        raise BenchError(f"expected one granian worker under pid {pid}, found {children}")

    def status(of: int, key: str) -> float:
        match = re.search(rf"^{key}:\s+(\d+) kB", Path(f"/proc/{of}/status").read_text(), re.MULTILINE)
        if match is None:
            raise BenchError(f"no {key} in /proc/{of}/status")
        return int(match.group(1)) / 1024

    return status(children[0], "VmRSS"), status(children[0], "VmHWM"), status(pid, "VmRSS")
