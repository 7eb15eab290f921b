"""One handler renders every error, ours or the framework's, as the error object of docs/api.md."""

from __future__ import annotations

import logging
import secrets
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException

from sensorgate.kit.context import get_context
from sensorgate.kit.errors import ApiError, ErrorBody
from sensorgate.kit.times import iso, utcnow

log = logging.getLogger("sensorgate.errors")


# nginx's code for a request the client closed before the answer: nobody reads it, the access log does.
CLIENT_CLOSED = 499


def render_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    status, message, headers, details = _describe(request, exc)
    context = get_context(request.scope)
    if context.disconnected and status == 500:
        # Litestar reports a body cut short as a 500; it is the client's doing, and anyone could fill the error
        # log with it.
        log.info("client disconnected", extra={"requestId": context.request_id, "path": request.url.path})
        return Response(b"", status_code=CLIENT_CLOSED)
    error_id = context.error_id = secrets.token_hex(8)
    if status >= 500:
        # The traceback goes to our log under the errorId, never to the client.
        log.error(
            "request failed",
            exc_info=exc if status == 500 else None,
            extra={"errorId": error_id, "requestId": context.request_id, "path": request.url.path},
        )
    body = ErrorBody(
        timestamp=iso(utcnow()),
        path=request.url.path,
        status=status,
        error=exc.error if isinstance(exc, ApiError) else HTTPStatus(status).phrase,
        message=message,
        request_id=context.request_id,
        error_id=error_id,
        trace_id=context.trace_id,
        details=details,
        error_description=exc.error_description if isinstance(exc, ApiError) else None,
    )
    return Response(body, status_code=status, headers=headers, media_type=MediaType.JSON)


def _describe(
    request: Request[Any, Any, Any], exc: Exception
) -> tuple[int, str, dict[str, str], list[dict[str, object]] | None]:
    if isinstance(exc, ApiError):
        return exc.status, exc.message, exc.headers, exc.details
    if isinstance(exc, ValidationException):
        return 400, *_validation_message(request, exc)
    if isinstance(exc, HTTPException):
        return exc.status_code, _http_message(request, exc), dict(exc.headers or {}), None
    if isinstance(exc, sqlalchemy.exc.DataError) and "NUL" in str(exc.orig):
        # PostgreSQL's text cannot hold U+0000 (SQLite's can): the client sent it, so it is the client's 400.
        return 400, "text must not contain the NUL character (U+0000)", {}, None
    if isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError):
        # The database is down, restarting or locked: the client should retry, and we recover by ourselves.
        return 503, "the database is unavailable; retry shortly", {"Retry-After": "2"}, None
    return 500, "internal error; quote the errorId when you report it", {}, None


def _validation_message(
    request: Request[Any, Any, Any], exc: ValidationException
) -> tuple[str, dict[str, str], list[dict[str, object]]]:
    problems = exc.extra if isinstance(exc.extra, list) else []
    details: list[dict[str, object]] = []
    for problem in problems:
        if isinstance(problem, dict):
            key = problem.get("key")
            # Litestar names the whole body "data"; a field error names the field.
            field = None if key in (None, "data") else _wire_name(request, str(key))
            details.append({"field": field, "source": problem.get("source"), "message": str(problem.get("message"))})
    parts = [f"{d['message']}" + (f" (at {d['field']})" if d["field"] else "") for d in details]
    message = "invalid request: " + "; ".join(parts) if parts else "invalid request"
    return message, {}, details


def _wire_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name the client used: Litestar reports the Python parameter (`fmt`), not its alias (`format`)."""
    handler = request.scope.get("route_handler")
    parameter = getattr(getattr(handler, "parsed_fn_signature", None), "parameters", {}).get(key)
    definition = getattr(parameter, "kwarg_definition", None)
    alias = getattr(definition, "query", None) or getattr(definition, "name", None)
    return alias if isinstance(alias, str) else key


def _http_message(request: Request[Any, Any, Any], exc: HTTPException) -> str:
    status = exc.status_code
    if status == 404 and "route_handler" not in request.scope:
        return f"no such endpoint: {request.method} {request.url.path}; see /docs"
    if status == 405:
        allowed = (exc.headers or {}).get("allow", "")
        return f"{request.method} is not allowed on {request.url.path}" + (f"; allowed: {allowed}" if allowed else "")
    if status == 413:
        limit = getattr(request.scope.get("route_handler"), "request_max_body_size", None)
        limit = limit if isinstance(limit, int) else request.app.request_max_body_size
        return f"request body is larger than this endpoint's maximum of {limit} bytes"
    if status == 400 and isinstance(exc.__cause__, SerializationException):
        return f"malformed JSON body: {exc.__cause__}"
    detail = exc.detail or HTTPStatus(status).phrase
    return detail if isinstance(detail, str) else HTTPStatus(status).phrase
