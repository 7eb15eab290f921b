"""Seeding the demo workspace with sensors and their recent readings.

prepare() creates the demo sensors that are missing, through the sensors service as the demo owner, and works
out which readings each one lacks; write() then sends those readings through ingest, the path backfill takes,
in transactions of about CHUNK_POINTS points, so rollups, latest values, the virtual dew point series,
alarms and last-seen times are all kept as they would be for real data.

Readings lie on a grid of the interval (epoch multiples), the newest one at or just before now. A sensor that
already holds points gets only the readings before its first and after its last point within the window;
points already there are kept as they are.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from sensorgate.auth.principal import Principal
from sensorgate.db.bulk import fetchall
from sensorgate.db.engine import Database
from sensorgate.demo.catalog import (
    VIRTUAL_EXPRESSION,
    VIRTUAL_METRIC,
    VIRTUAL_SERIAL,
    DemoSensor,
    demo_sensors,
    metrics_per_reading,
)
from sensorgate.demo.owner import owner_principal
from sensorgate.demo.signals import DAY_MS, Outages, Signal, seed_of
from sensorgate.kit.times import utcnow
from sensorgate.measurements.ingest import PointIn, ingest
from sensorgate.sensors import service, store
from sensorgate.sensors.schemas import MetricIn, SensorIn, SeriesRef

# Points per transaction: large enough to amortize each commit, small enough to keep memory and locks short.
CHUNK_POINTS = 50_000


def requested_points(sensors: int, days: int, interval: int) -> int:
    """The points a seed of this size writes into an empty workspace, outages aside."""
    return slots(days, interval) * metrics_per_reading(sensors)


def slots(days: int, interval: int) -> int:
    return days * 86_400 // interval


@dataclass(slots=True)
class Target:
    """One demo sensor that needs readings: its series and the grid times to fill, as inclusive ranges."""

    sensor: DemoSensor
    sensor_id: int
    signals: list[tuple[str, Signal]]
    outages: Outages
    ranges: list[tuple[int, int]]
    feeds_virtual: bool = False

    def readings(self, step: int, low: int, high: int) -> list[int]:
        """Grid times in [low, high] to write, outages left out."""
        times: list[int] = []
        for first, last in self.ranges:
            start, stop = max(first, low), min(last, high)
            times.extend(t for t in range(start, stop + 1, step) if not self.outages.offline(t))
        return times

    def count(self, step: int) -> int:
        """How many readings readings() gives over all ranges, computed without walking them."""
        total = 0
        for first, last in self.ranges:
            total += _on_grid(first, last, step)
            for day in range(first // DAY_MS, last // DAY_MS + 1):
                window = self.outages.window(day)
                if window is not None:
                    total -= _on_grid(max(window[0], first), min(window[1] - 1, last), step)
        return total


def _on_grid(low: int, high: int, step: int) -> int:
    """Multiples of step in [low, high]."""
    return max(0, high // step - -(-low // step) + 1)


@dataclass(slots=True)
class Plan:
    principal: Principal
    workspace_id: int
    step: int  # ms between readings
    start: int  # the oldest grid time of the window (epoch ms)
    end: int  # the newest
    targets: list[Target]
    created: int  # sensors created, the dew point sensor included
    kept: int  # demo sensors that were there already
    points: int  # points to write, dew points included
    sensor_ids: list[int] = field(default_factory=list)  # the demo sensors in catalogue order, dew point last
    skipped: bool = False  # the workspace held sensors and the caller asked to seed only an empty one


@dataclass(frozen=True, slots=True)
class Written:
    points: int
    seconds: float


def prepare(db: Database, count: int, days: int, interval: int, *, only_if_empty: bool = False) -> Plan:
    """Create the missing demo sensors and plan their readings. The demo owner must exist (seed_demo)."""
    principal, workspace_id = db.read_sync(owner_principal)
    step = interval * 1000
    now = time.time_ns() // 1_000_000
    end = now - now % step
    start = end - (slots(days, interval) - 1) * step
    plan = Plan(principal, workspace_id, step, start, end, [], created=0, kept=0, points=0)
    if only_if_empty:
        existing = db.read_sync(_sensor_ids, workspace_id)
        if existing:
            plan.sensor_ids, plan.skipped = existing, True
            return plan
    specs = demo_sensors(count)
    ids, plan.created = db.write_sync(_create_missing, principal, workspace_id, specs, interval)
    plan.kept = count + 1 - plan.created
    series = db.read_sync(lambda conn: store.series_of(conn, [ids[s.serial] for s in specs]))
    real = {sensor_id: [s for s in rows if s.expression is None] for sensor_id, rows in series.items()}
    spans = db.read_sync(_spans, {sensor_id: [s.id for s in rows] for sensor_id, rows in real.items()})
    for spec in specs:
        sensor_id = ids[spec.serial]
        metrics = {s.metric for s in real.get(sensor_id, [])}
        signals = [(p.metric, Signal(p, seed_of(spec.seed, p.metric))) for p in spec.profiles if p.metric in metrics]
        ranges = _missing(start, end, step, spans.get(sensor_id))
        if signals and ranges:
            outages = Outages(seed_of(spec.seed, "outages"), end)
            plan.targets.append(Target(spec, sensor_id, signals, outages, ranges, feeds_virtual=spec.index == 0))
    plan.sensor_ids = [*(ids[s.serial] for s in specs), ids[VIRTUAL_SERIAL]]
    plan.points = sum(t.count(step) * (len(t.signals) + t.feeds_virtual) for t in plan.targets)
    return plan


def write(db: Database, plan: Plan, advance: Callable[[int], None] = lambda _: None) -> Written:
    """Write the planned readings in time slices across all sensors, so each transaction is a full chunk."""
    began = time.perf_counter()
    per_time = sum(len(t.signals) for t in plan.targets) or 1
    width = max(1, CHUNK_POINTS // per_time) * plan.step
    items: list[PointIn] = []
    dew_points = written = 0
    low = plan.start
    while low <= plan.end:
        high = min(low + width - plan.step, plan.end)
        for target in plan.targets:
            times = target.readings(plan.step, low, high)
            dew_points += len(times) if target.feeds_virtual else 0
            sensor_id = target.sensor_id
            for metric, signal in target.signals:
                items.extend(PointIn(sensor_id, metric, signal.at(t), t // 1000) for t in times)
        # Slices are sized to fill a chunk; when a rerun adds to only a few sensors, several make one chunk.
        if items and (len(items) >= CHUNK_POINTS // 2 or high == plan.end):
            db.write_sync(ingest, plan.principal, items, int(utcnow().timestamp() * 1000))
            written += len(items) + dew_points
            advance(len(items) + dew_points)
            items, dew_points = [], 0
        low = high + plan.step
    return Written(written, time.perf_counter() - began)


def _sensor_ids(conn: sa.Connection, workspace_id: int) -> list[int]:
    return store.sensor_ids_in(conn, workspace_id)


def _create_missing(
    conn: sa.Connection, principal: Principal, workspace_id: int, specs: list[DemoSensor], interval: int
) -> tuple[dict[str, int], int]:
    """Sensor ids by serial, every demo sensor included; and how many were created."""
    ids = store.sensor_ids_by_serial(conn, workspace_id, [*(s.serial for s in specs), VIRTUAL_SERIAL])
    now = utcnow()
    created = 0
    for spec in specs:
        if spec.serial not in ids:
            body = SensorIn(
                name=spec.name,
                metrics=[MetricIn(p.metric) for p in spec.profiles],
                workspace_id=workspace_id,
                serial=spec.serial,
                type=spec.type,
                interval=interval,
                device_group=spec.device_group,
                assets=list(spec.assets),
                tags=list(spec.tags),
            )
            ids[spec.serial] = service.create_sensor(conn, principal, body, now).id
            created += 1
    if VIRTUAL_SERIAL not in ids:
        body = _dew_point(specs[0], ids[specs[0].serial], workspace_id, interval)
        ids[VIRTUAL_SERIAL] = service.create_sensor(conn, principal, body, now).id
        created += 1
    return ids, created


def _dew_point(source: DemoSensor, sensor_id: int, workspace_id: int, interval: int) -> SensorIn:
    """A virtual sensor over the first demo sensor. Virtual points are computed as inputs arrive, so when it
    is created after its source already holds points, it has dew points only for readings written later."""
    metric = MetricIn(
        VIRTUAL_METRIC,
        unit="°C",
        expression=VIRTUAL_EXPRESSION,
        inputs={"t": SeriesRef(sensor_id, "temperature"), "rh": SeriesRef(sensor_id, "humidity")},
    )
    return SensorIn(
        name=f"{source.name} dew point",
        metrics=[metric],
        workspace_id=workspace_id,
        serial=VIRTUAL_SERIAL,
        type="Virtual",
        interval=interval,
        device_group=source.device_group,
        assets=list(source.assets),
        tags=["demo", "virtual"],
    )


def _spans(conn: sa.Connection, series_by_sensor: dict[int, list[int]]) -> dict[int, tuple[int, int]]:
    """The first and last point times of each sensor that has points. Two index seeks per series: SQLite uses
    the index for min() or max() only when a query asks for just one of them."""
    found: dict[int, tuple[int, int]] = {}
    for sensor_id, series_ids in series_by_sensor.items():
        for series_id in series_ids:
            first = fetchall(conn, "SELECT t FROM points WHERE series_id = ? ORDER BY t LIMIT 1", (series_id,))
            if not first:
                continue
            last = fetchall(conn, "SELECT t FROM points WHERE series_id = ? ORDER BY t DESC LIMIT 1", (series_id,))
            low, high = found.get(sensor_id, (first[0][0], last[0][0]))
            found[sensor_id] = (min(low, first[0][0]), max(high, last[0][0]))
    return found


def _missing(start: int, end: int, step: int, span: tuple[int, int] | None) -> list[tuple[int, int]]:
    """Grid ranges of [start, end] outside the span a sensor already covers."""
    if span is None:
        return [(start, end)]
    first, last = span
    ranges = []
    before = min(end, (first - 1) // step * step)
    if start <= before:
        ranges.append((start, before))
    after = max(start, (last // step + 1) * step)
    if after <= end:
        ranges.append((after, end))
    return ranges
