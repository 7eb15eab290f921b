"""One exception class per meaning, each carrying its HTTP status.

Services raise these; the handler in web/error_handler.py renders every error, ours or the framework's,
as the error object of docs/api.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Annotated, ClassVar

import msgspec


class ApiError(Exception):
    status: ClassVar[int] = 500

    def __init__(
        self,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: list[dict[str, object]] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}
        self.details = details
        self.field = field  # the input it is about (a wire name), for a form to show it there; see `about`

    @property
    def error(self) -> str:
        return HTTPStatus(self.status).phrase

    @property
    def error_description(self) -> str | None:
        """Only OAuth errors repeat the message here, as RFC 6749 names it."""
        return None


@contextmanager
def about(field: str) -> Iterator[None]:
    """Errors raised inside are about this input field (a wire name, such as `expiresAt`), unless they name one
    already: the console shows each error next to its field, in the API's own words."""
    try:
        yield
    except ApiError as exc:
        exc.field = exc.field or field
        raise


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


class NotAcceptable(ApiError):
    status = 406


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


class OAuthError(ApiError):
    """An error of the OAuth endpoints (RFC 6749 §5.2, RFC 7009, RFC 7662).

    `error` is the RFC's code (invalid_request, invalid_scope, ...) rather than the status phrase, and the body
    repeats the message as `error_description`: one body that an OAuth library and our error object both read.
    """

    status = 400

    def __init__(self, code: str, message: str) -> None:
        # Token endpoint answers must never be cached (RFC 6749 §5.1), errors included.
        super().__init__(message, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
        self.code = code

    @property
    def error(self) -> str:
        return self.code

    @property
    def error_description(self) -> str | None:
        return self.message


class InvalidClient(OAuthError):
    """Client authentication failed: a 401 with a Basic challenge, as RFC 6749 §5.2 asks."""

    status = 401

    def __init__(self, message: str) -> None:
        super().__init__("invalid_client", message)
        self.headers["WWW-Authenticate"] = 'Basic realm="sensorgate"'


class ErrorBody(msgspec.Struct, rename="camel", omit_defaults=True):
    """The error object of docs/api.md, as every error is answered (and as the OpenAPI document describes it)."""

    timestamp: Annotated[str, msgspec.Meta(examples=["2026-11-02T10:15:00.000Z"])]
    path: Annotated[str, msgspec.Meta(examples=["/v1/sensors/7"])]
    status: Annotated[int, msgspec.Meta(examples=[404])]
    error: Annotated[
        str, msgspec.Meta(description="the HTTP status phrase, or an RFC 6749 code", examples=["Not Found"])
    ]
    message: Annotated[str, msgspec.Meta(examples=["sensor 7 not found"])]
    request_id: Annotated[str, msgspec.Meta(examples=["5f0c2a9e41d84b7c9a3e6d1f0b2c4e8a"])]
    error_id: Annotated[
        str, msgspec.Meta(description="quote it when you report an error", examples=["9b1de3f07a2c4d55"])
    ]
    trace_id: Annotated[str, msgspec.Meta(examples=["4bf92f3577b34da6a3ce929d0e0e4736"])]
    details: Annotated[
        list[dict[str, object]] | None,
        msgspec.Meta(
            description="validation errors: `{field, source, message}` for a field or query parameter, "
            "`{index, field, message}` for a backfill item",
            examples=[[{"field": "interval", "source": "body", "message": "Expected `int` >= 1"}]],
        ),
    ] = None
    # OAuth errors only: RFC 6749 §5.2 reads the message under this name.
    error_description: str | None = msgspec.field(default=None, name="error_description")
