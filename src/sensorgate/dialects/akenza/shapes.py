"""Akenza's API shapes, as msgspec structs: the field names and kinds of Akenza's Java client
(akenza-io/akenza-java-client, the v3 domain objects) and public examples (akenza-io/akenza-examples).

Akenza's ids are strings, so ours are sent as strings. A field the Java client requires is always present (its
immutable objects refuse to build without it); one it allows to be null is left out when we have no value, as
Akenza's own answers leave it out.
"""

from __future__ import annotations

from typing import Annotated, Generic, Literal, TypeVar

import msgspec

from sensorgate.measurements.samples import MAX_SKIP

T = TypeVar("T")


# Spring Data pages -------------------------------------------------------------------------------------------


class Sort(msgspec.Struct):
    empty: bool = True
    sorted: bool = False
    unsorted: bool = True


class Pageable(msgspec.Struct, rename="camel"):
    sort: Sort
    offset: int
    page_number: int
    page_size: int
    paged: bool = True
    unpaged: bool = False


class SpringPage(msgspec.Struct, Generic[T], rename="camel"):
    """A Spring Data `Page`: `number` counts from 0, and clients loop until `last`."""

    content: list[T]
    pageable: Pageable
    total_pages: int
    total_elements: int
    last: bool
    number: int
    sort: Sort
    size: int
    number_of_elements: int
    first: bool
    empty: bool


# Devices and tags --------------------------------------------------------------------------------------------


class MinimalTag(msgspec.Struct, omit_defaults=True):
    """A tag as a device lists it."""

    id: str
    name: str
    description: str | None = None


class Tag(msgspec.Struct, rename="camel", omit_defaults=True):
    id: str
    name: str
    workspace_id: str
    tagged_devices: int
    description: str | None = None
    color: str | None = None


class Device(msgspec.Struct, rename="camel", omit_defaults=True):
    """An asset of type DEVICE. `deviceId` is the device's own id (our serial), `id` Akenza's (our sensor id)."""

    id: str
    name: str
    type: Literal["DEVICE"]
    workspace_id: str
    organization_id: str
    device_id: str
    connectivity: str
    online_timeout: int  # minutes without data before the device counts as offline
    data_flow_id: str
    online: bool
    tags: list[MinimalTag]
    custom_fields: list[dict[str, object]]
    properties: dict[str, object]
    description: str | None = None


# Data --------------------------------------------------------------------------------------------------------

Instant = Annotated[str, msgspec.Meta(max_length=40, description="ISO 8601, UTC")]


class TimestampFilter(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    gt: Instant | None = None
    gte: Instant | None = None
    lt: Instant | None = None
    lte: Instant | None = None


class DataQuery(msgspec.Struct, forbid_unknown_fields=True):
    topic: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "default"
    timestamp: TimestampFilter | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=8000)] = 8000
    skip: Annotated[int, msgspec.Meta(ge=0, le=MAX_SKIP)] = 0


class DeviceData(msgspec.Struct, rename="camel", gc=False):
    """One sample: every metric of the topic with a value at that instant."""

    akenza_device_id: str
    topic: str
    data: dict[str, float]
    timestamp: str
    date_stored: str


# Aggregations ------------------------------------------------------------------------------------------------

Accumulator = Literal["MIN", "MAX", "AVG", "SUM", "COUNT", "FIRST", "MATCHED_COUNT", "UNMATCHED_COUNT", "NONE"]


class Interval(msgspec.Struct, forbid_unknown_fields=True):
    from_: Instant = msgspec.field(name="from")
    to: Instant


class AggregationQuery(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    data_key: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    accumulator: Accumulator
    interval: Interval
    topic: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "default"
    bucket_interval: Annotated[str, msgspec.Meta(max_length=20)] = "PT1H"


class TimeSeriesResult(msgspec.Struct, rename="camel"):
    device_id: str
    topic: str
    data_key: str
    data_points: list[float | None]  # one per bucket, null where the bucket holds no data
    timestamps: list[str]  # each bucket's start


class KpiResult(msgspec.Struct, rename="camel"):
    device_id: str
    topic: str
    data_key: str
    kpi: float | None


# Backfill ----------------------------------------------------------------------------------------------------


class BackfillSample(msgspec.Struct, forbid_unknown_fields=False):
    """One sample of a bulk backfill: `data` as a device sends it, with its own time and topic. Other fields (a
    sample read back from /query carries akenzaDeviceId and dateStored) are ignored, so query answers can be
    posted back as they are."""

    data: dict[str, object]
    timestamp: str | int | None = None
    topic: str = "default"


class BackfillOut(msgspec.Struct):
    """How many samples and values were written. Akenza documents no answer body; this one says what happened."""

    samples: int
    values: int
    replaced: int
