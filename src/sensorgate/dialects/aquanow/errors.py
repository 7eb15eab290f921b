"""Aquanow's error body: `{"message": "..."}`, which its clients read (`(await res.json()).message`).

The status, the message and the headers (Retry-After, the RateLimit ones, WWW-Authenticate) are our own error
handler's, and so is the logging of a 500: only the body is Aquanow's. The request id stays in X-Request-Id.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import MediaType, Request, Response

from sensorgate.kit.errors import ErrorBody
from sensorgate.web.error_handler import render_error


class Problem(msgspec.Struct):
    message: str


def aquanow_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    ours = render_error(request, exc)
    if not isinstance(ours.content, ErrorBody):
        return ours  # a client that went away (499): nobody reads the answer
    headers = {k: v for k, v in ours.headers.items() if k.lower() != "content-type"}
    return Response(
        Problem(ours.content.message), status_code=ours.status_code, media_type=MediaType.JSON, headers=headers
    )
