"""Aranet's reads, composed from our services inside one database call each: the same reach, scopes and
checks as /v1, rendered in Aranet's shapes. No SQL here, and no rule of its own beyond translating."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from sensorgate.alarms import service as alarms
from sensorgate.auth.principal import Principal
from sensorgate.dialects.aranet import catalogue, queries
from sensorgate.dialects.aranet.shapes import (
    Alarm,
    Asset,
    Association,
    Link,
    Links,
    MetricInfo,
    Point,
    Problem,
    Reading,
    Readings,
    Rule,
    Sensor,
    Skill,
    UnitInfo,
)
from sensorgate.kit.errors import NotFound
from sensorgate.kit.times import format_time
from sensorgate.measurements import history, latest
from sensorgate.measurements.series_access import ReadSeries, resolve
from sensorgate.sensors import service as sensors
from sensorgate.sensors import units
from sensorgate.sensors.schemas import AssetOut, SensorOut

MAX_SENSORS = 1000  # listed at once: Aranet's lists have no pages
SEVERITY = {"info": 1, "warning": 2, "critical": 3}


def all_sensors(conn: sa.Connection, principal: Principal) -> tuple[list[SensorOut], int]:
    page = sensors.list_sensors(
        conn, principal, workspace_id=None, device_group=None, asset=None, q=None, page=1, size=MAX_SENSORS
    )
    return page.items, page.total_items


def sensor_shape(out: SensorOut) -> Sensor:
    return Sensor(
        id=str(out.id),
        name=out.name,
        sensor_id=out.serial or "",
        type=out.type or "",
        skills=[Skill(catalogue.metric_id(m.metric), True) for m in out.metrics],
        tags=out.tags,
    )


def sensor_links(found: Iterable[SensorOut]) -> Links:
    metrics: dict[str, str] = {}
    types: dict[str, str] = {}
    for out in found:
        metrics.update((m.metric, catalogue.metric_id(m.metric)) for m in out.metrics)
        if out.type:
            types[out.type] = out.type
    return {
        "metric": [metric_link(name, number) for name, number in sorted(metrics.items(), key=lambda m: m[1])],
        "type": [Link(t, t, f"/api/v1/sensors/types/type/{t}") for t in sorted(types)],
    }


def metric_title(metric: str) -> str:
    if metric in catalogue.METRIC_TITLES:
        return catalogue.METRIC_TITLES[metric]
    return units.METRICS[metric].description if units.is_known(metric) else metric


def metric_link(metric: str, number: str) -> Link:
    return Link(number, metric_title(metric), f"/api/v1/metrics/{number}")


def cut_warning(shown: int, total: int, request_id: str) -> list[Problem] | None:
    if total <= shown:
        return None
    return [Problem(f"only the first {shown:,} of {total:,} sensors are listed; read the rest through /v1", request_id)]


# Readings ---------------------------------------------------------------------------------------------------


def series_for(
    conn: sa.Connection,
    principal: Principal,
    kind: str,
    sensor_ids: list[int],
    metric_numbers: list[str],
    chosen_units: dict[str, str],
) -> list[ReadSeries]:
    """The series a readings request names, of one kind (measurements or telemetry). Nothing reachable: []."""
    names = [catalogue.known_metric(n) for n in metric_numbers]
    custom = [n for n, name in zip(metric_numbers, names, strict=True) if name is None]
    wanted = {name for name in names if name is not None and catalogue.kind(name) == kind}
    if metric_numbers and not wanted and not custom:
        return []
    try:
        # Custom metrics are named by a number derived from the name, so those are matched after reading.
        found = resolve(conn, principal, sensor_ids, [] if custom else sorted(wanted), None, chosen_units)
    except NotFound:
        return []  # Aranet answers a query that matches nothing with 200 {}: so do we, for any sensor
    numbers = set(metric_numbers)
    return [
        s
        for s in found
        if catalogue.kind(s.metric) == kind and (not numbers or catalogue.metric_id(s.metric) in numbers)
    ]


def reading_links(series: list[ReadSeries]) -> Links:
    labels = {s.sensor_id: s.sensor_label for s in series}
    metric_names = sorted({s.metric for s in series})
    unit_pairs = sorted({(s.metric, s.unit) for s in series})
    return {
        "metric": [metric_link(m, catalogue.metric_id(m)) for m in metric_names],
        "sensor": [Link(str(i), label, f"/api/v1/sensors/sensor/{i}") for i, label in sorted(labels.items())],
        "unit": [
            Link(catalogue.unit_id(m, u), u, f"/api/v1/units/unit/{catalogue.unit_id(m, u)}") for m, u in unit_pairs
        ],
    }


def last_readings(conn: sa.Connection, principal: Principal, series: list[ReadSeries], now_ms: int) -> list[Reading]:
    out = latest.latest_values(conn, principal, [], [], None, now_ms, series=series)
    units_of = {(s.sensor_id, s.metric): s.unit for s in series}
    return [
        Reading(
            sensor=str(item.sensor),
            metric=catalogue.metric_id(item.metric),
            unit=catalogue.unit_id(item.metric, units_of[(item.sensor, item.metric)]),
            time=item.time,
            value=item.value,
            novelty=item.novelty,
        )
        for item in out.items
    ]


def history_page(
    conn: sa.Connection,
    series: list[ReadSeries],
    span: tuple[int, int],
    limit: int,
    cursor: str | None,
    cursor_key: bytes,
) -> tuple[list[Reading], str | None]:
    """One page of readings, through the same keyset page as /v1 history, and our cursor to the next (or None)."""
    rows, following = history.page(conn, series, span, False, limit, cursor, cursor_key)
    # What each series' readings say, worked out once a page rather than once a reading.
    labels = {
        s.series_id: (str(s.sensor_id), catalogue.metric_id(s.metric), catalogue.unit_id(s.metric, s.unit), s.convert)
        for s in series
    }
    readings = []
    for series_id, t, value in rows:
        sensor, metric, unit, convert = labels[series_id]
        readings.append(Reading(sensor, metric, unit, format_time(t), convert(value) if convert else value))
    return readings, following


def first_sensors(series: list[ReadSeries], count: int) -> list[ReadSeries]:
    """The series of the first `count` sensors: history names at most that many sensors a page."""
    keep = sorted({s.sensor_id for s in series})[:count]
    kept = set(keep)
    return [s for s in series if s.sensor_id in kept]


def token_for(kind: str, series: list[ReadSeries], chosen: dict[str, str], limit: int, links: bool, cursor: str) -> str:
    return queries.encode_token(
        queries.Token(
            kind=kind,
            sensors=sorted({s.sensor_id for s in series}),
            metrics=sorted({s.metric for s in series}),
            units=chosen,
            limit=limit,
            links=links,
            cursor=cursor,
        )
    )


def series_of_token(conn: sa.Connection, principal: Principal, token: queries.Token) -> list[ReadSeries]:
    try:
        found = resolve(conn, principal, token.sensors, token.metrics, None, token.units)
    except NotFound:
        return []
    return [s for s in found if catalogue.kind(s.metric) == token.kind]


# Metrics and units ------------------------------------------------------------------------------------------


def metric_infos(conn: sa.Connection, principal: Principal) -> list[MetricInfo]:
    """Every metric of our catalogue, and the custom ones on the caller's sensors, each with its units."""
    infos = [_metric_info(m.metric, m.unit, m.units, principal.units.get(m.metric)) for m in units.metrics_out().items]
    found, _ = all_sensors(conn, principal)
    custom = sorted({(m.metric, m.unit) for out in found for m in out.metrics if not units.is_known(m.metric)})
    infos += [_metric_info(metric, unit, [unit], None) for metric, unit in custom]
    return sorted(infos, key=lambda info: int(info.id))


