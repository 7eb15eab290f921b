"""Soak: mixed traffic against a real `sensorgate serve` (granian) for --minutes, at 80 % of this machine's capacity.

The server is `sensorgate serve --demo` (it migrates and seeds the demo organization, its workspace and 20 sensors
with 7 days of readings), on SQLite with 1 worker by default, or with --postgres on a throwaway PostgreSQL cluster
with a throwaway redis-server (SENSORGATE_REDIS_URL) and 2 workers. Then, with the CLI, the organization's plan is
given 10,000 token requests per 15 minutes and an owner key is made with data:read, data:write and keys:write;
that key makes, over the API, a read-only key, a key limited to 100 requests per 15 minutes and an OAuth client.

The traffic is one request per operation, drawn at random with these weights (OPS below): history, latest values,
aggregates, backfill (50 points: 10 sensors' last 5 readings on a 10 s grid, see backfill_body), an OAuth token
request and a read with the newest token, key creation and revocation (made by the owner key), and refusals: a
malformed key and an unknown well-formed one (401), a revoked key (401), a missing scope (403) and a rate-limited
key (200 or 429). A refusal that is the right answer counts as an expected refusal, not as an error; an error is
any other status, or a transport error.

First a closed-loop ramp measures the capacity: 1, 2, 4 and 8 connections (up to --connections) each send
requests back to back for --ramp-seconds; the capacity is the best throughput. Then the open-loop run sends at
80 % of it (--load), paced by the clock: request n is due at start + n / rate whatever the answers do, on at most
as many connections as reached the capacity (on a 2-core machine more connections got less throughput in the
ramp, so a burst that filled them would slow the server below the rate for good), and its latency runs from when
it was due (so a stall counts against the requests that waited behind it). Reported: errors by status, expected
refusals, p50 and p99 per minute, the server's RSS (the sum over its process tree: granian's main process and its
workers) at the start of the run, after the first minute and at the end, and the drift after the first minute.
The bar: 0 errors, drift within 10 %. Each minute also shows the server's CPU time per request, which other work
on a shared machine barely moves: a figure that grows means requests cost more as the run goes on. When the time
is up, requests still waiting for a connection are not sent; they are counted, as a sign that the server (or the
machine) fell behind the rate.

    uv run python bench/soak.py --minutes 10               # SQLite, 1 worker: about 12 minutes
    uv run python bench/soak.py --minutes 10 --postgres    # PostgreSQL + Redis, 2 workers: about 12 minutes
    uv run python bench/soak.py --minutes 1                # a quick look: about 3 minutes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from harness import (
    BIN,
    HOST,
    BenchError,
    Processes,
    Server,
    base_env,
    console,
    finishing,
    free_port,
    install_deadline,
    postgres_cluster,
    redis_server,
    report_end,
    wait_ready,
)
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from sensorgate.kit import keys as key_format

ORG = "demo"  # the demo organization and its one workspace, both made by `serve --demo`
TOKENS_PER_15_MIN = 10_000  # the plan's token requests, so that the token operation never meets its limit
LIMITED = {"requests": 100, "window": "PT15M"}  # the rate-limited key (a window no shorter than its maker's)
BACKFILL_SENSORS, BACKFILL_POINTS = 10, 5  # 50 points per backfill request
DRIFT_BAR = 10.0  # %


# ---------------------------------------------------------------- seeding


@dataclass
class Seeded:
    owner: str  # keys:write, data:read, data:write; made with the CLI
    read: str  # data:read only
    limited: str  # data:read, 10 requests a minute
    client_id: str  # the OAuth client (data:read)
    client_secret: str
    sensors: list[int]  # real sensors that read a temperature
    created: deque[tuple[int, str]] = field(default_factory=deque)  # keys made by the run, not yet revoked
    revoked: deque[str] = field(default_factory=lambda: deque(maxlen=200))  # secrets of keys the run revoked
    token: str | None = None  # the newest access token
    backfill_step: int = 10  # seconds between a series' points; 0: every point at a new time


def cli(env: dict[str, str], db_url: str | None, *argv: str) -> str:
    command = [str(BIN / "sensorgate"), *argv, *(["--db", db_url] if db_url else [])]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise BenchError(f"{shlex.join(command[1:])} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def seed(port: int, env: dict[str, str], db_url: str | None) -> Seeded:
    """The plan and the owner key with the CLI; the other credentials with the owner key, over the API."""
    cli(env, db_url, "orgs", "plan", ORG, "--tokens", str(TOKENS_PER_15_MIN))
    scopes = ["--scope", "data:read", "--scope", "data:write", "--scope", "keys:write"]
    owner = json.loads(
        cli(env, db_url, "keys", "create", "--workspace", ORG, "--name", "soak owner", *scopes, "--json")
    )
    with httpx.Client(base_url=f"http://{HOST}:{port}", headers={"X-API-Key": owner["secret"]}, timeout=30) as client:

        def make(body: dict[str, object]) -> dict[str, str]:
            answer = client.post("/v1/keys", json=body)
            if answer.status_code != 201:
                raise BenchError(f"POST /v1/keys {body['name']}: {answer.status_code} {answer.text[:300]}")
            created: dict[str, str] = answer.json()
            return created

        read = make({"name": "soak read", "scopes": ["data:read"]})
        limited = make({"name": "soak limited", "scopes": ["data:read"], "limits": LIMITED})
        oauth = make({"name": "soak client", "kind": "oauth_client", "scopes": ["data:read"]})
        answer = client.get("/v1/sensors", params={"size": 200})
        if answer.status_code != 200:
            raise BenchError(f"GET /v1/sensors: {answer.status_code} {answer.text[:300]}")
        sensors = [
            s["id"]
            for s in answer.json()["items"]
            if any(m["metric"] == "temperature" and not m["virtual"] for m in s["metrics"])
        ]
    if len(sensors) < BACKFILL_SENSORS:
        raise BenchError(f"only {len(sensors)} demo sensors read a temperature")
    return Seeded(owner["secret"], read["secret"], limited["secret"], oauth["publicId"], oauth["secret"], sensors)


# ---------------------------------------------------------------- the operations


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass(frozen=True)
class Answer:
    op: str  # the operation actually sent (revoke falls back to create when no key waits, and so on)
    status: int
    body: bytes = b""  # the start of the answer, kept for an unexpected status

    @classmethod
    def of(cls, op: str, response: httpx.Response) -> Answer:
        expected = response.status_code in EXPECTED[op]
        return cls(op, response.status_code, b"" if expected else response.content[:300])


Send = Callable[[httpx.AsyncClient, Seeded, random.Random], Awaitable[Answer]]


async def history(client: httpx.AsyncClient, s: Seeded, rng: random.Random) -> Answer:
    params: dict[str, str | int] = {
        "sensor": rng.choice(s.sensors),
        "metric": "temperature",
        "last": "PT6H",
        "limit": 100,
    }
    answer = await client.get("/v1/measurements", params=params, headers={"X-API-Key": s.read})
    return Answer.of("history", answer)


async def latest(client: httpx.AsyncClient, s: Seeded, rng: random.Random) -> Answer:
    sensors = ",".join(str(i) for i in rng.sample(s.sensors, 10))
    answer = await client.get("/v1/measurements/latest", params={"sensor": sensors}, headers={"X-API-Key": s.read})
    return Answer.of("latest", answer)


async def aggregate(client: httpx.AsyncClient, s: Seeded, rng: random.Random) -> Answer:
    start = iso(datetime.now(UTC) - timedelta(days=7))
    params: dict[str, str | int] = {
        "sensor": rng.choice(s.sensors),
        "metric": "temperature",
        "bucket": "PT1H",
        "from": start,
    }
    answer = await client.get("/v1/measurements/aggregate", params=params, headers={"X-API-Key": s.read})
    return Answer.of("aggregate", answer)


def backfill_body(s: Seeded, rng: random.Random) -> dict[str, object]:
    """The last BACKFILL_POINTS slots, `backfill_step` seconds apart, of BACKFILL_SENSORS sensors: a gateway
    that resends its recent readings, so most points replace one and a series gains one every step, whatever the
    rate. With a step of 0, every point is at a new time (now, now - 1 s, ...): a series gains points as fast as
    the run sends them, and the rollup of the current hour, recomputed from its points, costs more and more."""
    now = time.time()
    step = s.backfill_step
    last = now if step == 0 else now // step * step
    items = [
        {
            "sensor": sensor,
            "metric": "temperature",
            "value": round(rng.uniform(18, 24), 2),
            "time": last - k * (step or 1),
        }
        for sensor in rng.sample(s.sensors, BACKFILL_SENSORS)
        for k in range(BACKFILL_POINTS)
    ]
    return {"items": items}


async def backfill(client: httpx.AsyncClient, s: Seeded, rng: random.Random) -> Answer:
    answer = await client.post("/v1/measurements", json=backfill_body(s, rng), headers={"X-API-Key": s.owner})
    return Answer.of("backfill", answer)


async def token(client: httpx.AsyncClient, s: Seeded, rng: random.Random) -> Answer:
    answer = await client.post(
        "/v1/oauth/token", data={"grant_type": "client_credentials"}, auth=(s.client_id, s.client_secret)
    )
    if answer.status_code == 200:
        s.token = answer.json()["access_token"]
    return Answer.of("token", answer)


async def token_read(client: httpx.AsyncClient, s: Seeded, rng: random.Random) -> Answer:
    if s.token is None:
        return await token(client, s, rng)
    params: dict[str, str | int] = {
        "sensor": rng.choice(s.sensors),
        "metric": "temperature",
        "last": "PT6H",
        "limit": 100,
    }
    answer = await client.get("/v1/measurements", params=params, headers={"Authorization": f"Bearer {s.token}"})
    return Answer.of("token read", answer)


async def key_create(client: httpx.AsyncClient, s: Seeded, rng: random.Random) -> Answer:
    body = {"name": f"soak {rng.getrandbits(32):08x}", "scopes": ["data:read"]}
    answer = await client.post("/v1/keys", json=body, headers={"X-API-Key": s.owner})
    if answer.status_code == 201:
        created = answer.json()
        s.created.append((created["id"], created["secret"]))
    return Answer.of("key create", answer)


async def key_revoke(client: httpx.AsyncClient, s: Seeded, rng: random.Random) -> Answer:
    if not s.created:
        return await key_create(client, s, rng)
    key_id, secret = s.created.popleft()
    answer = await client.post(f"/v1/keys/{key_id}/revoke", json={}, headers={"X-API-Key": s.owner})
    if answer.status_code == 200:
        s.revoked.append(secret)
    return Answer.of("key revoke", answer)


async def revoked_key(client: httpx.AsyncClient, s: Seeded, rng: random.Random) -> Answer:
    """A key the run revoked, never used before: no process has it cached, so it is refused at once."""
    if not s.revoked:
        return await bad_key(client, s, rng)
    secret = rng.choice(s.revoked)
    answer = await client.get("/v1/measurements/latest", params={"sensor": s.sensors[0]}, headers={"X-API-Key": secret})
    return Answer.of("revoked key", answer)


async def bad_key(client: httpx.AsyncClient, s: Seeded, rng: random.Random) -> Answer:
    """Half malformed (refused before the database), half well-formed and unknown, a new one each time."""
    secret = "sgk_not-a-key" if rng.random() < 0.5 else key_format.new_key()
    answer = await client.get("/v1/measurements/latest", params={"sensor": s.sensors[0]}, headers={"X-API-Key": secret})
    return Answer.of("bad key", answer)


async def missing_scope(client: httpx.AsyncClient, s: Seeded, rng: random.Random) -> Answer:
    answer = await client.post("/v1/measurements", json=backfill_body(s, rng), headers={"X-API-Key": s.read})
    return Answer.of("missing scope", answer)


async def rate_limited(client: httpx.AsyncClient, s: Seeded, rng: random.Random) -> Answer:
    params = {"sensor": rng.choice(s.sensors)}
    answer = await client.get("/v1/measurements/latest", params=params, headers={"X-API-Key": s.limited})
    return Answer.of("rate limited", answer)


# name: (send, weight in the mix, the answers that are right)
OPS: dict[str, tuple[Send, int, frozenset[int]]] = {
    "history": (history, 25, frozenset({200})),
    "latest": (latest, 20, frozenset({200})),
    "aggregate": (aggregate, 10, frozenset({200})),
    "backfill": (backfill, 10, frozenset({200})),
    "token": (token, 1, frozenset({200})),
    "token read": (token_read, 7, frozenset({200})),
    "key create": (key_create, 3, frozenset({201})),
    "key revoke": (key_revoke, 3, frozenset({200})),
    "revoked key": (revoked_key, 2, frozenset({401})),
    "bad key": (bad_key, 7, frozenset({401})),
    "missing scope": (missing_scope, 4, frozenset({403})),
    "rate limited": (rate_limited, 8, frozenset({200, 429})),
}
EXPECTED = {name: expected for name, (_, _, expected) in OPS.items()}


# ---------------------------------------------------------------- what the run records


@dataclass(frozen=True)
class Timing:
    at: float  # when the answer came, in seconds from the start of the phase
    latency: float  # seconds from when it was due to its answer: waiting for a free connection included
    service: float  # seconds from sending it to its answer


@dataclass
class Record:
    started: float  # loop time at which the phase began
    timings: list[Timing] = field(default_factory=list)  # answered requests only
    by_op: dict[str, list[Timing]] = field(default_factory=dict)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    refusals: Counter[tuple[str, int]] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # "503", or a transport error's class
    error_ops: Counter[tuple[str, str]] = field(default_factory=Counter)
    error_minutes: Counter[int] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)  # one example of each kind of error

    def note(self, due: float, sent: float, answered: float, answer: Answer) -> None:
        timing = Timing(answered - self.started, answered - due, answered - sent)
        self.timings.append(timing)
        self.by_op.setdefault(answer.op, []).append(timing)
        self.statuses[(answer.op, answer.status)] += 1
        if answer.status not in EXPECTED[answer.op]:
            self.error(
                answered, answer.op, str(answer.status), f"{answer.op} answered {answer.status}: {answer.body!r}"
            )
        elif answer.status >= 400:
            self.refusals[(answer.op, answer.status)] += 1

    def error(self, when: float, op: str, kind: str, sample: str) -> None:
        self.errors[kind] += 1
        self.error_ops[(op, kind)] += 1
        self.error_minutes[int((when - self.started) // 60)] += 1
        self.samples.setdefault(kind, sample)

    @property
    def answered(self) -> int:
        return len(self.timings)


async def one(client: httpx.AsyncClient, s: Seeded, rng: random.Random, record: Record, due: float) -> None:
    name = rng.choices(NAMES, WEIGHTS)[0]
    loop = asyncio.get_running_loop()
    sent = loop.time()
    try:
        answer = await OPS[name][0](client, s, rng)
    except httpx.TransportError as exc:
        record.error(loop.time(), name, type(exc).__name__, f"{name}: {exc!r}")
        return
    record.note(due, sent, loop.time(), answer)


NAMES = list(OPS)
WEIGHTS = [weight for _, weight, _ in OPS.values()]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


# ---------------------------------------------------------------- the server's memory


def process_tree(pid: int) -> set[int]:
    """`pid` and every process under it: granian's main process and its workers."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    tree, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return tree


