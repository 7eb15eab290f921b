"""Akenza's errors are our error object already (the same eight fields), so this handler only adds what its
clients read on a 429: X-RateLimit-Limit, -Remaining and -Reset, integers, from the verdict the guard reached.
No second limiter: the numbers are the ones the RateLimit headers of the same answer carry. `Reset` is seconds
until the limit is whole again, as the RateLimit header's `t`.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response

from sensorgate.auth.guard import Verdict
from sensorgate.kit.context import RATE_VERDICT_KEY
from sensorgate.web.error_handler import render_error


def akenza_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    response = render_error(request, exc)
    verdict: Verdict | None = request.scope.get(RATE_VERDICT_KEY)  # type: ignore[assignment]
    if response.status_code == 429 and verdict is not None:
        response.headers["X-RateLimit-Limit"] = str(verdict.limit)
        response.headers["X-RateLimit-Remaining"] = str(verdict.remaining)
        response.headers["X-RateLimit-Reset"] = str(verdict.reset)
    return response
