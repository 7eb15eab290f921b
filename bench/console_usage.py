"""The console's usage page for 1,000 keys with 90 days of usage each, timed in-process with the owner's session
on the demo data, against `GET /v1/keys/usage` (the API's report of the same keys for today, as JSON, with the same
session) measured in the same run.

The demo is seeded by a stock `serve --demo`; then keys are made through the credentials service until the demo
organization holds 1,000 (the most the page counts), and each gets 90 days of uses (and some days of refusals, two
reasons, points and errors) written as the recorder writes them. The app is called as an ASGI callable
(bench/keys_asgi.py's harness): no granian, no socket. Time is this process's CPU time, so other work on the
machine does not count. Target: the usage page under 150 ms (issue 13).

    uv run python bench/console_usage.py            # ~1 min
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any

import keys_http
from harness import console
from keys_asgi import Headers, alternate, call, scope_for, start_lifespan, timed_calls

KEYS = 1000
DAYS = 90
TARGET_MS = 150.0


def make_keys(app: Any) -> tuple[list[int], int]:
    """Keys of the demo owner, through the service the API calls, until the organization holds KEYS: their ids,
    and one of them for the key page."""
    import sqlalchemy as sa

    from sensorgate.credentials import policy
    from sensorgate.credentials.models import credentials
    from sensorgate.credentials.schemas import KeyIn
    from sensorgate.credentials.service import Origin, create_key
    from sensorgate.demo.owner import owner_principal
    from sensorgate.kit.times import utcnow

    state = app.state.sensorgate
    db, settings = state.db, state.settings
    principal, _ = db.read_sync(owner_principal)
    db.write_sync(policy.change, principal, "demo", policy.PolicyPatch(max_active_keys_per_user=policy.MAX_ACTIVE_KEYS))
    origin = Origin(ip="127.0.0.1", user_agent="bench", now=utcnow(), pepper=settings.hash_pepper,
                    master_key=settings.master_key_bytes)  # fmt: skip
    existing = db.read_sync(lambda conn: list(conn.execute(sa.select(credentials.c.id).order_by("id")).scalars()))
    made = []
    for n in range(KEYS - len(existing)):
        body = KeyIn(name=f"integration {n}", scopes=["data:read"], expires_in="1m", workspaces=["demo"])
        made.append(db.write_sync(create_key, principal, body, origin).id)
    ids = [*existing, *made]
    return ids, made[len(made) // 2]


def add_days(app: Any, ids: list[int]) -> int:
    """DAYS of usage for every key, one UTC day per write; returns the rows of days written."""
    from sensorgate.usage import store
    from sensorgate.usage.recorder import Tally

    db = app.state.sensorgate.db
    today = datetime.now(UTC).date()
    epoch = date(1970, 1, 1)
    for back in range(DAYS):
        day = today - timedelta(days=back)
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()
        minute = int(noon // 60)
        taken, results = {}, {}
        for i, key in enumerate(ids):
            taken[(key, minute, "used")] = Tally(100 + (i * 7 + back * 13) % 900, noon, "192.0.2.1", "bench")
            if (i + back) % 10 == 0:
                taken[(key, minute, "limit")] = Tally(1 + i % 5, noon, "192.0.2.1", "bench")
            if (i + back) % 25 == 0:
                taken[(key, minute, "scope")] = Tally(2, noon, "192.0.2.1", "bench")
            results[(key, (day - epoch).days)] = [1000 + i, i % 3]
        db.write_sync(store.add_usage, taken, results)
    return DAYS * len(ids)


async def measure(app: Any, cookie: str, key_id: int, repeats: int) -> None:
    inbox, lifespan = await start_lifespan(app)
    session: Headers = [(b"cookie", f"sg_session={cookie}".encode())]
    pages = {
        "API GET /v1/keys/usage": "/v1/keys/usage",
        "usage, 30 days": "/orgs/demo/usage",
        "usage, 90 days": "/orgs/demo/usage?days=90",
        "key page, 30 days": f"/orgs/demo/keys/{key_id}",
    }
    scopes = {name: scope_for(path, session) for name, path in pages.items()}
    for name, scope in scopes.items():
        status, body = await call(app, scope)
        if status != 200:
            raise SystemExit(f"{name}: {status} {body[:300]!r}")
    shown = (await call(app, scopes["usage, 90 days"]))[1].decode()
    counted = re.search(r"([\d,]+) keys of", shown)
    console.print(f"the usage page counts {counted.group(1) if counted else '?'} keys over {DAYS} days")

    n, results = await alternate({name: timed_calls(app, scope) for name, scope in scopes.items()}, repeats)
    console.print(f"{repeats} alternating repeats of {n:,} requests per page, in-process, CPU time")
    base = statistics.median(results["API GET /v1/keys/usage"])
    worst = max(statistics.median(values) for name, values in results.items() if name.startswith("usage"))
    for name, values in results.items():
        best, mid = min(values), statistics.median(values)
        console.print(
            f"{name:>22}: median {mid / 1000:7.2f} ms/request (best {best / 1000:7.2f}); "
            f"ratio page/API = {mid / base:.2f}"
        )
    verdict = "met" if worst / 1000 < TARGET_MS else "MISSED"
    console.print(f"slowest usage page: {worst / 1000:.2f} ms (median); target < {TARGET_MS:.0f} ms: {verdict}")
    inbox.put_nowait({"type": "lifespan.shutdown"})
    await lifespan


def main() -> int:
    parser = argparse.ArgumentParser(description="the console's usage page for 1,000 keys vs the API's report")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with keys_http.in_process_demo("sensorgate-usage-", "usage page, in-process") as seeded:
        from sensorgate.app import create_app
        from sensorgate.settings import load_settings

        with open(os.devnull, "w") as devnull:
            app = create_app(load_settings(), access_stream=devnull)
            ids, key_id = make_keys(app)
            rows = add_days(app, ids)
            console.print(f"{len(ids):,} keys, {rows:,} key-days of usage")
            asyncio.run(measure(app, seeded.session, key_id, args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