def _metric_info(metric: str, canonical: str, symbols: list[str], preferred: str | None) -> MetricInfo:
    selected = preferred or canonical
    return MetricInfo(
        id=catalogue.metric_id(metric),
        name=metric_title(metric),
        kind=catalogue.kind(metric),
        units=[
            UnitInfo(
                id=catalogue.unit_id(metric, symbol),
                name=symbol,
                precision=catalogue.PRECISION.of(symbol),
                default=symbol == canonical,
                selected=symbol == selected,
            )
            for symbol in symbols
        ],
    )


def metric_info(conn: sa.Connection, principal: Principal, number: str) -> MetricInfo:
    for info in metric_infos(conn, principal):
        if info.id == number:
            return info
    raise NotFound(f"metric {number} not found; see /api/v1/metrics")


def unit_info(conn: sa.Connection, principal: Principal, number: str) -> UnitInfo:
    for info in metric_infos(conn, principal):
        for unit in info.units:
            if unit.id == number:
                return unit
    raise NotFound(f"unit {number} not found; see /api/v1/metrics")


# Assets, tags, alarms ---------------------------------------------------------------------------------------


def asset_shape(out: AssetOut) -> Asset:
    """An asset is one measurement point holding its sensors: we have no points of our own."""
    associations = [Association(f"{out.id}.{sensor}", str(sensor)) for sensor in out.sensors]
    return Asset(str(out.id), out.name, [], [Point(str(out.id), out.name, associations)])


