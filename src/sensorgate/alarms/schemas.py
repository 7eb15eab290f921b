"""Wire structs of the alarm endpoints."""

from __future__ import annotations

import math
from typing import Annotated, Literal

import msgspec

from sensorgate.kit.ids import Id
from sensorgate.kit.paging import Items, named
from sensorgate.kit.validate import check_name
from sensorgate.kit.wire import Input


class RuleIn(Input):
    """A rule on one metric. Thresholds are in the metric's canonical unit (GET /v1/metrics)."""

    EXAMPLE = {"name": "Boiler too hot", "metric": "temperature", "condition": "above", "threshold": 80,
               "holdSeconds": 300, "severity": "critical", "sensor": 1}  # fmt: skip

    name: str
    metric: str
    condition: Literal["above", "below", "outside"]
    threshold: float | None = None
    low: float | None = None
    high: float | None = None
    hold_seconds: Annotated[int, msgspec.Meta(ge=0, le=7 * 24 * 3600)] = 0
    severity: Literal["info", "warning", "critical"] = "warning"
    # What it watches: one sensor, one device group (by name), or, with neither, the whole workspace.
    sensor: Id | None = None
    device_group: str | None = None
    workspace_id: Id | None = None

    def __post_init__(self) -> None:
        self.name = check_name(self.name)
        numbers = [v for v in (self.threshold, self.low, self.high) if v is not None]
        if not all(math.isfinite(v) for v in numbers):
            raise ValueError("thresholds must be finite numbers")
        if self.condition == "outside":
            if self.low is None or self.high is None or self.threshold is not None:
                raise ValueError("an 'outside' rule takes low and high (and no threshold)")
            if self.low >= self.high:
                raise ValueError("low must be below high")
        elif self.threshold is None or self.low is not None or self.high is not None:
            raise ValueError(f"an {self.condition!r} rule takes threshold (and no low or high)")
        if self.sensor is not None and self.device_group is not None:
            raise ValueError("a rule watches a sensor or a device group, not both")


class RuleOut(msgspec.Struct, rename="camel"):
    id: int
    workspace_id: int
    name: str
    metric: str
    condition: str
    threshold: float | None
    low: float | None
    high: float | None
    hold_seconds: int
    severity: str
    sensor: int | None
    device_group: str | None


class AlarmOut(msgspec.Struct, rename="camel"):
    id: int
    rule: int
    rule_name: str
    severity: str
    sensor: int
    metric: str
    value: float
    raised_at: str
    resolved_at: str | None


RuleList = Annotated[Items[RuleOut], named("RuleList")]
AlarmList = Annotated[Items[AlarmOut], named("AlarmList")]
