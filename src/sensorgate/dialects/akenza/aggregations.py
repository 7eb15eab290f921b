"""Akenza's aggregation routes on our aggregate service (measurements/aggregate.py): the same buckets, rollups and
checks as GET /v1/measurements/aggregate, in Akenza's shapes.

- `aggregated/hourly/...` reads the hourly rollups, so its buckets are whole hours (PT1H, PT6H, P1D, P1M...).
- `raw/...` may also take buckets under an hour, which the service computes from the points.
- A time series has one entry per bucket of the interval, null where a bucket holds no data; a KPI is the whole
  interval as one number, made from the same buckets. The interval is widened to whole buckets (whole hours for
  an hourly KPI, whole minutes for a raw one), as our aggregates are.
"""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.auth.principal import Principal
from sensorgate.dialects.akenza.reads import ANY_TOPIC, DEFAULT_TOPIC, device_series
from sensorgate.dialects.akenza.shapes import AggregationQuery, KpiResult, TimeSeriesResult
from sensorgate.kit.errors import BadRequest
from sensorgate.kit.times import format_time, time_window
from sensorgate.measurements import aggregate
from sensorgate.measurements.buckets import MAX_BUCKETS, BucketKind, parse_bucket
from sensorgate.measurements.schemas import AggregateItem

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
FUNCTIONS = {"MIN": "min", "MAX": "max", "AVG": "avg", "SUM": "sum", "COUNT": "count"}
# What each accumulator we do not serve would need, said in its 400.
REFUSED = {
    "FIRST": (
        "FIRST is not served: our aggregates are count, min, max, avg and sum (as GET /v1/measurements/aggregate). "
        "The rollups keep each hour's first value, but the aggregate service does not combine them into buckets; "
        "read a bucket's first value with GET /v1/measurements?sensor=&metric=&from=&to=&limit=1 instead"
    ),
    "MATCHED_COUNT": "MATCHED_COUNT counts rule matches, which are alarms here: read them through /v1/alarms",
    "UNMATCHED_COUNT": "UNMATCHED_COUNT counts rule matches, which are alarms here: read them through /v1/alarms",
    "NONE": "NONE is not an aggregate: read the values themselves with POST /v3/devices/{id}/query",
}
KPI_FUNCTIONS = "count,min,max,sum"
RAW_KPI_BUCKET = "PT1M"


def _request(body: AggregationQuery, bucket: str, fn: str, hourly: bool, now_ms: int) -> aggregate.AggregateRequest:
    if body.accumulator not in FUNCTIONS:
        raise BadRequest(f"accumulator: {REFUSED[body.accumulator]}")
    try:
        parsed = parse_bucket(bucket, "bucketInterval")
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    if hourly and parsed.kind is BucketKind.FIXED and parsed.size % HOUR_MS:
        raise BadRequest(
            f"bucketInterval: {parsed} is not whole hours, and these aggregates are made of hourly ones; use "
            "PT1H or longer here, or the raw route (POST /v3/devices/{id}/query/raw/...)"
        )
    return aggregate.parse_request(body.interval.from_, body.interval.to, bucket, fn, "UTC", now_ms)


def _items(
    conn: sa.Connection,
    principal: Principal,
    sensor_id: int,
    body: AggregationQuery,
    wanted: aggregate.AggregateRequest,
) -> list[AggregateItem]:
    if body.topic not in (DEFAULT_TOPIC, ANY_TOPIC):
        device_series(conn, principal, sensor_id)  # another tenant's device is still not found
        return []
    return aggregate.aggregate(conn, principal, [sensor_id], [body.data_key], None, wanted).items


def time_series(
    conn: sa.Connection, principal: Principal, sensor_id: int, body: AggregationQuery, hourly: bool, now_ms: int
) -> TimeSeriesResult:
    fn = FUNCTIONS.get(body.accumulator, "")
    wanted = _request(body, body.bucket_interval, fn, hourly, now_ms)
    value_of = {item.start: getattr(item, fn) for item in _items(conn, principal, sensor_id, body, wanted)}
    starts = [format_time(edge) for edge in wanted.edges[:-1]]
    return TimeSeriesResult(str(sensor_id), body.topic, body.data_key, [value_of.get(s) for s in starts], starts)


def kpi(
    conn: sa.Connection, principal: Principal, sensor_id: int, body: AggregationQuery, hourly: bool, now_ms: int
) -> KpiResult:
    """One number for the whole interval, combined from hourly buckets (or minutes, raw): bucketInterval is not
    used."""
    if not hourly:
        start, end = time_window(body.interval.from_, body.interval.to, None, now_ms)
        if end - start > MAX_BUCKETS * MINUTE_MS:
            raise BadRequest(
                f"interval: a raw KPI covers at most {MAX_BUCKETS:,} minutes (about 6.9 days); use "
                "POST /v3/devices/{id}/query/aggregated/hourly/kpi for a longer one"
            )
    wanted = _request(body, "PT1H" if hourly else RAW_KPI_BUCKET, KPI_FUNCTIONS, hourly, now_ms)
    items = _items(conn, principal, sensor_id, body, wanted)
    return KpiResult(str(sensor_id), body.topic, body.data_key, _combine(items, body.accumulator))


def _combine(items: list[AggregateItem], accumulator: str) -> float | None:
    count = sum(item.count or 0 for item in items)
    if accumulator == "COUNT":
        return count
    if not count:
        return None
    total = sum(item.sum or 0.0 for item in items)
    if accumulator == "SUM":
        return total
    if accumulator == "AVG":
        return total / count
    values = [v for item in items if (v := item.min if accumulator == "MIN" else item.max) is not None]
    return min(values) if accumulator == "MIN" else max(values)
