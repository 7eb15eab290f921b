"""Wire structs of the measurement endpoints.

Items are `gc=False`: they hold only numbers and strings, so the cycle collector need not track the
thousands a large answer makes (it was a third of an aggregate request's time).
"""

from __future__ import annotations

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