def tree_rss_mib(pid: int) -> float:
    """VmRSS summed over the process tree of `pid`, in MiB."""
    total_kb = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            found = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{member}/status").read_text(), re.MULTILINE)
            total_kb += int(found.group(1)) if found else 0
    return total_kb / 1024


def tree_cpu_seconds(pid: int) -> float:
    """User and system CPU time used so far by the process tree of `pid` (exited processes not counted)."""
    ticks = 0
    for member in process_tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- the two phases


async def ramp(
    client: httpx.AsyncClient, s: Seeded, rng: random.Random, steps: list[int], seconds: float
) -> tuple[float, int, int]:
    """Closed loop: at each step, that many connections send back to back. The capacity is the best throughput;
    also returned, the connections that reached it and the errors."""
    loop = asyncio.get_running_loop()
    best, best_connections, errors = 0.0, steps[0], 0
    for connections in steps:
        record = Record(loop.time())
        end = record.started + seconds

        async def worker(record: Record = record, end: float = end) -> None:
            while loop.time() < end:
                await one(client, s, rng, record, loop.time())

        await asyncio.gather(*(worker() for _ in range(connections)))
        rate = record.answered / (loop.time() - record.started)
        lat = [t.latency for t in record.timings]
        console.print(
            f"  closed loop, {connections} connection(s): {rate:6.0f} req/s, p50 {ms(lat, 50)}, p99 {ms(lat, 99)}, "
            f"errors {sum(record.errors.values())}{f' {dict(record.errors)}' if record.errors else ''}"
        )
        if rate > best:
            best, best_connections = rate, connections
        errors += sum(record.errors.values())
    return best, best_connections, errors


