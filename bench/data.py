"""Sensor-data benchmark: the five figures of the Speed section of issue 3, each in one run, on loopback.

1. history  GET /v1/measurements, a page of 100 points, requests/s (wrk) on `sensorgate serve` (1 worker,
            SQLite, a read-only API key) over bench/bare_history.py under granian with the same settings,
            which runs the same query with sqlite3 on the same file and encodes with orjson. Rounds alternate.
2. aggregate  latency through HTTP of GET /v1/measurements/aggregate?bucket=PT1H over a year of minute data
            (525,600 points, one series) over a plain sqlite3 GROUP BY of the raw points; requests alternate.
3. backfill points/s of POST /v1/measurements, points interleaved over 1,000 sensors in time order, over
            plain sqlite3 executemany of the same rows into an equivalent table in a fresh file (WAL,
            synchronous=NORMAL); every batch is sent to both, one after the other.
4. latest   GET /v1/measurements/latest for 100 sensors: p50/p90/p99 latency, wrk with one connection.
5. memory   VmRSS of the granian worker with ~10 million points stored (1,000 sensors x 7 days of minute data,
            loaded by the backfill figure), after serving history, aggregate and latest requests; also after a
            restart; and the database's size on disk.

    uv run python bench/data.py                     # full: ~5 minutes, 10 million points
    uv run python bench/data.py --quick             # ~1 minute, 1 million points
    uv run python bench/data.py --only history,aggregate

Needs `wrk` (apt-get install -y wrk) and uv (the bare app runs with `uv run --with orjson`).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import data_load as dl
from harness import (
    BIN,
    HERE,
    ROOT,
    BenchError,
    Processes,
    Server,
    base_env,
    console,
    finishing,
    free_port,
    install_deadline,
    report_end,
    run_checked,
    wait_ready,
    wrk,
)
from rich.table import Table

FIGURES = ("history", "aggregate", "backfill", "latest", "memory")
EMAIL, PASSWORD, ORG = "loader@example.com", "quartz-Lantern-47-ridge", "bench"
YEAR_MINUTES = 525_600
HISTORY_LIMIT = 100


@dataclass
class Run:
    work: Path
    logs: Path
    procs: Processes
    data_dir: Path = field(init=False)
    db: Path = field(init=False)
    server: Server | None = None
    session: dl.Session | None = None
    sensors: list[int] = field(default_factory=list)
    bulk_start: int = 0
    points: int = 0
    rows: list[list[str]] = field(default_factory=list)  # the final table
    notes: list[str] = field(default_factory=list)

    def ratio_row(self, label: str, ours: float, base: float, fmt: str, target: float, goal: float) -> None:
        """A figure with its ratio ours/base; a target below 1 wants more of ours, unless goal < target (less)."""
        ratio = ours / base
        more = goal > target
        met_target, met_goal = (ratio >= target, ratio >= goal) if more else (ratio <= target, ratio <= goal)
        verdict = "goal met" if met_goal else "target met" if met_target else "BELOW TARGET"
        want = f"{'>=' if more else '<='} {target:g} ({goal:g})"
        self.rows.append([label, fmt.format(ours), fmt.format(base), f"{ratio:.3f}", want, verdict])

    def __post_init__(self) -> None:
        self.data_dir = self.work / "data"
        self.db = self.data_dir / "sensorgate.db"

    def start_server(self) -> Server:
        port = free_port()
        argv = [str(BIN / "sensorgate"), "serve", "--port", str(port)]
        self.server = self.procs.start("sensorgate", argv, base_env(self.data_dir), port, self.logs)
        wait_ready(self.server)
        self.session = dl.Session(port)
        self.session.login(EMAIL, PASSWORD)
        return self.server

    def api(self) -> dl.Session:
        assert self.session is not None
        return self.session


def setup(run: Run) -> None:
    env = base_env(run.data_dir)
    run_checked([str(BIN / "sensorgate"), "db", "upgrade"], env)
    create = [str(BIN / "sensorgate"), "users", "create", "--email", EMAIL, "--org", ORG, "--role", "owner"]
    result = subprocess.run(
        [*create, "--password-stdin"], cwd=ROOT, env=env, input=PASSWORD.encode(), capture_output=True, check=False
    )
    if result.returncode != 0:
        raise BenchError(f"users create failed: {result.stderr.decode(errors='replace')}")
    run.start_server()


# ---------------------------------------------------------------- 3. backfill (and the data of 1, 4, 5)


def backfill(run: Run, sensors: int, minutes: int, batch: int, measure: bool) -> None:
    started = time.monotonic()
    run.sensors = dl.create_sensors(run.api(), sensors, "bulk")
    console.print(f"  created {sensors} sensors over HTTP in {time.monotonic() - started:.1f} s")
    run.bulk_start = (int(time.time() * 1000) // dl.DAY_MS) * dl.DAY_MS - minutes * dl.MINUTE_MS
    series = dl.series_ids(run.db, run.sensors)
    baseline = dl.Baseline(run.work / "baseline.db") if measure else None
    ours: list[tuple[int, float]] = []
    theirs: list[tuple[int, float]] = []
    # When measuring, every other batch carries ISO 8601 times instead of epoch seconds: the two variants
    # alternate over the same kind of rows, so their ratio is taken in one run (issue 19, speed 2).
    iso_batches: list[tuple[int, float]] = []
    epoch_batches: list[tuple[int, float]] = []
    total = 0
    began = time.monotonic()
    try:
        for index, pairs in enumerate(dl.batches(run.bulk_start, minutes, sensors, batch)):
            iso = measure and index % 2 == 1
            body = dl.backfill_body(pairs, run.sensors, run.bulk_start, iso=iso)
            t0 = time.perf_counter()
            dl.check_ingest(run.api().call("POST", "/v1/measurements", body), len(pairs))
            ours.append((len(pairs), time.perf_counter() - t0))
            (iso_batches if iso else epoch_batches).append(ours[-1])
            del body
            if baseline is not None:
                theirs.append((len(pairs), baseline.write(dl.baseline_rows(pairs, series, run.bulk_start))))
            total += len(pairs)
            if index % 10 == 9 or len(pairs) < batch:
                rate = sum(n for n, _ in ours[-10:]) / sum(s for _, s in ours[-10:])
                console.print(f"  backfill: {total:,} points, last batches {rate:,.0f} points/s over HTTP")
    finally:
        if baseline is not None:
            baseline.close()
    run.points += total
    wall = time.monotonic() - began
    ours_rate = total / sum(s for _, s in ours)
    run.notes.append(
        f"bulk load: {total:,} points ({sensors} sensors x {minutes} min) in {len(ours)} batches of {batch:,}, "
        f"{wall:.0f} s wall, {ours_rate:,.0f} points/s over HTTP"
    )
    if baseline is None:
        return
    # The figure against sqlite3 is the epoch-second batches', as it always was.
    epoch_pairs = [(o, t) for index, (o, t) in enumerate(zip(ours, theirs, strict=True)) if index % 2 == 0]
    epoch_rate = sum(n for (n, _), _ in epoch_pairs) / sum(s for (_, s), _ in epoch_pairs)
    theirs_rate = sum(n for _, (n, _) in epoch_pairs) / sum(s for _, (_, s) in epoch_pairs)
    per_batch = statistics.median([(n / s) / (n2 / s2) for (n, s), (n2, s2) in epoch_pairs])
    run.notes.append(
        f"backfill: {batch:,} points/request, JSON with epoch-second times; median ratio per batch {per_batch:.3f}"
    )
    run.ratio_row("backfill points/s", epoch_rate, theirs_rate, "{:,.0f}", 0.33, 0.5)
    if iso_batches:
        iso_rate = sum(n for n, _ in iso_batches) / sum(s for _, s in iso_batches)
        run.notes.append(
            f"backfill ISO: the odd batches ({len(iso_batches)}) carry ISO 8601 times (24 characters, with "
            f"milliseconds); the baseline is the even batches ({len(epoch_batches)}) with epoch seconds"
        )
        run.ratio_row("backfill ISO times / epoch seconds", iso_rate, epoch_rate, "{:,.0f}", 0.9, 0.95)


# ---------------------------------------------------------------- 1. history


def history(run: Run, rounds: int, duration: float, connections: int) -> None:
    sensor = run.sensors[0]
    start = run.bulk_start + 3_600_000
    path = (
        f"/v1/measurements?sensor={sensor}&metric=temperature&from={dl.iso(start)}&to={dl.iso(start + 6 * 3_600_000)}"
    )
    path += f"&limit={HISTORY_LIMIT}"
    port = free_port()
    argv = ["uv", "run", "--quiet", "--with", "orjson", "python", str(HERE / "bare_history.py")]
    bare = run.procs.start(
        "bare-history", [*argv, "--db", str(run.db), "--port", str(port)], base_env(run.data_dir), port, run.logs
    )
    wait_ready(bare, timeout=180)
    assert run.server is not None
    ours = json.loads(run.api().call("GET", path))
    theirs = json.loads(dl.Session(port).call("GET", path))
    if len(ours["items"]) != HISTORY_LIMIT or not ours["next"] or ours["items"] != theirs["items"]:
        raise BenchError(f"history answers differ or are short: {str(ours)[:300]} / {str(theirs)[:300]}")
    targets = [("bare", bare.port, []), ("sensorgate", run.server.port, [f"X-API-Key: {run.api().api_key}"])]
    for _, p, headers in targets:
        wrk(p, path, 2.0, connections, headers)
    results: dict[str, list[float]] = {"bare": [], "sensorgate": []}
    for rnd in range(rounds):
        for name, p, headers in targets:
            wrk(p, path, 1.0, connections, headers)
            res = wrk(p, path, duration, connections, headers)
            if res.non2xx or res.socket_errors:
                raise BenchError(f"{name}: {res.non2xx} non-2xx answers, socket errors {res.socket_errors}")
            results[name].append(res.rps)
        last = {name: f"{values[-1]:,.0f}" for name, values in results.items()}
        console.print(f"  history round {rnd + 1}: bare {last['bare']}, sensorgate {last['sensorgate']} req/s")
    run.procs.stop(bare)
    ours_rps, bare_rps = statistics.median(results["sensorgate"]), statistics.median(results["bare"])
    run.notes.append(
        f"history: wrk -t1 -c{connections}, median of {rounds} run(s) of {duration:g} s, rounds alternating"
    )
    run.ratio_row(f"history page of {HISTORY_LIMIT}, req/s", ours_rps, bare_rps, "{:,.0f}", 0.5, 0.7)


# ---------------------------------------------------------------- 2. aggregate


def aggregate(run: Run, repeats: int) -> None:
    sensor = dl.create_sensors(run.api(), 1, "year")[0]
    series = dl.series_ids(run.db, [sensor])[0]
    end = (int(time.time() * 1000) // dl.DAY_MS) * dl.DAY_MS
    start = end - YEAR_MINUTES * dl.MINUTE_MS
    began = time.monotonic()
    for pairs in dl.batches(start, YEAR_MINUTES, 1, 100_000):
        dl.check_ingest(
            run.api().call("POST", "/v1/measurements", dl.backfill_body(pairs, [sensor], start)), len(pairs)
        )
    load_s = time.monotonic() - began
    run.points += YEAR_MINUTES
    run.notes.append(f"year of minute data: {YEAR_MINUTES:,} points in {load_s:.1f} s over HTTP (100,000/batch)")
    window = f"from={dl.iso(start)}&to={dl.iso(end - 1)}"
    path = f"/v1/measurements/aggregate?sensor={sensor}&metric=temperature&{window}&bucket=PT1H"
    sql = (
        "SELECT (t - ?) / 3600000, count(*), min(value), max(value), sum(value) FROM points "
        "WHERE series_id = ? AND t >= ? AND t < ? GROUP BY 1"
    )
    plain = sqlite3.connect(f"file:{run.db}?mode=ro", uri=True)
    try:
        rows = plain.execute(sql, (start, series, start, end)).fetchall()
        items = json.loads(run.api().call("GET", path))["items"]
        if len(items) != len(rows) or sum(i["count"] for i in items) != YEAR_MINUTES:
            raise BenchError(f"aggregate: {len(items)} buckets, baseline {len(rows)}")
        if any(abs(i["sum"] - r[4]) > 1e-6 * abs(r[4]) or i["min"] != r[2] for i, r in zip(items, rows, strict=True)):
            raise BenchError("aggregate answers differ from the plain GROUP BY")
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(repeats + 2):  # the first two of each are warm-up
            ours.append(run.api().timed(path)[0])
            t0 = time.perf_counter()
            plain.execute(sql, (start, series, start, end)).fetchall()
            theirs.append(time.perf_counter() - t0)
    finally:
        plain.close()
    ours_ms, base_ms = statistics.median(ours[2:]) * 1000, statistics.median(theirs[2:]) * 1000
    fastest = min(ours[2:]) * 1000
    run.notes.append(
        f"aggregate: through HTTP (kept-alive connection), median of {repeats} alternating with sqlite3; "
        f"fastest {fastest:.1f} ms, slowest {max(ours[2:]) * 1000:.1f} ms; {len(items):,} buckets"
    )
    run.ratio_row("aggregate PT1H of 1 year, ms", ours_ms, base_ms, "{:.1f}", 0.1, 0.05)


# ---------------------------------------------------------------- 4. latest


def latest(run: Run, duration: float, rounds: int) -> None:
    assert run.server is not None
    path = "/v1/measurements/latest?sensor=" + ",".join(map(str, run.sensors[:100]))
    ours = json.loads(run.api().call("GET", path))["items"]
    if len(ours) != min(100, len(run.sensors)):
        raise BenchError("latest: not one item per sensor")
    port = free_port()
    argv = ["uv", "run", "--quiet", "--with", "orjson", "python", str(HERE / "bare_history.py")]
    bare = run.procs.start(
        "bare-latest", [*argv, "--db", str(run.db), "--port", str(port)], base_env(run.data_dir), port, run.logs
    )
    wait_ready(bare, timeout=180)
    theirs = json.loads(dl.Session(port).call("GET", path))["items"]
    if [(i["sensor"], i["time"], i["value"]) for i in ours] != [(i["sensor"], i["time"], i["value"]) for i in theirs]:
        raise BenchError(f"latest answers differ: {str(ours)[:300]} / {str(theirs)[:300]}")
    found: dict[str, list[dict[str, float]]] = {"sensorgate": [], "bare": []}
    for _ in range(rounds):  # alternating, each after its own warm-up (wrk_latency)
        found["sensorgate"].append(dl.wrk_latency(run.server.port, path, duration, [f"X-API-Key: {run.api().api_key}"]))
        found["bare"].append(dl.wrk_latency(port, path, duration, []))
    run.procs.stop(bare)
    ours_p50 = statistics.median(f["50"] for f in found["sensorgate"])
    bare_p50 = statistics.median(f["50"] for f in found["bare"])
    last = found["sensorgate"][-1]
    run.notes.append(
        f"latest: wrk -t1 -c1 --latency, {rounds} alternating round(s) of {duration:g} s, each after 2 s of "
        f"warm-up; median p50s; sensorgate's last p90 {last['90']:.2f}, p99 {last['99']:.2f} ms"
    )
    run.ratio_row("latest of 100 sensors, p50 ms", ours_p50, bare_p50, "{:.2f}", 1.3, 1.15)


# ---------------------------------------------------------------- 5. memory


def few_reads(run: Run) -> None:
    ids = ",".join(map(str, run.sensors[:100]))
    start = run.bulk_start
    for k in range(5):
        sensor = run.sensors[k * 7 % len(run.sensors)]
        window = f"from={dl.iso(start)}&to={dl.iso(start + dl.DAY_MS)}"
        run.api().call("GET", f"/v1/measurements?sensor={sensor}&metric=temperature&{window}&limit=1000")
        run.api().call("GET", f"/v1/measurements/aggregate?sensor={sensor}&metric=temperature&{window}&bucket=PT1H")
        run.api().call("GET", f"/v1/measurements/latest?sensor={ids}")


def memory(run: Run) -> None:
    assert run.server is not None
    few_reads(run)
    rss, hwm, main_rss = dl.worker_rss(run.server.proc.pid)
    run.procs.stop(run.server)
    run.api().close()
    server = run.start_server()
    few_reads(run)
    fresh, fresh_hwm, _ = dl.worker_rss(server.proc.pid)
    with sqlite3.connect(f"file:{run.db}?mode=ro", uri=True) as conn:
        stored = conn.execute("SELECT count(*) FROM points").fetchone()[0]
    size = sum(p.stat().st_size for p in run.data_dir.glob("sensorgate.db*")) / 2**20
    label = f"memory: worker RSS MiB, {stored / 1e6:.2f}M points"
    run.rows.append([label, f"{rss:.0f}", "-", "-", "report", f"peak {hwm:.0f}; restarted {fresh:.0f}"])
    run.notes.append(
        f"memory: VmRSS of the granian worker after serving the runs above and a few reads; after a restart "
        f"and a few reads {fresh:.0f} MiB (peak {fresh_hwm:.0f}); main process {main_rss:.0f} MiB; "
        f"database on disk {size:,.0f} MiB (with -wal and -shm), {stored:,} points"
    )


# ---------------------------------------------------------------- driver


def main() -> int:
    parser = argparse.ArgumentParser(description="sensorgate sensor-data benchmark (issue 3, Speed)")
    parser.add_argument("--quick", action="store_true", help="1M points, 1 round of 3 s, fewer repeats")
    parser.add_argument("--only", default=",".join(FIGURES), help=f"comma-separated subset of {','.join(FIGURES)}")
    parser.add_argument("--batch", type=int, default=100_000, help="backfill points per request (default 100,000)")
    parser.add_argument("--sensors", type=int, default=1000, help="sensors of the bulk data (default 1,000)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections for history (default 32)")
    parser.add_argument("--keep", action="store_true", help="keep the work dir (data dir and server logs)")
    parser.add_argument("--max-seconds", type=int, default=2700, help="abort the whole run after this long")
    args = parser.parse_args()
    only = [f.strip() for f in args.only.split(",") if f.strip()]
    if unknown := set(only) - set(FIGURES):
        parser.error(f"--only takes {', '.join(FIGURES)}; unknown: {', '.join(sorted(unknown))}")
    if shutil.which("wrk") is None or shutil.which("uv") is None:
        console.print("[red]wrk or uv is missing[/red]: apt-get install -y wrk; see https://docs.astral.sh/uv/")
        return 2

    # 7 days of minutes for 1,000 sensors: 10.08 million points. Without backfill or memory, a day is enough.
    minutes = 1000 if args.quick else 7 * 1440 if {"backfill", "memory"} & set(only) else 1440
    duration, rounds, repeats = (3.0, 1, 5) if args.quick else (10.0, 3, 15)
    command = shlex.join(["uv", "run", "python", "bench/data.py", *sys.argv[1:]])

    install_deadline(args.max_seconds)
    work = Path(tempfile.mkdtemp(prefix="sensorgate-data-bench-"))
    logs = work / "logs"
    logs.mkdir()
    run = Run(work, logs, Processes())
    began = time.monotonic()

    def close_session() -> None:
        if run.session is not None:
            run.session.close()

    with finishing(run.procs, work, keep=args.keep, cleanup=[close_session]) as outcome:
        console.print(
            f"sensorgate data benchmark ({'quick' if args.quick else 'full'}): {', '.join(only)}; {os.cpu_count()} CPUs"
        )
        load_start = os.getloadavg()[0]
        console.print(f"load average at start {load_start:.2f}")
        setup(run)
        if {"history", "backfill", "latest", "memory"} & set(only):
            backfill(run, args.sensors, minutes, args.batch, measure="backfill" in only)
        if "aggregate" in only:
            aggregate(run, repeats)
        if "history" in only:
            history(run, rounds, duration, args.connections)
        if "latest" in only:
            latest(run, duration, rounds)
        if "memory" in only:
            memory(run)
        run.procs.stop_all()
        table = Table(title="sensorgate data benchmark (issue 3, Speed)", title_justify="left")
        for column in ("figure", "sensorgate", "baseline", "ratio", "target (goal)", "verdict"):
            table.add_column(column, justify="left" if column == "figure" else "right")
        for row in sorted(run.rows, key=lambda r: FIGURES.index(r[0].split()[0].rstrip(":"))):
            table.add_row(*row)
        console.print()
        console.print(table)
        console.print(
            "baselines: history = bench/bare_history.py (granian, sqlite3, orjson, no auth); aggregate = plain "
            "sqlite3 GROUP BY over the raw points; backfill = sqlite3 executemany into a fresh WITHOUT ROWID table",
            soft_wrap=True,
        )
        for note in run.notes:
            console.print(note, soft_wrap=True)
        report_end(logs, began, command, load_start=load_start)
    return outcome.code


if __name__ == "__main__":
    sys.exit(main())
