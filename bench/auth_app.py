"""The real app, with one bench-only change: a request that carries no credential is served as the owner.

bench/keys_http.py uses it to compare, in one process, the same request made with an API key, with a console
session and with authentication off. Requests with an X-API-Key header or a cookie go through the real
guard (sensorgate.auth.guard.Guard.principal), unchanged; a request with neither gets a constant
Principal, resolved once at start-up from the session token in SENSORGATE_BENCH_SESSION, so it is exactly the
principal the session variant gets, minus the lookup. All three variants pay the same two header lookups.

Run it under granian with the same settings as `sensorgate serve` (see sensorgate/cli/serve.py):

    SENSORGATE_BENCH_SESSION=<sg_session cookie> python bench/auth_app.py --port 8002
"""

from __future__ import annotations

import argparse
import os
from typing import Any, TextIO

from litestar import Litestar, Request

import sensorgate.app
from sensorgate.accounts.sessions import resolve_session
from sensorgate.auth.guard import Guard
from sensorgate.auth.principal import Principal
from sensorgate.kit.times import utcnow
from sensorgate.settings import load_settings

_owner: Principal | None = None
_real_principal = Guard.principal


async def bench_principal(self: Guard, request: Request[Any, Any, Any]) -> Principal:
    headers = request.headers
    if _owner is not None and "x-api-key" not in headers and "cookie" not in headers:
        return _owner
    return await _real_principal(self, request)


def app_factory(access_stream: TextIO | None = None) -> Litestar:
    """What granian's workers call (with no argument); bench/keys_asgi.py passes where the access log goes."""
    global _owner
    # create_app registers the guard's bound `principal` as the dependency, so the class's method is what it takes.
    Guard.principal = bench_principal  # type: ignore[method-assign]
    settings = load_settings()
    app = sensorgate.app.create_app(settings, access_stream=access_stream)
    token = os.environ.get("SENSORGATE_BENCH_SESSION")
    if token:
        resolved = app.state.sensorgate.db.read_sync(resolve_session, settings.hash_pepper, token, utcnow())
        if resolved is None:
            raise RuntimeError("SENSORGATE_BENCH_SESSION is not a live session")
        _owner = resolved.principal
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    from granian import Granian
    from granian.constants import Interfaces

    # The same arguments as sensorgate.cli.serve, except the target.
    Granian(
        target="auth_app:app_factory",
        factory=True,
        interface=Interfaces.ASGI,
        address=args.host,
        port=args.port,
        workers=args.workers,
        log_access=False,
        respawn_failed_workers=True,
    ).serve()


if __name__ == "__main__":
    main()
