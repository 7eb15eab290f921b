"""Ayyeka's error body, `{request_id, message}`. The status, the message and the headers (WWW-Authenticate,
Retry-After, the RateLimit ones) and the logging of a 500 are those of our own error handler: only the body is
Ayyeka's."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response

from sensorgate.dialects.ayyeka.shapes import AyyekaError
from sensorgate.kit.errors import ErrorBody
from sensorgate.web.error_handler import render_error


def ayyeka_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    ours = render_error(request, exc)
    if not isinstance(ours.content, ErrorBody):
        return ours  # a client that went away (499): nobody reads the answer
    headers = {k: v for k, v in ours.headers.items() if k.lower() != "content-type"}
    body = ours.content
    return Response(
        AyyekaError(request_id=body.request_id, message=body.message),
        status_code=ours.status_code,
        media_type=MediaType.JSON,
        headers=headers,
    )
