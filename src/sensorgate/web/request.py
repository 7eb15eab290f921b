"""The request class of the app: Litestar's, with JSON that fails for the client's fault answered as a 400."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException

from sensorgate.kit.wire import json_fault


class ApiRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        # Litestar turns msgspec's DecodeError into a 400, but not the UnicodeDecodeError of invalid UTF-8 in a
        # string or the RecursionError of deep nesting, which would be 500s; a SerializationException is its 400.
        try:
            return await super().json()
        except (UnicodeDecodeError, RecursionError) as exc:
            raise SerializationException(json_fault(exc)) from exc
