"""API-key verification on a warm cache, in-process, next to a bare sha256-plus-dict lookup.

KeyVerifier.verify (sensorgate/credentials/verify.py) is the app's own instance (create_app on a fresh SQLite
database with the demo owner and its read-only key, made by seed_demo), called with that real key. Each repeat
starts with one untimed call, so the cache entry is fresh, and lasts well under the cache's 1 s lifetime, so
every timed call is a cache hit. The baseline is the floor any cached lookup pays: sha256 of the secret's bytes
and a dict lookup of the digest. Repeats of the two alternate; the ratio is of the best repeats (timeit's
convention: the least disturbed), with the ratio of the medians next to it.

To show where the time goes, the step before the cache lookup is timed alone: the HMAC-SHA256 of the secret
under the pepper (the verifier's KeyedHasher). keys.well_formed (prefix, alphabet and CRC32 checksum) is timed
too, though it now runs only on a cache miss, before the database is asked.

    uv run python bench/keys_verify.py            # ~20 s
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import inspect
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sensorgate.app import create_app
from sensorgate.db import migrate
from sensorgate.db.engine import Database, create_engine
from sensorgate.demo.owner import seed_demo
from sensorgate.kit import keys
from sensorgate.kit.crypto import KeyedHasher
from sensorgate.kit.times import utcnow
from sensorgate.settings import load_settings

ADDRESS = "127.0.0.1"
USER_AGENT = "wrk"
TARGET_SECONDS = 0.25  # per repeat: far below the 1 s cache lifetime


async def time_loop(body: Callable[[int], Awaitable[int]], calls: int) -> float:
    """ns per call of one repeat."""
    return await body(calls) / calls


def arguments(fn: Callable[..., object], known: dict[str, object]) -> dict[str, object]:
    """The keyword arguments fn takes, by name: the verifier's signature is still moving (user agent, usage)."""
    names = list(inspect.signature(fn).parameters)
    missing = [n for n in names if n not in known]
    if missing:
        raise SystemExit(f"{fn.__qualname__} takes {missing}, which this benchmark does not know how to fill")
    return {n: known[n] for n in names}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15, help="repeats of each loop (default 15)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sensorgate-keys-verify-"))
    try:
        env = {"SENSORGATE_MODE": "demo", "SENSORGATE_DATA_DIR": str(work), "SENSORGATE_ACCESS_LOG": "false"}
        settings = load_settings(env)
        engine = create_engine(settings.sqlalchemy_url)
        migrate.upgrade(engine)
        secret = seed_demo(Database(engine), settings).api_key
        engine.dispose()
        if secret is None:
            raise SystemExit("seed_demo made no key")
        app = create_app(settings, access_stream=sys.stderr)
        verifier = app.state.sensorgate.verifiers.api_keys
        usage = getattr(app.state.sensorgate, "usage", None)
        return asyncio.run(measure(verifier, usage, secret, settings.hash_pepper, args.repeats))
    finally:
        shutil.rmtree(work, ignore_errors=True)


async def measure(verifier: object, usage: object, secret: str, pepper: str, repeats: int) -> int:
    verify = verifier.verify  # type: ignore[attr-defined]
    now = utcnow()
    given = {"secret": secret, "address": ADDRESS, "ip": ADDRESS, "user_agent": USER_AGENT, "now": now}
    kwargs = arguments(verify, given)
    principal = await verify(**kwargs)  # the first call loads the key from the database
    secret_bytes = secret.encode()
    table = {hashlib.sha256(secret_bytes).digest(): principal}
    sha256 = hashlib.sha256

    async def verify_loop(n: int) -> int:
        await verify(**kwargs)  # untimed: the entry is fresh for the whole repeat
        started = time.perf_counter_ns()
        for _ in range(n):
            await verify(**kwargs)
        return time.perf_counter_ns() - started

    async def bare_loop(n: int) -> int:
        get = table.get
        started = time.perf_counter_ns()
        for _ in range(n):
            get(sha256(secret_bytes).digest())
        return time.perf_counter_ns() - started

    async def well_formed_loop(n: int) -> int:
        check = keys.well_formed
        started = time.perf_counter_ns()
        for _ in range(n):
            check(secret)
        return time.perf_counter_ns() - started

    hasher = KeyedHasher(pepper)

    async def keyed_hash_loop(n: int) -> int:
        started = time.perf_counter_ns()
        for _ in range(n):
            hasher(secret)
        return time.perf_counter_ns() - started

    loops = {
        "KeyVerifier.verify, warm": verify_loop,
        "sha256 + dict lookup": bare_loop,
        "  of verify: HMAC (KeyedHasher)": keyed_hash_loop,
        "  on a miss: keys.well_formed": well_formed_loop,
    }
    used = getattr(usage, "used", None)
    if used is not None:
        # The guard records every accepted key use (a dict update); shown apart, it is not verification.
        used_kwargs = arguments(used, {**given, "credential_id": principal.credential_id})

        async def used_loop(n: int) -> int:
            started = time.perf_counter_ns()
            for _ in range(n):
                used(**used_kwargs)
            return time.perf_counter_ns() - started

        loops["  after verify: usage.used"] = used_loop
    # Calibrate each loop to about TARGET_SECONDS per repeat.
    calls: dict[str, int] = {}
    for name, body in loops.items():
        n = 1000
        while (await body(n)) < TARGET_SECONDS * 1e9 / 10:
            n *= 2
        calls[name] = max(1000, int(n * TARGET_SECONDS * 1e9 / 10 / await body(n) * 10))
    results: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(repeats):
        for name, body in loops.items():
            results[name].append(await time_loop(body, calls[name]))

    print(
        f"API key verification in-process: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}; {repeats} alternating repeats of ~{TARGET_SECONDS:g} s each"
    )
    for name in loops:
        values = results[name]
        print(
            f"{name:<32} best {min(values):7.0f} ns/call, median {statistics.median(values):7.0f} ns/call "
            f"({calls[name]:,} calls per repeat)"
        )
    best_v, best_b = min(results["KeyVerifier.verify, warm"]), min(results["sha256 + dict lookup"])
    med_v = statistics.median(results["KeyVerifier.verify, warm"])
    med_b = statistics.median(results["sha256 + dict lookup"])
    print(
        f"ratio verify/bare = {best_v / best_b:.2f} (best), {med_v / med_b:.2f} (median); "
        f"verify - bare = {best_v - best_b:,.0f} ns per request"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