def with_assets(
    conn: sa.Connection, principal: Principal, sensor_ids: list[int], asset_ids: list[int]
) -> list[int] | None:
    """The sensors named, and those of the assets named (Aranet's `asset` and `point`); None when assets were
    named and, with the sensors named, come to no sensor the caller reaches: that matches nothing."""
    if not asset_ids:
        return sensor_ids
    wanted = set(asset_ids)
    held = {s for a in sensors.list_assets(conn, principal) if a.id in wanted for s in a.sensors}
    return sorted(set(sensor_ids) | held) or None


def alarm_shapes(
    conn: sa.Connection, principal: Principal, *, active_only: bool, start: int | None, end: int | None
) -> list[Alarm]:
    rules = {r.id: r for r in alarms.list_rules(conn, principal)}
    shapes = []
    for a in alarms.list_alarms(conn, principal, active_only=active_only, start=start, end=end):
        rule = rules.get(a.rule)
        canonical = units.canonical_unit(a.metric) if units.is_known(a.metric) else ""
        shapes.append(
            Alarm(
                id=str(a.id),
                sensor=str(a.sensor),
                metric=catalogue.metric_id(a.metric),
                rule=str(a.rule),
                severity=SEVERITY.get(a.severity, 2),
                alarmed=a.raised_at,
                unit=catalogue.unit_id(a.metric, canonical),
                worst=a.value,
                threshold=rule.condition if rule else "",
                value=rule.threshold if rule else None,
                resolved=a.resolved_at,
                note=a.rule_name,
            )
        )
    return shapes


def rule_shapes(conn: sa.Connection, principal: Principal) -> list[Rule]:
    return [Rule(str(r.id), r.name, catalogue.metric_id(r.metric)) for r in alarms.list_rules(conn, principal)]


# The readings endpoints, each one database call ------------------------------------------------------------


def last(
    conn: sa.Connection,
    principal: Principal,
    kind: str,
    sensor_ids: list[int],
    asset_ids: list[int],
    metric_numbers: list[str],
    chosen: dict[str, str],
    links: bool,
    now_ms: int,
) -> Readings | None:
    """`measurements/last` and `telemetry/last`. None: nothing matches, which Aranet answers with {}."""
    named = with_assets(conn, principal, sensor_ids, asset_ids)
    if named is None:
        return None
    series = series_for(conn, principal, kind, named, metric_numbers, chosen)
    readings = last_readings(conn, principal, series, now_ms) if series else []
    if not readings:
        return None
    return Readings(readings, reading_links(series) if links else None)


def history_first(
    conn: sa.Connection,
    principal: Principal,
    kind: str,
    sensor_ids: list[int],
    asset_ids: list[int],
    metric_numbers: list[str],
    chosen: dict[str, str],
    span: tuple[int, int],
    limit: int,
    links: bool,
    cursor_key: bytes,
) -> Readings | None:
    """The first page of `measurements/history` or `telemetry/history`, with `next` when there is more."""
    named = with_assets(conn, principal, sensor_ids, asset_ids)
    if named is None:
        return None
    series = series_for(conn, principal, kind, named, metric_numbers, chosen)
    # Without sensors named, every sensor reached: the first 100, the most one history query names.
    series = first_sensors(series, queries.MAX_IDS)
    if not series:
        return None
    return _page(conn, principal, kind, series, chosen, span, limit, links, None, cursor_key)


def history_next(conn: sa.Connection, principal: Principal, token: queries.Token, cursor_key: bytes) -> Readings | None:
    series = series_of_token(conn, principal, token)
    if not series:
        return None
    # The window is in the signed cursor; the span given here is not used when a cursor is.
    span = (0, 1)
    return _page(
        conn, principal, token.kind, series, token.units, span, token.limit, token.links, token.cursor, cursor_key
    )


def _page(
    conn: sa.Connection,
    principal: Principal,
    kind: str,
    series: list[ReadSeries],
    chosen: dict[str, str],
    span: tuple[int, int],
    limit: int,
    links: bool,
    cursor: str | None,
    cursor_key: bytes,
) -> Readings | None:
    readings, following = history_page(conn, series, span, limit, cursor, cursor_key)
    next_path = None
    if following is not None:
        token = token_for(kind, series, chosen, limit, links, following)
        path = "measurements" if kind == "g" else "telemetry"
        next_path = f"/api/v1/{path}/history?next={token}"
    if not readings and next_path is None:
        return None
    return Readings(readings, reading_links(series) if links else None, next_path)
