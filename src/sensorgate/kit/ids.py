"""One range for every id a client sends, in a path, a query or a body: 1 to 2,147,483,647.

Every id column is an `integer`: 32 bits on PostgreSQL (SQLite's hold 64). A larger id names no row on either
database, and past 2^63 the SQLite driver cannot even bind it, so an id outside the range is a 400 that names
the field, checked before any query runs.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import PathParameter

MAX_ID = 2**31 - 1
OUT_OF_RANGE = f"ids are 1 to {MAX_ID}"

# In a wire struct: msgspec refuses the value, naming the field.
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
# As a path parameter: Litestar checks it and documents the range in the OpenAPI document.
PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


def in_range(value: int) -> bool:
    return 1 <= value <= MAX_ID
