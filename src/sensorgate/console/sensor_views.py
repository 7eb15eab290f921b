"""What the sensor pages show, gathered in one database transaction each from the services /v1 calls: the sensor
list with its filters (GET /v1/sensors), and a sensor with its latest values (GET /v1/measurements/latest), its
aggregates over the range shown (GET /v1/measurements/aggregate, read from rollups) and its alarms (GET
/v1/alarms). The range and the viewer's zone and units are worked out here; the charts are drawn by charts.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from sensorgate.accounts import service as accounts
from sensorgate.alarms import service as alarms
from sensorgate.alarms.schemas import AlarmOut
from sensorgate.auth.principal import Principal
from sensorgate.kit.errors import BadRequest, NotFound
from sensorgate.kit.paging import Page
from sensorgate.kit.times import format_time, parse_time
from sensorgate.measurements import aggregate, latest
from sensorgate.measurements.schemas import AggregateItem, LatestItem
from sensorgate.sensors import service as sensors
from sensorgate.sensors import units
from sensorgate.sensors.schemas import SensorOut

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
# The ranges offered: (label, length, bucket). Under a day the buckets are minutes, read from raw points (a few
# thousand at most); from a week on they are whole hours or days, read from the hourly and daily rollups, so a
# year costs as little as a day.
RANGES = {
    "6h": ("6 hours", 6 * HOUR_MS, "PT5M", 5 * MINUTE_MS),
    "24h": ("24 hours", DAY_MS, "PT15M", 15 * MINUTE_MS),
    "7d": ("7 days", 7 * DAY_MS, "PT1H", HOUR_MS),
    "30d": ("30 days", 30 * DAY_MS, "PT6H", 6 * HOUR_MS),
    "1y": ("1 year", 365 * DAY_MS, "P1D", DAY_MS),
}
# A custom range takes the smallest bucket that keeps it to at most CUSTOM_BUCKETS points a chart.
CUSTOM_STEPS = [("PT1M", MINUTE_MS), ("PT5M", 5 * MINUTE_MS), ("PT15M", 15 * MINUTE_MS), ("PT1H", HOUR_MS),
                ("PT6H", 6 * HOUR_MS), ("P1D", DAY_MS), ("P7D", 7 * DAY_MS)]  # fmt: skip
CUSTOM_BUCKETS = 500
CUSTOM_LONGEST = 5 * 366 * DAY_MS
CUSTOM_SHORTEST = 10 * MINUTE_MS
BANDS_FROM = HOUR_MS  # buckets of an hour or more show their min-max band
FUNCTIONS = "count,min,max,avg"
# "US customary" units; every other metric stays in its catalogue unit.
US_UNITS = {"temperature": "°F", "pressure": "psi", "distance": "ft", "water_level": "ft", "weight": "lb"}
UNIT_SYSTEMS = {"metric": "Metric", "us": "US customary"}


@dataclass(frozen=True, slots=True)
class Window:
    """The range shown: its key (or "custom"), [start, end) in epoch ms, the same as wire text, and the bucket."""

    key: str
    start: int
    end: int
    start_text: str
    end_text: str
    bucket: str
    bucket_ms: int


def window(key: str, start_text: str, end_text: str, zone: ZoneInfo, now_ms: int) -> Window:
    """A named range ending now, or a custom one typed in the viewer's zone (a datetime-local field's
    `2026-11-02T10:15`). A bad custom range is a 400 naming the field."""
    if key in RANGES:
        _, length, bucket, step = RANGES[key]
        return Window(key, now_ms - length, now_ms, format_time(now_ms - length), format_time(now_ms), bucket, step)
    start, end = _local_time(start_text, "from", zone), _local_time(end_text, "to", zone)
    if not CUSTOM_SHORTEST <= end - start <= CUSTOM_LONGEST:
        raise BadRequest("to must come at least 10 minutes after from, and at most 5 years")
    bucket, step = next(((b, s) for b, s in CUSTOM_STEPS if (end - start) / s <= CUSTOM_BUCKETS), CUSTOM_STEPS[-1])
    return Window("custom", start, end, format_time(start), format_time(end), bucket, step)


def _local_time(text: str, field: str, zone: ZoneInfo) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{field}: a date and time, such as 2026-11-02T10:15") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return int(moment.timestamp() * 1000)


def viewer_unit(metric: str, declared: str, system: str) -> str | None:
    """The unit the viewer reads `metric` in: None keeps the sensor's own."""
    wanted = US_UNITS.get(metric) if system == "us" else None
    return wanted if wanted and units.is_known(metric) and wanted != declared else None


