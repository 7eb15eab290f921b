"""Wire structs of the sensor endpoints."""

from __future__ import annotations

from typing import Annotated

import msgspec

from sensorgate.kit.ids import Id
from sensorgate.kit.paging import Items, Page, named
from sensorgate.kit.validate import check_name
from sensorgate.kit.wire import Input

MAX_METRICS = 32
MAX_TAGS = 32
MAX_ASSETS = 16
MAX_INTERVAL = 7 * 24 * 3600

Interval = Annotated[int, msgspec.Meta(ge=1, le=MAX_INTERVAL, description="seconds between readings")]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
AssetName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
GroupName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
ShortText = Annotated[str, msgspec.Meta(max_length=100)]


class SeriesRef(Input):
    sensor: Id
    metric: str


class MetricIn(Input):
    metric: str
    unit: str | None = None
    # A virtual metric: an arithmetic expression over named inputs, e.g. "t - (100 - rh) / 5".
    expression: str | None = None
    inputs: dict[str, SeriesRef] | None = None

    def __post_init__(self) -> None:
        if (self.expression is None) != (self.inputs is None):
            raise ValueError(f"metric {self.metric!r}: a virtual metric needs both expression and inputs")


class SensorIn(Input):
    EXAMPLE = {
        "name": "Boiler room",
        "serial": "BR-0042",
        "interval": 300,
        "deviceGroup": "building-a",
        "assets": ["boiler"],
        "tags": ["basement"],
        "metrics": [{"metric": "temperature"}, {"metric": "humidity"}],
    }

    name: str
    metrics: Annotated[list[MetricIn], msgspec.Meta(min_length=1, max_length=MAX_METRICS)]
    workspace_id: Id | None = None
    serial: ShortText | None = None
    type: ShortText | None = None
    interval: Interval = 300
    device_group: GroupName | None = None
    assets: Annotated[list[AssetName], msgspec.Meta(max_length=MAX_ASSETS)] = msgspec.field(default_factory=list)
    tags: Annotated[list[Tag], msgspec.Meta(max_length=MAX_TAGS)] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        self.name = check_name(self.name)
        metric_names = [m.metric for m in self.metrics]
        if len(set(metric_names)) != len(metric_names):
            raise ValueError("each metric may appear once")


class SensorPatch(Input):
    """Fields left out stay as they are. `metrics` adds metrics; existing ones are kept."""

    EXAMPLE = {"name": "Boiler room (east)", "interval": 60}

    name: str | None = None
    serial: ShortText | None = None
    type: ShortText | None = None
    interval: Interval | None = None
    device_group: GroupName | None = None
    assets: Annotated[list[AssetName], msgspec.Meta(max_length=MAX_ASSETS)] | None = None
    tags: Annotated[list[Tag], msgspec.Meta(max_length=MAX_TAGS)] | None = None
    metrics: Annotated[list[MetricIn], msgspec.Meta(max_length=MAX_METRICS)] | None = None

    def __post_init__(self) -> None:
        if self.name is not None:
            self.name = check_name(self.name)


class DeviceGroupIn(Input):
    """A device group made before any sensor names it, e.g. to bind a key to it."""

    EXAMPLE = {"name": "building-a", "workspaceId": 1}

    name: GroupName
    workspace_id: Id | None = None

    def __post_init__(self) -> None:
        self.name = check_name(self.name)


class AssetIn(Input):
    """An asset made before any sensor names it."""

    EXAMPLE = {"name": "boiler", "workspaceId": 1}

    name: AssetName
    workspace_id: Id | None = None

    def __post_init__(self) -> None:
        self.name = check_name(self.name)


class SensorMetric(msgspec.Struct, rename="camel"):
    """A metric a sensor reports, in the unit it is stored in; `virtual` when an expression computes it."""

    metric: str
    unit: str
    virtual: bool


class SensorOut(msgspec.Struct, rename="camel"):
    id: int
    workspace_id: int
    name: str
    serial: str | None
    type: str | None
    interval: int
    device_group: str | None
    assets: list[str]
    tags: list[str]
    metrics: list[SensorMetric]
    last_seen: str | None


class DeviceGroupOut(msgspec.Struct, rename="camel"):
    id: int
    workspace_id: int
    name: str
    sensors: int


class AssetOut(msgspec.Struct, rename="camel"):
    id: int
    workspace_id: int
    name: str
    sensors: list[int]


class TagCount(msgspec.Struct, rename="camel"):
    workspace_id: int
    name: str
    sensors: int


SensorPage = Annotated[Page[SensorOut], named("SensorPage")]
DeviceGroupList = Annotated[Items[DeviceGroupOut], named("DeviceGroupList")]
AssetList = Annotated[Items[AssetOut], named("AssetList")]
