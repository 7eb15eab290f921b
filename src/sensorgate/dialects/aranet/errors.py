"""Aranet's error shapes: 401 as plain text, every other error as `{"error": [{"message", "id"}]}`.

The status, the message, the headers (Retry-After, the RateLimit ones) and the logging of a 500 are those of our
own error handler: only the body is Aranet's.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import MediaType, Request, Response

from sensorgate.dialects.aranet.shapes import Problem
from sensorgate.kit.errors import ErrorBody
from sensorgate.web.error_handler import render_error


class Errors(msgspec.Struct):
    error: list[Problem]


def credential_given(request: Request[Any, Any, Any]) -> bool:
    headers = request.headers
    return bool(headers.get("apikey") or headers.get("x-api-key") or headers.get("authorization"))


def aranet_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    ours = render_error(request, exc)
    if not isinstance(ours.content, ErrorBody):
        return ours  # a client that went away (499): nobody reads the answer
    headers = {k: v for k, v in ours.headers.items() if k.lower() != "content-type"}
    if ours.status_code == 401:
        # Aranet's own words: a wrong key, or none at all.
        text = "Invalid ApiKey" if credential_given(request) else "Not Authorized"
        return Response(text, status_code=401, media_type=MediaType.TEXT, headers=headers)
    body = ours.content
    return Response(
        Errors([Problem(body.message, body.request_id)]),
        status_code=ours.status_code,
        media_type=MediaType.JSON,
        headers=headers,
    )