@dataclass(frozen=True, slots=True)
class SensorRow:
    sensor: SensorOut
    workspace: str
    novelty: str | None  # of its latest value: new, expiring or old; None: never seen


@dataclass(frozen=True, slots=True)
class Choices:
    workspaces: list[tuple[int, str]]
    device_groups: list[str]
    assets: list[str]
    tags: list[str]


@dataclass(frozen=True, slots=True)
class SensorsView:
    rows: list[SensorRow]
    page: Page[SensorOut]
    choices: Choices


def _workspaces(conn: sa.Connection, viewer: Principal, organization_id: int) -> dict[int, str]:
    found = accounts.list_workspaces(conn, viewer, 1, 200)
    return {w.id: w.name for w in found.items if w.organization_id == organization_id}


def sensors_view(
    conn: sa.Connection, /, viewer: Principal, organization_id: int, *, now_ms: int, **filters: object
) -> SensorsView:
    """The page of sensors GET /v1/sensors answers with these filters, in this organization."""
    found = sensors.list_sensors(conn, viewer, organization_id=organization_id, **filters)  # type: ignore[arg-type]
    names = _workspaces(conn, viewer, organization_id)
    rows = [SensorRow(s, names.get(s.workspace_id, ""), _novelty(s, now_ms)) for s in found.items]
    groups = sorted({g.name for g in sensors.list_device_groups(conn, viewer) if g.workspace_id in names})
    assets = sorted({a.name for a in sensors.list_assets(conn, viewer) if a.workspace_id in names})
    tags = sorted({t.name for t in sensors.tag_counts(conn, viewer) if t.workspace_id in names})
    return SensorsView(rows, found, Choices(sorted(names.items(), key=lambda w: w[1]), groups, assets, tags))


def _novelty(sensor: SensorOut, now_ms: int) -> str | None:
    # The same rule as the novelty of GET /v1/measurements/latest, on the sensor's newest reading.
    if sensor.last_seen is None:
        return None
    return latest.novelty(now_ms - parse_time(sensor.last_seen), sensor.interval)


@dataclass(frozen=True, slots=True)
class MetricData:
    metric: str
    description: str
    unit: str
    asked_unit: str | None  # the `unit=` the API was asked for, None for the sensor's own
    latest: LatestItem | None
    buckets: list[AggregateItem]


@dataclass(frozen=True, slots=True)
class SensorView:
    sensor: SensorOut
    workspace: str
    metrics: list[MetricData]
    active: list[AlarmOut]
    history: list[AlarmOut]


def sensor_view(
    conn: sa.Connection,
    viewer: Principal,
    organization_id: int,
    sensor_id: int,
    shown: Window,
    zone: ZoneInfo,
    system: str,
    now_ms: int,
) -> SensorView:
    sensor = sensors.get_sensor(conn, viewer, sensor_id)
    names = _workspaces(conn, viewer, organization_id)
    if sensor.workspace_id not in names:  # another organization's, even one the viewer belongs to
        raise NotFound(f"sensor {sensor_id} not found")
    wanted = aggregate.parse_request(shown.start_text, shown.end_text, shown.bucket, FUNCTIONS, zone.key, now_ms)
    metrics = []
    for m in sensor.metrics:
        unit = viewer_unit(m.metric, m.unit, system)
        newest = latest.latest_values(conn, viewer, [sensor_id], [m.metric], unit, now_ms).items
        buckets = aggregate.aggregate(conn, viewer, [sensor_id], [m.metric], unit, wanted).items
        described = units.METRICS[m.metric].description if units.is_known(m.metric) else m.metric
        metrics.append(MetricData(m.metric, described, unit or m.unit, unit, newest[0] if newest else None, buckets))
    active = alarms.list_alarms(conn, viewer, active_only=True, start=None, end=None, sensor_id=sensor_id)
    history = alarms.list_alarms(conn, viewer, active_only=False, start=shown.start, end=shown.end, sensor_id=sensor_id)
    return SensorView(sensor, names[sensor.workspace_id], metrics, active, history)
