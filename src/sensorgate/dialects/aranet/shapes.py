"""The answers of Aranet's Cloud API, as msgspec structs: the field names and kinds of its OpenAPI 3.0.3
document (docs/dialects.md names it). Every id is a string there. Fields we have no value for are left out
rather than sent empty, as Aranet leaves them out."""

from __future__ import annotations

import msgspec


class Link(msgspec.Struct, omit_defaults=True):
    rel: str
    name: str
    href: str | None = None


Links = dict[str, list[Link]]


class Problem(msgspec.Struct):
    """One entry of `error`: an error, or on a 200 a warning. `id` is the request id, to quote."""

    message: str
    id: str


class Skill(msgspec.Struct):
    metric: str
    active: bool


class Sensor(msgspec.Struct, rename="camel", omit_defaults=True):
    id: str
    name: str
    sensor_id: str = ""  # the device's serial number
    type: str = ""
    skills: list[Skill] = msgspec.field(default_factory=list)
    tags: list[str] = msgspec.field(default_factory=list)
    bases: list[str] = msgspec.field(default_factory=list)


class Reading(msgspec.Struct, omit_defaults=True, gc=False):
    sensor: str
    metric: str
    unit: str
    time: str
    value: float
    novelty: str | None = None  # latest readings only: Aranet says it is meaningless in history


class SensorType(msgspec.Struct, rename="camel"):
    id: str
    name: str
    is_virtual: bool


class UnitInfo(msgspec.Struct, omit_defaults=True):
    id: str
    name: str
    precision: int
    default: bool = False
    selected: bool = False


class MetricInfo(msgspec.Struct, omit_defaults=True):
    id: str
    name: str
    kind: str
    units: list[UnitInfo]
    sensors: int = 0


class Association(msgspec.Struct):
    id: str
    sensor: str


class Point(msgspec.Struct):
    id: str
    name: str
    associations: list[Association]


class Asset(msgspec.Struct):
    id: str
    name: str
    tags: list[str]
    points: list[Point]


class Tag(msgspec.Struct):
    id: str
    name: str


class Alarm(msgspec.Struct, omit_defaults=True):
    id: str
    sensor: str
    metric: str
    rule: str
    severity: int
    alarmed: str
    unit: str
    worst: float
    threshold: str = ""
    value: float | None = None
    resolved: str | None = None
    note: str = ""


class Rule(msgspec.Struct, omit_defaults=True):
    id: str
    name: str
    metric: str
    notes: str = ""


class Sensors(msgspec.Struct, omit_defaults=True):
    sensors: list[Sensor]
    links: Links | None = None
    error: list[Problem] | None = None


class OneSensor(msgspec.Struct, omit_defaults=True):
    sensor: Sensor
    links: Links | None = None


class Readings(msgspec.Struct, omit_defaults=True):
    readings: list[Reading]
    links: Links | None = None
    next: str | None = None


class SensorTypes(msgspec.Struct, rename="camel"):
    sensor_types: list[SensorType]


class OneSensorType(msgspec.Struct, rename="camel"):
    sensor_type: SensorType


class Metrics(msgspec.Struct, omit_defaults=True):
    metrics: list[MetricInfo]
    links: Links | None = None


class OneMetric(msgspec.Struct):
    metric: MetricInfo


class OneUnit(msgspec.Struct):
    unit: UnitInfo


class Assets(msgspec.Struct):
    assets: list[Asset]


class OneAsset(msgspec.Struct):
    asset: Asset


class Tags(msgspec.Struct):
    tags: list[Tag]


class OneTag(msgspec.Struct):
    tag: Tag


class Alarms(msgspec.Struct, omit_defaults=True):
    alarms: list[Alarm]
    links: Links | None = None


class Rules(msgspec.Struct):
    rules: list[Rule]


class OneRule(msgspec.Struct):
    rule: Rule


class Bases(msgspec.Struct):
    """Always empty: sensorgate has no base stations, and `error` says so, as Aranet puts warnings there."""

    bases: list[dict[str, str]]
    error: list[Problem]
