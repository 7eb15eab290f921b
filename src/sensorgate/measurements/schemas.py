"""Wire structs of the measurement endpoints.

Items are `gc=False`: they hold only numbers and strings, so the cycle collector need not track the
thousands a large answer makes (it was a third of an aggregate request's time).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec


class PointOut(msgspec.Struct, gc=False):
    sensor: int
    metric: str
    time: str
    value: float


class HistoryOut(msgspec.Struct):
    items: list[PointOut]
    next: str | None


class LatestItem(msgspec.Struct, gc=False):
    sensor: int
    metric: str
    unit: str
    time: str
    value: float
    novelty: str  # new, expiring (older than 3 intervals) or old (older than 6 intervals)


class LatestOut(msgspec.Struct):
    items: list[LatestItem]


class AggregateItem(msgspec.Struct, omit_defaults=True, gc=False):
    """Fields not asked for in `fn` are left out."""

    sensor: int
    metric: str
    start: str
    count: int | None = None
    min: float | None = None
    max: float | None = None
    avg: float | None = None
    sum: float | None = None


class AggregateOut(msgspec.Struct):
    items: list[AggregateItem]
    next: str | None = None


class BackfillPoint(msgspec.Struct, forbid_unknown_fields=True):
    """A point to write, as the OpenAPI document describes it. The route reads the body itself (it takes CSV
    too) and checks each item loosely typed (ingest.PointIn), so that a 400 lists every bad index."""

    sensor: Annotated[int, msgspec.Meta(ge=1, description="the sensor's id", examples=[1])]
    metric: Annotated[str, msgspec.Meta(description="one of the sensor's metrics", examples=["temperature"])]
    value: Annotated[float, msgspec.Meta(description="in the unit the sensor declares", examples=[21.5])]
    time: Annotated[
        str | float | None,
        msgspec.Meta(
            description="ISO 8601 or epoch seconds, at most 5 minutes ahead; now when left out",
            examples=["2026-11-02T10:15:00Z"],
        ),
    ] = None


class BackfillIn(msgspec.Struct, forbid_unknown_fields=True):
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "items": [
            {"sensor": 1, "metric": "temperature", "value": 21.5, "time": "2026-11-02T10:15:00Z"},
            {"sensor": 1, "metric": "humidity", "value": 48, "time": "2026-11-02T10:15:00Z"},
        ]
    }

    items: Annotated[list[BackfillPoint], msgspec.Meta(min_length=1, max_length=100_000)]
