"""The base of every wire input struct: camelCase names, keyword fields, and unknown fields refused (a typo is
a 400 that names it, not a field silently ignored)."""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec


class Input(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    # A whole body that works as it is: the OpenAPI document shows it, and Swagger UI fills "Try it out" with it
    # (kit.openapi.StrictStructSchemaPlugin). tests/web/test_openapi.py decodes each one.
    EXAMPLE: ClassVar[dict[str, Any] | None] = None
