"""The base of every wire input struct: camelCase names, keyword fields, and unknown fields refused (a typo is
a 400 that names it, not a field silently ignored). And what is wrong with JSON that cannot be decoded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import msgspec

from sensorgate.kit.errors import BadRequest

T = TypeVar("T")
# Besides DecodeError, msgspec raises UnicodeDecodeError for invalid UTF-8 inside a string and RecursionError for
# nesting deeper than the interpreter's recursion limit (about 1,000 levels): both are the client's malformed JSON.
MALFORMED_JSON = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


class Input(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    # A whole body that works as it is: the OpenAPI document shows it, and Swagger UI fills "Try it out" with it
    # (kit.openapi.StrictStructSchemaPlugin). tests/web/test_openapi.py decodes each one.
    EXAMPLE: ClassVar[dict[str, Any] | None] = None


def json_fault(exc: Exception) -> str:
    """What is wrong with a body msgspec could not decode, in the client's terms."""
    if isinstance(exc, UnicodeDecodeError):
        return "a string is not valid UTF-8"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)


def decode_body(decode: Callable[[bytes], T], body: bytes) -> T:
    """A JSON body decoded into its struct, or a 400 that says why not."""
    try:
        return decode(body)
    except msgspec.ValidationError as exc:  # a DecodeError too: it must come first
        raise BadRequest(f"invalid request body: {exc}") from None
    except MALFORMED_JSON as exc:
        raise BadRequest(f"malformed JSON body: {json_fault(exc)}") from None
