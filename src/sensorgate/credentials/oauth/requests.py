"""Reading an OAuth request: the form body, the client's credentials and the requested scope.

Plain strings in, plain values or an OAuthError out: the routes hand over the body and the Authorization header,
and no HTTP object gets further.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

from sensorgate.kit.errors import InvalidClient, OAuthError

FORM = "application/x-www-form-urlencoded"
MAX_FIELDS = 16
MAX_SCOPE_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class Presented:
    """The client id and secret a request authenticates with."""

    client_id: str
    secret: str


def parse_form(body: bytes, content_type: str | None) -> dict[str, str]:
    """The parameters of a form body. A parameter given twice is an error (RFC 6749 §3.2), one given empty
    counts as absent."""
    if not body:
        return {}  # so that the answer names the missing parameter, not a content type
    if (content_type or "").split(";", 1)[0].strip().lower() != FORM:
        raise OAuthError("invalid_request", f"send the parameters as {FORM}")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", f"malformed form body (at most {MAX_FIELDS} parameters)") from None
    form: dict[str, str] = {}
    seen: set[str] = set()
    for name, value in pairs:
        if name in seen:
            raise OAuthError("invalid_request", f"{name} is given more than once")
        seen.add(name)
        if value:
            form[name] = value
    return form


def client_credentials(form: dict[str, str], authorization: str | None) -> Presented:
    """HTTP Basic (RFC 6749 §2.3.1) or client_id and client_secret in the body, never both."""
    basic = _basic(authorization)
    posted_id, posted_secret = form.get("client_id"), form.get("client_secret")
    if basic is not None:
        if posted_secret is not None:
            raise OAuthError(
                "invalid_request", "authenticate the client one way: HTTP Basic or client_secret in the body, not both"
            )
        if posted_id is not None and posted_id != basic.client_id:
            raise OAuthError("invalid_request", "client_id in the body differs from the one in the Basic credentials")
        return basic
    if posted_id is None or posted_secret is None:
        raise InvalidClient(
            "client authentication required: HTTP Basic with client_id:client_secret, or client_id and "
            "client_secret in the form body"
        )
    return Presented(posted_id, posted_secret)


def _basic(authorization: str | None) -> Presented | None:
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise InvalidClient("unsupported client authentication: use HTTP Basic or client_secret_post")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClient("malformed Basic credentials") from None
    user, colon, password = decoded.partition(":")
    if not colon:
        raise InvalidClient("malformed Basic credentials: expected client_id:client_secret")
    # RFC 6749 §2.3.1: each half is form-urlencoded before it goes into Basic.
    return Presented(unquote_plus(user), unquote_plus(password))


def required(form: dict[str, str], name: str) -> str:
    value = form.get(name)
    if value is None:
        raise OAuthError("invalid_request", f"{name} is required")
    return value


def check_grant_type(form: dict[str, str]) -> None:
    grant = required(form, "grant_type")
    if grant != "client_credentials":
        raise OAuthError("unsupported_grant_type", "this server issues tokens for grant_type=client_credentials only")


def granted_scopes(held: list[str], requested: str | None) -> list[str]:
    """The token's scopes: the client's own, or the subset it asks for (RFC 6749 §3.3)."""
    if requested is None:
        return sorted(held)
    if len(requested) > MAX_SCOPE_LENGTH:
        raise OAuthError("invalid_request", f"scope is longer than {MAX_SCOPE_LENGTH} characters")
    wanted = set(requested.split())
    beyond = sorted(wanted - set(held))
    if beyond:
        raise OAuthError(
            "invalid_scope", f"this client does not hold {' '.join(beyond)}; it holds {' '.join(sorted(held))}"
        )
    if not wanted:
        return sorted(held)
    return sorted(wanted)
