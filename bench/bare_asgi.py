"""A bare ASGI app answering a constant JSON body: the baseline for bench/foundation.py.

Run it under granian with the same settings as `sensorgate serve` (see sensorgate/cli/serve.py):

    python bench/bare_asgi.py --port 8001
"""

from __future__ import annotations

import argparse
from typing import Any

BODY = b'{"status":"ok"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


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
    # Drain the request body, as a real app would.
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    from granian import Granian
    from granian.constants import Interfaces

    # The same arguments as sensorgate.cli.serve, except the target.
    Granian(
        target="bare_asgi:app",
        interface=Interfaces.ASGI,
        address=args.host,
        port=args.port,
        workers=args.workers,
        log_access=False,
        respawn_failed_workers=True,
    ).serve()


if __name__ == "__main__":
    main()
