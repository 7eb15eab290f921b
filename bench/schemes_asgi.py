"""The 100-point history page with each credential scheme, in-process: an API key (the baseline), a signed
request (v1, a fresh nonce each time, as a client must) and an OAuth2 access token (a JWT, reused until it
expires, as a client does).

The issue's target: the JWT and the signed request each reach 0.9 of the API key. The app is the real one
(`create_app`), started through its lifespan, called as an ASGI callable with the access log to /dev/null, on
demo data seeded by `sensorgate serve --demo`; time is this process's CPU time, so other work on the machine
does not count. The signed requests' headers are computed before the clock starts: only the server's work is
timed. Repeats of the variants alternate; ratios are of requests per second, best repeat (median next to it).

    uv run python bench/schemes_asgi.py     # ~40 s
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import keys_http
from harness import BIN, Processes, console
from keys_asgi import alternate, call, scope_for, start_lifespan

from sensorgate.credentials.signing import canonical


def sign(secret: str, message: bytes) -> str:
    """The client's X-Signature: hex HMAC-SHA384 of the canonical string."""
    return hmac.new(secret.encode(), message, hashlib.sha384).hexdigest()


def create_key(env: dict[str, str], kind: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(BIN / "sensorgate"), "keys", "create", "--workspace", "demo", "--name", kind, "--kind", kind, "--json"],
        env=env,
        capture_output=True,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


async def token_for(app: Any, client_id: str, secret: str) -> str:
    """POST /v1/oauth/token, in-process, with HTTP Basic."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    body = b"grant_type=client_credentials"
    scope = scope_for("/v1/oauth/token", [(b"authorization", f"Basic {basic}".encode())])
    scope["method"] = "POST"
    scope["headers"] += [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"29")]
    out: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        out.append(message.get("status") or message.get("body", b""))

    await app(scope, receive, send)
    answer = b"".join(part for part in out[1:] if isinstance(part, bytes))
    if out[0] != 200:
        raise SystemExit(f"token request: {out[0]} {answer!r}")
    return json.loads(answer)["access_token"]  # type: ignore[no-any-return]


def signed_scopes(path: str, public_id: str, secret: str, n: int, start: int) -> list[dict[str, Any]]:
    raw = path.partition("?")[0]
    scopes = []
    for i in range(n):
        nonce = str(start + i)
        headers = [
            (b"x-api-key", public_id.encode()),
            (b"x-nonce", nonce.encode()),
            (b"x-signature", sign(secret, canonical("GET", raw, nonce)).encode()),
        ]
        scopes.append(scope_for(path, headers))
    return scopes


async def measure(
    app: Any, path: str, demo: dict[str, str], signer: dict[str, Any], oauth: dict[str, Any], repeats: int
) -> None:
    inbox, lifespan = await start_lifespan(app)
    token = await token_for(app, oauth["publicId"], oauth["secret"])
    fixed = {
        "key": scope_for(path, [(b"x-api-key", demo["api_key"].encode())]),
        "jwt": scope_for(path, [(b"authorization", f"Bearer {token}".encode())]),
    }
    nonce = int(time.time() * 1000)
    first = None
    for name, scope in {
        **fixed,
        "signed": signed_scopes(path, signer["publicId"], signer["secret"], 1, nonce)[0],
    }.items():
        status, body = await call(app, scope)
        items = json.loads(body).get("items") if status == 200 else None
        if items is None or len(items) != keys_http.LIMIT or (first is not None and items != first):
            raise SystemExit(f"{name}: {status} {body[:200]!r}, not the {keys_http.LIMIT} items of the others")
        first = items
    nonces = itertools.count(nonce + 1)

    async def loop(scopes: list[dict[str, Any]]) -> float:
        started = time.process_time()
        for scope in scopes:
            await call(app, scope)
        return time.process_time() - started

    async def same(name: str, n: int) -> float:
        return await loop([fixed[name]] * n)

    async def signed(n: int) -> float:
        # Fresh nonces, made before the clock starts: only the server's work is timed.
        start = next(nonces)
        for _ in range(n):
            next(nonces)
        return await loop(signed_scopes(path, signer["publicId"], signer["secret"], n, start))

    variants = {"key": partial(same, "key"), "signed": signed, "jwt": partial(same, "jwt")}
    n, results = await alternate(variants, repeats)
    console.print(f"{repeats} alternating repeats of {n:,} requests per variant, in-process, CPU time")
    for name, values in results.items():
        console.print(
            f"{name:>7}: best {min(values):6.1f} us/request ({1e6 / min(values):,.0f} req/s), "
            f"median {statistics.median(values):6.1f}"
        )
    for name in ("signed", "jwt"):
        best = min(results["key"]) / min(results[name])
        mid = statistics.median(results["key"]) / statistics.median(results[name])
        console.print(f"ratio {name}/key (req/s) = {best:.3f} (best), {mid:.3f} (median); target >= 0.9")
    inbox.put_nowait({"type": "lifespan.shutdown"})
    await lifespan


def main() -> int:
    parser = argparse.ArgumentParser(description="API key vs signed request vs JWT, in-process ASGI calls")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sensorgate-schemes-"))
    procs = Processes()
    try:
        console.print(f"credential schemes, in-process: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
        seeded = keys_http.seeded_demo(work, procs)
        env, demo, path = seeded.env, seeded.demo, seeded.path
        signer, oauth = create_key(env, "signing_key"), create_key(env, "oauth_client")
        os.environ.update(env)
        from sensorgate.app import create_app
        from sensorgate.settings import load_settings

        with open(os.devnull, "w") as devnull:
            app = create_app(load_settings(), access_stream=devnull)
            asyncio.run(measure(app, path, demo, signer, oauth, args.repeats))
        console.print(f"load average at end {os.getloadavg()[0]:.2f}")
        return 0
    finally:
        procs.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
