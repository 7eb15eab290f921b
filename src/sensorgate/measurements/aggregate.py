"""Aggregates per bucket: from hourly or daily rollups where the buckets are made of whole rollups,
from raw points otherwise (buckets under an hour, or calendar buckets in a zone with a fractional offset).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from sensorgate.auth.principal import Principal
from sensorgate.kit.errors import BadRequest
from sensorgate.kit.times import format_hours, format_time, parse_tz, time_window
from sensorgate.measurements import store
from sensorgate.measurements.buckets import Bucket, BucketKind, boundaries, bucket_index, hour_aligned, parse_bucket
from sensorgate.measurements.schemas import AggregateItem, AggregateOut
from sensorgate.measurements.series_access import ReadSeries, resolve

FUNCTIONS = ("count", "min", "max", "avg", "sum")
MAX_ROWS = 100_000  # buckets x series in one answer
MAX_RAW_POINTS = 5_000_000  # points binned in Python when no rollup fits
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True, slots=True)
class AggregateRequest:
    bucket: Bucket
    tz: ZoneInfo
    edges: list[int]
    functions: frozenset[str]


def parse_request(from_: str | None, to: str | None, bucket: str, fn: str, tz: str, now_ms: int) -> AggregateRequest:
    start, end = time_window(from_, to, None, now_ms)
    functions = frozenset(part.strip() for part in fn.split(",") if part.strip())
    unknown = sorted(functions - set(FUNCTIONS))
    if unknown or not functions:
        raise BadRequest(f"fn takes some of {', '.join(FUNCTIONS)}; unknown: {', '.join(unknown) or '(none given)'}")
    try:
        parsed = parse_bucket(bucket)
        zone = parse_tz(tz)
        edges = boundaries(parsed, start, end, zone)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return AggregateRequest(parsed, zone, edges, functions)


# (series id, bucket index) -> [count, min, max, sum]
Cells = dict[tuple[int, int], list[float]]


def aggregate(
    conn: sa.Connection,
    principal: Principal,
    sensor_ids: list[int],
    metrics: list[str],
    unit: str | None,
    request: AggregateRequest,
) -> AggregateOut:
    if not sensor_ids:
        raise BadRequest("sensor is required: one or more sensor ids, comma-separated")
    targets = resolve(conn, principal, sensor_ids, metrics, unit)
    if (len(request.edges) - 1) * len(targets) > MAX_ROWS:
        raise BadRequest(f"at most {MAX_ROWS} buckets x series per request: use a larger bucket or fewer sensors")
    series_ids = [t.series_id for t in targets]
    if request.bucket.kind is BucketKind.FIXED and request.bucket.size == HOUR_MS and series_ids:
        return AggregateOut(items=_hourly(conn, targets, request))
    cells = _cells(conn, series_ids, request) if series_ids else {}
    items: list[AggregateItem] = []
    for target in targets:
        for index in range(len(request.edges) - 1):
            cell = cells.get((target.series_id, index))
            if cell is not None:
                items.append(_item(target, request.edges[index], cell, request.functions))
    return AggregateOut(items=items)


def _hourly(conn: sa.Connection, targets: list[ReadSeries], request: AggregateRequest) -> list[AggregateItem]:
    """PT1H buckets are the hourly rollups themselves: read them in key order, no grouping needed."""
    by_id = {t.series_id: t for t in targets}
    rows = store.hourly_rollups(conn, list(by_id), request.edges[0], request.edges[-1])
    if len(targets) > 1:
        order = {t.series_id: i for i, t in enumerate(targets)}
        rows.sort(key=lambda r: order[r[0]])  # stable: keeps hours in order within each series
    if any(t.convert for t in targets):
        return [_item(by_id[r[0]], r[1], [r[2], r[3], r[4], r[5]], request.functions) for r in rows]
    # No conversion: the common case. A year of hours is 8,760 items, so the loop stays a comprehension, with
    # the hour formatted by the fast path for whole hours.
    functions = request.functions
    want_count, want_min, want_max = "count" in functions, "min" in functions, "max" in functions
    want_avg, want_sum = "avg" in functions, "sum" in functions
    sensors = {t.series_id: t.sensor_id for t in targets}
    metrics = {t.series_id: t.metric for t in targets}
    starts = format_hours([row[1] for row in rows])
    return [
        AggregateItem(
            sensors[series_id],
            metrics[series_id],
            start,
            count if want_count else None,
            low if want_min else None,
            high if want_max else None,
            total / count if want_avg else None,
            total if want_sum else None,
        )
        for (series_id, _, count, low, high, total), start in zip(rows, starts, strict=True)
    ]


def _cells(conn: sa.Connection, series_ids: list[int], request: AggregateRequest) -> Cells:
    edges, bucket = request.edges, request.bucket
    if bucket.kind is BucketKind.FIXED:
        table = "rollups_hour" if bucket.size % HOUR_MS == 0 else "points"
        return _grouped_in_sql(conn, table, series_ids, edges[0], edges[-1], bucket.size)
    if all(edge % DAY_MS == 0 for edge in edges):
        return _binned(conn, "rollups_day", series_ids, edges)
    if hour_aligned(edges):
        return _binned(conn, "rollups_hour", series_ids, edges)
    return _binned(conn, "points", series_ids, edges)


def _grouped_in_sql(conn: sa.Connection, table: str, series_ids: list[int], start: int, end: int, size: int) -> Cells:
    rows = store.grouped(conn, table, series_ids, start, end, size)
    return {(r[0], int(r[1])): [r[2], r[3], r[4], r[5]] for r in rows}


def _binned(conn: sa.Connection, table: str, series_ids: list[int], edges: list[int]) -> Cells:
    """Calendar buckets: fetch rollup rows (or points) in order and add each to the bucket holding it."""
    if table == "points":
        count = store.count_between(conn, "points", series_ids, edges[0], edges[-1])
        if count > MAX_RAW_POINTS:
            raise BadRequest(
                f"this needs {count} raw points (at most {MAX_RAW_POINTS}) because the zone's midnight is not on "
                "a whole UTC hour; use a shorter range or tz=UTC"
            )
    cells: Cells = {}
    for series_id, t, count_, low, high, total in store.cells_between(conn, table, series_ids, edges[0], edges[-1]):
        key = (series_id, bucket_index(edges, t))
        cell = cells.get(key)
        if cell is None:
            cells[key] = [count_, low, high, total]
        else:
            cell[0] += count_
            cell[1] = min(cell[1], low)
            cell[2] = max(cell[2], high)
            cell[3] += total
    return cells


def _item(target: ReadSeries, start: int, cell: list[float], functions: frozenset[str]) -> AggregateItem:
    count, low, high, total = int(cell[0]), cell[1], cell[2], cell[3]
    convert: Callable[[float], float] = target.convert or (lambda v: v)
    if target.convert is not None:
        # Conversions are linear, value * scale + offset: a sum gains the offset once per point.
        offset = convert(0.0)
        total = (convert(1.0) - offset) * total + offset * count
    return AggregateItem(
        sensor=target.sensor_id,
        metric=target.metric,
        start=format_time(start),
        count=count if "count" in functions else None,
        min=convert(low) if "min" in functions else None,
        max=convert(high) if "max" in functions else None,
        avg=(total / count) if "avg" in functions else None,
        sum=total if "sum" in functions else None,
    )
