"""Page-number paging for small, slow-changing lists (workspaces, members, sensors), and the `{items}` answer of
the lists that have none.

Time series use keyset cursors instead; see the measurements package.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec
from litestar.params import KwargDefinition, QueryParameter

T = TypeVar("T")
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50

# Litestar enforces QueryParameter bounds (a msgspec Meta on a query parameter is silently ignored).
PageNumber = Annotated[int, QueryParameter(ge=1, le=1_000_000, description="1-based page number")]
PageSize = Annotated[
    int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description=f"items per page, at most {MAX_PAGE_SIZE}")
]


class Page(msgspec.Struct, Generic[T], rename="camel"):
    items: list[T]
    page: int
    size: int
    total_items: int
    total_pages: int


class Items(msgspec.Struct, Generic[T]):
    """A list without paging: its first items up to the list's maximum (docs/api.md, Limits)."""

    items: list[T]


def named(component: str) -> KwargDefinition:
    """The OpenAPI component name of a generic answer: `Annotated[Page[SensorOut], named("SensorPage")]`, where
    Litestar would name it `Page_sensorgate.sensors.schemas.SensorOut_`."""
    return KwargDefinition(schema_component_key=component)


def make_page(items: list[T], page: int, size: int, total: int) -> Page[T]:
    return Page(items=items, page=page, size=size, total_items=total, total_pages=(total + size - 1) // size)
