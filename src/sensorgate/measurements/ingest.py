"""Backfill: validate a batch of points, then write it atomically with its rollups, latest values,
virtual series and alarms, in one transaction.

A batch is all or nothing: every bad item is reported by index and nothing is written.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
import sqlalchemy as sa

from sensorgate.alarms.evaluate import evaluate as evaluate_alarms
from sensorgate.auth.principal import Principal
from sensorgate.auth.scopes import Scope
from sensorgate.kit.errors import BadRequest, Forbidden
from sensorgate.kit.ids import MAX_ID, in_range
from sensorgate.kit.times import parse_time
from sensorgate.measurements import arrivals, store, virtual
from sensorgate.measurements.writer import write_points
from sensorgate.sensors import units

MAX_BATCH = 100_000
# Clocks drift; a point this far ahead of the server's clock is a mistake, not a reading.
FUTURE_ALLOWANCE_MS = 5 * 60 * 1000
_UNSET: Any = msgspec.UNSET


class PointIn(msgspec.Struct, forbid_unknown_fields=True):
    """Fields are loosely typed on purpose: each item is checked here, so a 400 can list every bad index."""

    sensor: Any = _UNSET
    metric: Any = _UNSET
    value: Any = _UNSET
    time: Any = None


class BatchIn(msgspec.Struct, forbid_unknown_fields=True):
    items: list[PointIn]


class IngestOut(msgspec.Struct):
    accepted: int
    replaced: int


@dataclass(slots=True)
class Problems:
    details: list[dict[str, object]] = field(default_factory=list)

    def add(self, index: int, name: str, message: str) -> None:
        self.details.append({"index": index, "field": name, "message": message})

    def raise_if_any(self, total: int) -> None:
        if self.details:
            self.details.sort(key=lambda d: d["index"])  # type: ignore[arg-type, return-value]
            bad = len({d["index"] for d in self.details})
            raise BadRequest(
                f"{bad} of {total} items are invalid; nothing was written. Each is listed in details.",
                details=self.details,
            )


@dataclass(frozen=True, slots=True)
class Target:
    series_id: int
    sensor_id: int
    to_canonical: Callable[[float], float] | None


def check_items(items: list[PointIn], now_ms: int) -> tuple[list[tuple[int, str, int, float]], Problems]:
    """Types, finiteness and times of every item: (sensor, metric, time ms, value) in item order."""
    problems = Problems()
    checked: list[tuple[int, str, int, float]] = []
    latest_allowed = now_ms + FUTURE_ALLOWANCE_MS
    for index, item in enumerate(items):
        sensor, metric, value, time = item.sensor, item.metric, item.value, item.time
        ok = True
        if type(sensor) is not int:
            problems.add(index, "sensor", "sensor must be an integer id")
            ok = False
        elif not in_range(sensor):
            problems.add(index, "sensor", f"sensor must be an id from 1 to {MAX_ID}")
            ok = False
        if type(metric) is not str:
            problems.add(index, "metric", "metric must be a string")
            ok = False
        elif not metric:
            # Caught here, since "" marks a bad item below: an empty metric would write nothing and say nothing.
            problems.add(index, "metric", "metric must not be empty")
            ok = False
        if type(value) not in (int, float):
            problems.add(index, "value", "value must be a number")
            ok = False
        elif not _finite(value):
            problems.add(index, "value", "value must be finite (no NaN or infinity)")
            ok = False
        t = _time_ms(time, now_ms)
        if isinstance(t, str):
            problems.add(index, "time", t)
            ok = False
        elif t > latest_allowed:
            problems.add(index, "time", "time is more than 5 minutes ahead of the server's clock")
            ok = False
        if ok:
            checked.append((sensor, metric, t, float(value)))  # type: ignore[arg-type]
        else:
            checked.append((0, "", 0, 0.0))
    return checked, problems


def _finite(number: int | float) -> bool:
    # A JSON integer may have hundreds of digits: past float's range isfinite raises rather than answer False.
    try:
        return math.isfinite(number)
    except OverflowError:
        return False


def _time_ms(time: Any, now_ms: int) -> int | str:
    """Epoch ms, or a message saying what is wrong."""
    if time is None:
        return now_ms
    if type(time) in (int, float):
        if not _finite(time) or time < 0 or time > 253_402_300_799:
            return "time in epoch seconds must lie between 1970 and 9999"
        return round(float(time) * 1000)
    if type(time) is str:
        try:
            return parse_time(time)
        except ValueError as exc:
            return str(exc)
    return "time must be an ISO 8601 string or epoch seconds"


def resolve_targets(
    conn: sa.Connection, principal: Principal, keys: set[tuple[int, str]]
) -> dict[tuple[int, str], Target]:
    """The writable, non-virtual series for (sensor, metric) pairs; another tenant's are simply absent."""
    if not keys:
        return {}
    rows = store.writable_series(conn, principal, {k[0] for k in keys})
    targets: dict[tuple[int, str], Target] = {}
    for row in rows:
        convert = None
        if row.input_unit != row.unit:
            convert = units.to_canonical(row.metric, row.input_unit)
        targets[(row.sensor_id, row.metric)] = Target(row.id, row.sensor_id, convert)
    return targets


def ingest(conn: sa.Connection, principal: Principal, items: list[PointIn], now_ms: int) -> IngestOut:
    if len(items) > MAX_BATCH:
        raise BadRequest(f"a batch holds at most {MAX_BATCH} items; this one has {len(items)}")
    if not items:
        raise BadRequest("items is empty")
    if not principal.organizations_with(Scope.DATA_WRITE):
        raise Forbidden("backfill needs the data:write permission")
    checked, problems = check_items(items, now_ms)
    keys = {(s, m) for s, m, _, _ in checked if m}
    targets = resolve_targets(conn, principal, keys)
    rows: dict[tuple[int, int], float] = {}
    seen_sensor: dict[int, int] = {}
    for index, (sensor, metric, t, value) in enumerate(checked):
        if not metric:
            continue
        target = targets.get((sensor, metric))
        if target is None:
            problems.add(index, "sensor", f"no writable sensor {sensor} with metric {metric!r}")
            continue
        rows[(target.series_id, t)] = target.to_canonical(value) if target.to_canonical else value
        if t > seen_sensor.get(sensor, -1):
            seen_sensor[sensor] = t
    problems.raise_if_any(len(items))
    arrival = arrivals.Arrival()
    new = write_points(conn, rows, arrival)
    computed = virtual.materialize(
        conn, {sid for sid, _ in rows}, min(t for _, t in rows), max(t for _, t in rows), arrival
    )
    evaluate_alarms(conn, {**rows, **computed})
    store.touch_last_seen(conn, seen_sensor)
    newest_virtual: dict[int, int] = {}
    for series_id, t in computed:
        newest_virtual[series_id] = max(t, newest_virtual.get(series_id, t))
    store.touch_last_seen_of_series(conn, newest_virtual)
    # Last: from here to the commit, other batches wait to seal (arrivals.py).
    arrivals.seal(conn, arrival)
    return IngestOut(accepted=len(items), replaced=len(items) - new)
