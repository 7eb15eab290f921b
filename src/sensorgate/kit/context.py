"""Per-request identity for logs and errors (the request id and the W3C trace id), and the ASGI scope keys
that carry per-request facts from one layer to another.

The ASGI middleware stores a RequestContext in the scope; the error handler and the access log read it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

SCOPE_KEY = "sensorgate.context"
# Where the guard leaves a request's rate-limit headers and the credential it let through, and a data route the
# number of points its answer holds: web/middleware.py reads all three once the response has gone out.
RATE_LIMIT_KEY = "sensorgate.rate_limit"
CREDENTIAL_KEY = "sensorgate.credential"
# Where the guard leaves the rate-limit verdict of a request it refuses, for a dialect's error handler.
RATE_VERDICT_KEY = "sensorgate.rate_verdict"
POINTS_KEY = "sensorgate.points"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
# W3C Trace Context: version-traceid-parentid-flags; all-zero ids are invalid.
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


@dataclass(slots=True)
class RequestContext:
    request_id: str
    trace_id: str
    route: str = ""
    disconnected: bool = False  # the client went away before its body was read whole
    # For the access log: the credential that made the request (or was refused), why it was refused, and the
    # errorId of an error answer. Never a secret.
    credential_id: int | None = None
    credential_kind: str | None = None
    refusal: str | None = None
    error_id: str | None = None


def new_context(headers: dict[bytes, bytes]) -> RequestContext:
    """Echo a well-formed X-Request-Id and continue an incoming trace, or start new ones.

    A malformed X-Request-Id is replaced rather than echoed, so nobody can inject text into our logs.
    """
    given = headers.get(b"x-request-id", b"").decode("latin-1")
    request_id = given if _REQUEST_ID.match(given) else secrets.token_hex(16)
    trace_id = ""
    match = _TRACEPARENT.match(headers.get(b"traceparent", b"").decode("latin-1").strip())
    if match and match.group(1) != "0" * 32 and match.group(2) != "0" * 16:
        trace_id = match.group(1)
    return RequestContext(request_id=request_id, trace_id=trace_id or secrets.token_hex(16))


def get_context(scope: Any) -> RequestContext:
    context = scope.get(SCOPE_KEY)
    if context is None:
        # A request that did not pass through the middleware (direct use of the Litestar app).
        context = RequestContext(request_id=secrets.token_hex(16), trace_id=secrets.token_hex(16))
        scope[SCOPE_KEY] = context
    return context  # type: ignore[no-any-return]
