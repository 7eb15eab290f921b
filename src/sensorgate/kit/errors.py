"""One exception class per meaning, each carrying its HTTP status.

Services raise these; the handler in ``kit/error_handler.py`` renders every error, ours or the framework's,
as the error object of API.md.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import ClassVar


class ApiError(Exception):
    status: ClassVar[int] = 500

    def __init__(
        self,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: list[dict[str, object]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        self.details = details

    @property
    def error(self) -> str:
        return HTTPStatus(self.status).phrase


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401

    def __init__(self, message: str, *, error: str | None = None) -> None:
        # RFC 9110 requires a challenge on every 401; RFC 6750 names a bad bearer token `invalid_token`.
        challenge = 'Bearer realm="sensorgate"'
        if error:
            challenge += f', error="{error}", error_description="{message}"'
        super().__init__(message, headers={"WWW-Authenticate": challenge})


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class Unprocessable(ApiError):
    status = 422


class TooManyRequests(ApiError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(ApiError):
    status = 503