@dataclass
class Minute:
    index: int  # 1, 2, ...
    answered: int
    latencies: list[float]
    services: list[float]
    errors: int
    queued: int  # requests due but still waiting for a free connection at the minute's end
    rss: float  # the server's, in MiB, at the minute's end
    cpu: float  # the server's CPU seconds during the minute
    load: float  # the 1-minute load average at its end

    def line(self) -> str:
        per_request = self.cpu / self.answered * 1000 if self.answered else float("nan")
        return (
            f"  minute {self.index:2d}: {self.answered / 60:5.1f} req/s, p50 {ms(self.latencies, 50)}, "
            f"p99 {ms(self.latencies, 99)} (service p50 {ms(self.services, 50)}, p99 {ms(self.services, 99)}), "
            f"errors {self.errors}, queued {self.queued}, server RSS {self.rss:5.1f} MiB, "
            f"server CPU {self.cpu / 60:4.0%} ({per_request:.1f} ms a request), load {self.load:.2f}"
        )


@dataclass
class Paced:
    record: Record
    rss_start: float
    minutes: list[Minute]
    unsent: int  # requests still waiting for a connection when the time was up: the server had fallen behind


async def paced(
    client: httpx.AsyncClient,
    s: Seeded,
    rng: random.Random,
    server: Server,
    rate: float,
    seconds: float,
    connections: int,
) -> Paced:
    """Open loop: request n is due at start + n / rate, sent on one of `connections` connections when one is free.

    A minute's figures are those of the answers that came in it. When the time is up, the requests still waiting
    for a connection are not sent (they are counted), and those on the wire are waited for."""
    loop = asyncio.get_running_loop()
    pid = server.proc.pid
    rss_start, cpu_mark = tree_rss_mib(pid), tree_cpu_seconds(pid)
    record = Record(loop.time())
    free = asyncio.Semaphore(connections)
    tasks: set[asyncio.Task[None]] = set()
    waiting: set[asyncio.Task[None]] = set()  # started, and waiting for a free connection
    minutes: list[Minute] = []
    total = math.ceil(seconds / 60)

    async def send(due: float) -> None:
        task = asyncio.current_task()
        assert task is not None
        waiting.add(task)
        try:
            async with free:
                waiting.discard(task)
                await one(client, s, rng, record, due)
        finally:
            waiting.discard(task)

    def close_minute(queued: int) -> None:
        nonlocal cpu_mark
        index = len(minutes) + 1
        last = index == total
        timings = [t for t in record.timings if index - 1 <= t.at / 60 and (last or t.at / 60 < index)]
        cpu = tree_cpu_seconds(pid)
        minutes.append(
            Minute(
                index,
                len(timings),
                [t.latency for t in timings],
                [t.service for t in timings],
                sum(n for m, n in record.error_minutes.items() if m == index - 1 or (last and m >= index)),
                queued,
                tree_rss_mib(pid),
                cpu - cpu_mark,
                os.getloadavg()[0],
            )
        )
        cpu_mark = cpu
        console.print(minutes[-1].line(), soft_wrap=True)

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"), TimeRemainingColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    )  # fmt: skip
    with progress:
        bar = progress.add_task(f"soak at {rate:.0f} req/s", total=seconds, status="")
        n = 0
        while (due := record.started + n / rate) < record.started + seconds:
            if (delay := due - loop.time()) > 0:
                await asyncio.sleep(delay)
            sending = asyncio.create_task(send(due))
            tasks.add(sending)
            sending.add_done_callback(tasks.discard)
            n += 1
            elapsed = loop.time() - record.started
            if elapsed >= 60 * (len(minutes) + 1) and len(minutes) + 1 < total:
                close_minute(len(waiting))
            if n % 50 == 0:
                errors = sum(record.errors.values())
                status = f"{record.answered:,} answered, {errors} errors, {len(waiting)} queued"
                progress.update(bar, completed=elapsed, status=status)
        await asyncio.sleep(0)  # the requests just made take a free connection, if there is one
        unsent = len(waiting)
        for task in list(waiting):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    close_minute(unsent)
    return Paced(record, rss_start, minutes, unsent)


def ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p) * 1000:6.1f} ms"


def report(run: Paced, rate: float, seconds: float) -> bool:
    record, minutes = run.record, run.minutes
    sent = record.answered + sum(record.errors.values())
    console.print(
        f"\nsent {sent:,} requests in {seconds:.0f} s (asked {rate:.1f} req/s, got {sent / seconds:.1f}); "
        f"{record.answered:,} answered"
    )
    if run.unsent:
        console.print(
            f"[yellow]the server fell behind:[/yellow] {run.unsent:,} requests were still waiting for a connection "
            "when the time was up, and were not sent (see `queued` by minute)"
        )
    console.print("per operation: latency from when each request was due; service time from when it was sent")
    for name in NAMES:
        timings = record.by_op.get(name, [])
        lat, service = [t.latency for t in timings], [t.service for t in timings]
        statuses = ", ".join(f"{st} x{c:,}" for (op, st), c in sorted(record.statuses.items()) if op == name)
        console.print(
            f"  {name:>13}: {len(timings):7,}  p50 {ms(lat, 50)}  p99 {ms(lat, 99)}  "
            f"(service p50 {ms(service, 50)}, p99 {ms(service, 99)})  {statuses}"
        )
    refusals = ", ".join(f"{op} {st} x{c:,}" for (op, st), c in sorted(record.refusals.items()))
    console.print(f"expected refusals: {sum(record.refusals.values()):,} ({refusals})")
    errors = sum(record.errors.values())
    if errors:
        by_op = ", ".join(f"{op} {kind} x{c:,}" for (op, kind), c in sorted(record.error_ops.items()))
        console.print(f"[red]errors: {errors:,}[/red] by status: {dict(record.errors)} ({by_op})")
        for kind, sample in record.samples.items():
            console.print(f"  e.g. {kind}: {sample[:300]}", soft_wrap=True)
    else:
        console.print("errors: 0 (no unexpected status, no transport error)")
    first, end = minutes[0].rss, minutes[-1].rss
    drift = (end - first) / first * 100
    console.print(
        f"server RSS (process tree): start {run.rss_start:.1f} MiB, after 1 minute {first:.1f} MiB, end {end:.1f} MiB; "
        f"drift after the first minute {drift:+.1f} % (bar: within ±{DRIFT_BAR:g} %)"
    )
    met = errors == 0 and abs(drift) <= DRIFT_BAR
    console.print(f"bar (0 errors, RSS drift within ±{DRIFT_BAR:g} %): {'met' if met else '[red]missed[/red]'}")
    return met


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description="mixed traffic at 80 % of capacity for --minutes, errors and RSS")
    parser.add_argument("--minutes", type=float, default=10, help="the paced run (default 10)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL and Redis, 2 workers (default SQLite, 1)")
    parser.add_argument("--workers", type=int, help="server processes (default 1 on SQLite, 2 with --postgres)")
    parser.add_argument("--connections", type=int, default=8, help="the ramp's last step (default 8)")
    parser.add_argument("--load", type=float, default=0.8, help="the paced rate as a share of capacity (0.8)")
    parser.add_argument("--ramp-seconds", type=float, default=10, help="each step of the capacity ramp (10)")
    parser.add_argument("--rate", type=float, help="skip the ramp and send this many requests per second")
    parser.add_argument(
        "--backfill-step", type=int, default=10, help="seconds between a series' points (10); 0: all new points"
    )
    parser.add_argument("--seed", type=int, default=16, help="of the random mix (default 16)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (data dir and server logs)")
    parser.add_argument("--max-seconds", type=int, help="abort the whole run after this long (default: run + 15 min)")
    args = parser.parse_args()
    workers = args.workers or (2 if args.postgres else 1)
    seconds = args.minutes * 60
    command = shlex.join(["uv", "run", "python", "bench/soak.py", *sys.argv[1:]])

    install_deadline(args.max_seconds or int(seconds) + 900)
    work = Path(tempfile.mkdtemp(prefix="sensorgate-soak-"))
    logs = work / "logs"
    logs.mkdir()
    data_dir = work / "data"
    procs = Processes()
    services = contextlib.ExitStack()
    began = time.monotonic()
    with finishing(procs, work, keep=args.keep, cleanup=[services.close]) as outcome:
        load_start = os.getloadavg()[0]
        backend = f"PostgreSQL + Redis, {workers} worker(s)" if args.postgres else f"SQLite, {workers} worker(s)"
        console.print(
            f"soak: {os.cpu_count()} CPUs, load average {load_start:.2f}; {backend}; {args.minutes:g} minutes at "
            + (f"{args.rate:g} req/s" if args.rate else f"{args.load:.0%} of capacity")
            + f", at most {args.connections} connections",
            soft_wrap=True,
        )
        db_url, extra = None, {}
        if args.postgres:
            db_url = services.enter_context(postgres_cluster())
            extra["SENSORGATE_REDIS_URL"] = services.enter_context(redis_server())
        env = base_env(data_dir, **extra)
        port = free_port()
        argv = [str(BIN / "sensorgate"), "serve", "--demo", "--workers", str(workers), "--port", str(port)]
        server = procs.start("serve", [*argv, *(["--db", db_url] if db_url else [])], env, port, logs)
        wait_ready(server, timeout=180)
        seeded = seed(port, env, db_url)
        seeded.backfill_step = args.backfill_step
        console.print(
            f"seeded: the demo (20 sensors, 7 days of readings), an owner key, a read-only key, a limited key "
            f"and an OAuth client; server RSS {tree_rss_mib(server.proc.pid):.1f} MiB"
        )
        rng = random.Random(args.seed)

        async def soak() -> bool:
            limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=args.connections)
            timeout = httpx.Timeout(30, pool=None)
            async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", limits=limits, timeout=timeout) as client:
                if args.rate:
                    rate, connections = args.rate, args.connections
                else:
                    steps = [c for c in (1, 2, 4, 8, 16, 32) if c < args.connections] + [args.connections]
                    capacity, connections, errors = await ramp(client, seeded, rng, steps, args.ramp_seconds)
                    rate = capacity * args.load
                    console.print(
                        f"capacity {capacity:.0f} req/s with {connections} connection(s) ({errors} errors in the "
                        f"ramp); the soak runs at {args.load:.0%}: {rate:.0f} req/s on at most {connections}"
                    )
                run = await paced(client, seeded, rng, server, rate, seconds, connections)
            return report(run, rate, seconds)

        if not asyncio.run(soak()):
            outcome.code = 1
        # serve warns that several workers share one SQLite file: expected when asked for.
        report_end(logs, began, command, load_start=load_start, expected="take turns to write")
    return outcome.code


if __name__ == "__main__":
    sys.exit(main())
