"""What the OpenAPI document says that Litestar cannot read from a handler's signature.

- `errors(...)`: the error object (kit.errors.ErrorBody) for each status a route answers. Litestar would document
  a 400 in the shape of its own ValidationException, which we never send, and nothing else.
- `documents_body(Struct)`: the JSON body of a handler that reads its body itself (backfill, which takes CSV too;
  PATCH /v1/keys, which tells a fixed field from an unknown one).
- `with_content(...)`: media types beyond the one Litestar infers: CSV, forms.
- `operation_id`: every operationId is the handler's name in camelCase (`listSensors`).
- `StrictStructSchemaPlugin`: `additionalProperties: false` on the structs that refuse unknown fields, so that a
  client (and a fuzzer) knows an extra field is a 400, and an input struct's EXAMPLE body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

# Private, but the only way to add to what Litestar says of a struct; tests/web/test_openapi.py notices a change.
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, RequestBody, Schema
from litestar.types import Method
from litestar.typing import FieldDefinition

from sensorgate.kit.errors import ErrorBody

WHY: dict[int, str] = {
    400: "Malformed request: bad JSON, an unknown field, or a value out of range; `details` names each field.",
    401: "No credential, or one that is malformed, unknown, revoked or expired; `WWW-Authenticate` says which.",
    403: "The credential or role lacks the permission, the address is outside the key's allow list, or an unsafe "
    "request made with the session cookie lacks `X-CSRF-Token`.",
    404: "No such resource, or one that belongs to another tenant.",
    409: "The request conflicts with the current state.",
    413: "The body is larger than this endpoint's maximum (the message names it).",
    422: "The field cannot be changed; create a new key instead.",
    429: "A rate limit, quota or throttle is used up: retry after `Retry-After` seconds (see the `RateLimit` headers).",
    503: "The database is unavailable: retry after `Retry-After` seconds.",
}
# What the guard answers on any route it guards: no or a refused credential, a missing scope, a rate limit.
GUARDED = (401, 403, 429)

NOT_MODIFIED: dict[int, ResponseSpec] = {
    304: ResponseSpec(data_container=None, description="Not modified: `If-None-Match` holds the current `ETag`."),
}


def errors(*statuses: int, guarded: bool = True, why: Mapping[int, str] | None = None) -> dict[int, ResponseSpec]:
    """The error object under each status, plus those of every route: 503 while the database is down and, when
    `guarded`, the guard's 401, 403 and 429. `why` replaces the general description of a status."""
    codes = {*statuses, 503, *(GUARDED if guarded else ())}
    reasons = {**WHY, **(why or {})}
    return {
        code: ResponseSpec(data_container=ErrorBody, generate_examples=False, description=reasons[code])
        for code in sorted(codes)
    }


def operation_id(handler: HTTPRouteHandler, _method: Method, _path: list[str | Any]) -> str:
    first, *rest = handler.handler_name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def documents_body(struct: type[msgspec.Struct]) -> dict[str, Provide]:
    """A dependency that documents `struct` as the JSON body of a handler that reads its body itself.

    Litestar documents the `data` of a handler's dependencies as well as its own, and resolves only the
    dependencies a handler asks for. No handler asks for this one: it shows the body, with its component and
    constraints, and never runs.
    """

    def documented_body(data: Any) -> None:
        raise AssertionError("documents a body; never resolved")

    documented_body.__annotations__ = {"data": struct, "return": None}
    return {"documented_body": Provide(documented_body, sync_to_thread=False)}


def with_content(
    request: Mapping[str, OpenAPIMediaType] | None = None,
    responses: Mapping[int, Mapping[str, OpenAPIMediaType]] | None = None,
    *,
    optional_body: bool = False,
) -> type[Operation]:
    """An Operation with these request media types and these media types added to its responses; with
    `optional_body`, a request without a body is fine too (Litestar marks every body required)."""

    @dataclass
    class WithContent(Operation):
        def __post_init__(self) -> None:
            if optional_body and isinstance(self.request_body, RequestBody):
                self.request_body.required = False
            if request:
                if self.request_body is None or not isinstance(self.request_body, RequestBody):
                    self.request_body = RequestBody(content={}, required=True)
                self.request_body.content = {**self.request_body.content, **request}
            for status, media in (responses or {}).items():
                found = (self.responses or {}).get(str(status))
                if isinstance(found, OpenAPIResponse):
                    found.content = {**(found.content or {}), **media}

    return WithContent


def text(example: str, description: str) -> OpenAPIMediaType:
    """A plain-text media type (CSV) with one example."""
    return OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, description=description, examples=[example]))


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Litestar's struct schemas, with `additionalProperties: false` where the struct refuses unknown fields."""

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        struct = field_definition.type_
        if struct.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        if example := getattr(struct, "EXAMPLE", None):
            schema.examples = [example]
        return schema
