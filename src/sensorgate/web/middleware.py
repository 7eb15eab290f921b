"""The outermost layer of every HTTP request: request id and trace id, metrics, the access log, and the Allow
header of OPTIONS.

It wraps Litestar's routing step, so unknown routes (404) and wrong methods (405) are counted and logged too.
"""

from __future__ import annotations

import time
from typing import Any

import msgspec
from litestar.routes import HTTPRoute

from sensorgate.kit import metrics
from sensorgate.kit.context import (
    CREDENTIAL_KEY,
    POINTS_KEY,
    RATE_LIMIT_KEY,
    SCOPE_KEY,
    RequestContext,
    new_context,
)
from sensorgate.kit.proxies import Network, client_address
from sensorgate.kit.times import iso, utcnow
from sensorgate.usage.recorder import UsageRecorder
from sensorgate.web.access_log import AccessLog

ASGIApp = Any
_encoder = msgspec.json.Encoder()
UNMATCHED = "<unmatched>"


class RequestMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        access_log: AccessLog | None,
        usage: UsageRecorder | None = None,
        trusted_proxies: tuple[Network, ...] = (),
        allowed_methods: dict[str, bytes] | None = None,
    ) -> None:
        self.app = app
        self.access_log = access_log
        self.usage = usage
        self.trusted_proxies = trusted_proxies
        self.allowed_methods = allowed_methods or {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        client = scope.get("client")
        if self.trusted_proxies and client:
            # Everything after this (IP allowlists, login throttling, usage, the access log) sees the client.
            forwarded = [value for name, value in scope["headers"] if name == b"x-forwarded-for"]
            address = client_address(client[0], forwarded, self.trusted_proxies)
            if address != client[0]:
                scope["client"] = (address, 0)  # the client's port is not forwarded
        context = new_context(headers)
        scope[SCOPE_KEY] = context
        request_id_header = (b"x-request-id", context.request_id.encode())
        result = {"status": 500, "bytes": 0}

        async def receive_wrapper() -> dict[str, Any]:
            message: dict[str, Any] = await receive()
            if message["type"] == "http.disconnect":
                context.disconnected = True
            return message

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                result["status"] = message["status"]
                message["headers"] = [*message.get("headers", ()), request_id_header, *scope.get(RATE_LIMIT_KEY, ())]
                if scope["method"] == "OPTIONS":
                    self._allow_every_method(scope, message)
            elif message["type"] == "http.response.body":
                result["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            # The template, never the raw path, so ids in paths do not explode the label count.
            route = scope.get("path_template") or UNMATCHED
            metrics.observe(scope["method"], route, result["status"], elapsed)
            credential_id = scope.get(CREDENTIAL_KEY)
            if credential_id is not None and self.usage is not None:
                self.usage.finished(credential_id, result["status"], scope.get(POINTS_KEY, 0))
            if self.access_log is not None:
                self.access_log.write(_line(scope, headers, context, route, result, elapsed))

    def _allow_every_method(self, scope: dict[str, Any], message: dict[str, Any]) -> None:
        """Litestar 2 answers OPTIONS with the methods of the first handler registered on a path only (its issue
        4169, fixed in 3): Allow is set again from the whole route."""
        allow = self.allowed_methods.get(scope.get("path_template", ""))
        if allow is not None:
            kept = [(name, value) for name, value in message["headers"] if name.lower() != b"allow"]
            message["headers"] = [*kept, (b"allow", allow)]


def allowed_methods(routes: list[Any]) -> dict[str, bytes]:
    """Each path template's methods, as its OPTIONS answer's Allow header."""
    return {
        route.path_format: ", ".join(sorted(route.methods)).encode() for route in routes if isinstance(route, HTTPRoute)
    }


def _line(
    scope: dict[str, Any],
    headers: dict[bytes, bytes],
    context: RequestContext,
    route: str,
    result: dict[str, int],
    elapsed: float,
) -> str:
    client = scope.get("client")
    # Only the path: query strings and headers can carry credentials, so they are never logged.
    line = {
        "time": iso(utcnow()),
        "requestId": context.request_id,
        "traceId": context.trace_id,
        "method": scope["method"],
        "path": scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0] or scope["path"],
        "route": route,
        "status": result["status"],
        "bytes": result["bytes"],
        "ms": round(elapsed * 1000, 3),
        "ip": client[0] if client else None,
        "userAgent": headers.get(b"user-agent", b"").decode("latin-1")[:300],
        # Which credential, by id and kind (never its secret), why it was refused, and an error's errorId.
        "credentialId": context.credential_id,
        "credentialKind": context.credential_kind,
        "refusal": context.refusal,
        "errorId": context.error_id,
    }
    return _encoder.encode(line).decode()
