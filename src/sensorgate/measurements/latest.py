"""Latest values, read from the `latest` table kept at ingest, with their novelty."""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.auth.principal import Principal
from sensorgate.kit.times import format_time
from sensorgate.measurements import store
from sensorgate.measurements.schemas import LatestItem, LatestOut
from sensorgate.measurements.series_access import ReadSeries, resolve

# A value older than this many of its sensor's reporting intervals is expiring, and then old.
EXPIRING_INTERVALS = 3
OLD_INTERVALS = 6


def novelty(age_ms: int, interval_s: int) -> str:
    if age_ms > OLD_INTERVALS * interval_s * 1000:
        return "old"
    if age_ms > EXPIRING_INTERVALS * interval_s * 1000:
        return "expiring"
    return "new"


def latest_values(
    conn: sa.Connection,
    principal: Principal,
    sensor_ids: list[int],
    metrics: list[str],
    unit: str | None,
    now_ms: int,
    series: list[ReadSeries] | None = None,
) -> LatestOut:
    """Without sensor ids: every series the caller reaches (at most 10,000). `series`: already resolved by the
    caller (a dialect that picks series by kind)."""
    if series is None:
        series = resolve(conn, principal, sensor_ids, metrics, unit)
    targets = {s.series_id: s for s in series}
    if not targets:
        return LatestOut(items=[])
    rows = store.latest_of(conn, list(targets))
    items = []
    for series_id, t, value in rows:
        target = targets[series_id]
        items.append(
            LatestItem(
                sensor=target.sensor_id,
                metric=target.metric,
                unit=target.unit,
                time=format_time(t),
                value=target.convert(value) if target.convert else value,
                novelty=novelty(now_ms - t, target.interval),
            )
        )
    return LatestOut(items=items)
