"""Each console page, timed in-process with the owner's session on the demo data, against `GET /v1/keys` (the same
keys as JSON, with the same session) measured in the same run.

The demo is seeded by a stock `serve --demo`; then 50 more keys are made through the credentials service (an admin
with many integrations), about half of them used, so the key list has health to compute. The app is called as an
ASGI callable (bench/keys_asgi.py's harness): no granian, no socket. Time is this process's CPU time, so other work
on the machine does not count. Target: every page under 50 ms.

    uv run python bench/console_pages.py            # ~30 s
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
from typing import Any

import keys_http
from harness import console
from keys_asgi import Headers, alternate, call, scope_for, start_lifespan, timed_calls

EXTRA_KEYS = 50
TARGET_MS = 50.0


def make_keys(app: Any) -> tuple[int, list[str]]:
    """EXTRA_KEYS more keys for the demo owner, through the service the API calls: the last one's id, and half
    of the secrets, to use."""
    from sensorgate.credentials import policy
    from sensorgate.credentials.schemas import KeyIn
    from sensorgate.credentials.service import Origin, create_key
    from sensorgate.demo.owner import owner_principal
    from sensorgate.kit.times import utcnow

    state = app.state.sensorgate
    db, settings = state.db, state.settings
    principal, _ = db.read_sync(owner_principal)
    db.write_sync(policy.change, principal, "demo", policy.PolicyPatch(max_active_keys_per_user=1000))
    origin = Origin(ip="127.0.0.1", user_agent="bench", now=utcnow(), pepper=settings.hash_pepper,
                    master_key=settings.master_key_bytes)  # fmt: skip
    last, secrets = 0, []
    for n in range(EXTRA_KEYS):
        scopes = ["data:read", "usage:read"] if n % 2 else ["data:read"]
        body = KeyIn(name=f"integration {n}", scopes=scopes, expires_in="1m" if n % 3 else "7d", workspaces=["demo"])
        created = db.write_sync(create_key, principal, body, origin)
        last = created.id
        if n % 2:
            secrets.append(created.secret)
    return last, secrets


async def measure(app: Any, cookie: str, key_id: int, secrets: list[str], repeats: int) -> None:
    inbox, lifespan = await start_lifespan(app)
    for secret in secrets:  # used keys: a last use, a log with lines, and scopes used or not
        await call(app, scope_for("/v1/sensors", [(b"x-api-key", secret.encode())]))
    await app.state.sensorgate.usage.flush(app.state.sensorgate.db)
    session: Headers = [(b"cookie", f"sg_session={cookie}".encode())]
    pages = {
        "API GET /v1/keys": "/v1/keys",
        "overview": "/orgs/demo/",
        "keys": "/orgs/demo/keys",
        "keys, revoked too": "/orgs/demo/keys?revoked=1",
        "create form": "/orgs/demo/keys/new",
        "key page + log": f"/orgs/demo/keys/{key_id}",
        "members": "/orgs/demo/members",
        "settings": "/orgs/demo/settings",
    }
    scopes = {name: scope_for(path, session) for name, path in pages.items()}
    for name, scope in scopes.items():
        status, body = await call(app, scope)
        if status != 200:
            raise SystemExit(f"{name}: {status} {body[:300]!r}")
    listed = (await call(app, scopes["keys"]))[1].decode()
    rows = len(re.findall(r'href="/orgs/demo/keys/\d+"', listed))
    console.print(f"the key list shows {rows} keys")

    n, results = await alternate({name: timed_calls(app, scope) for name, scope in scopes.items()}, repeats)
    console.print(f"{repeats} alternating repeats of {n:,} requests per page, in-process, CPU time")
    base = statistics.median(results["API GET /v1/keys"])
    worst = max(statistics.median(values) for name, values in results.items() if not name.startswith("API"))
    for name, values in results.items():
        best, mid = min(values), statistics.median(values)
        console.print(
            f"{name:>20}: median {mid / 1000:6.2f} ms/request (best {best / 1000:6.2f}); "
            f"ratio page/API = {mid / base:.2f}"
        )
    verdict = "met" if worst / 1000 < TARGET_MS else "MISSED"
    console.print(f"slowest console page: {worst / 1000:.2f} ms (median); target < {TARGET_MS:.0f} ms: {verdict}")
    inbox.put_nowait({"type": "lifespan.shutdown"})
    await lifespan


def main() -> int:
    parser = argparse.ArgumentParser(description="console pages vs the API's key list, in-process")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with keys_http.in_process_demo("sensorgate-console-", "console pages, in-process") as seeded:
        from sensorgate.app import create_app
        from sensorgate.settings import load_settings

        with open(os.devnull, "w") as devnull:
            app = create_app(load_settings(), access_stream=devnull)
            key_id, secrets = make_keys(app)
            asyncio.run(measure(app, seeded.session, key_id, secrets, args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
