"""Akenza's backfill on our ingest (measurements/ingest.py): each sample's `{metric: value}` becomes one point
per metric, and the whole request goes through the same call as POST /v1/measurements, so rollups, virtual
sensors, alarm rules and last-seen times follow, all or nothing. A bad value is reported as Akenza's client
wrote it: by sample index and `data.<metric>`.
"""

from __future__ import annotations

import sqlalchemy as sa

from sensorgate.auth.principal import Principal
from sensorgate.auth.scopes import Scope
from sensorgate.dialects.akenza.reads import DEFAULT_TOPIC
from sensorgate.dialects.akenza.shapes import BackfillOut, BackfillSample
from sensorgate.kit.errors import BadRequest
from sensorgate.measurements import ingest
from sensorgate.sensors import service as sensors

MAX_SAMPLES = 10_000


def backfill(
    conn: sa.Connection, principal: Principal, sensor_id: int, given: list[BackfillSample], now_ms: int
) -> BackfillOut:
    # The device is a path resource: another tenant's is not found (404), where /v1's batch names a bad item.
    sensors.get_sensor(conn, principal, sensor_id, Scope.DATA_WRITE)
    if not given:
        raise BadRequest("no samples given")
    if len(given) > MAX_SAMPLES:
        raise BadRequest(f"a bulk backfill holds at most {MAX_SAMPLES:,} samples; this one has {len(given):,}")
    items: list[ingest.PointIn] = []
    origin: list[tuple[int, str]] = []  # (sample index, metric) of each point
    for index, sample in enumerate(given):
        if sample.topic != DEFAULT_TOPIC:
            raise BadRequest(
                f"sample {index}: topic {sample.topic!r}: devices here have one topic, {DEFAULT_TOPIC!r}",
                details=[{"index": index, "field": "topic", "message": "the only topic is 'default'"}],
            )
        if not sample.data:
            raise BadRequest(f"sample {index}: data is empty; send at least one metric and its value")
        for metric, value in sample.data.items():
            items.append(ingest.PointIn(sensor=sensor_id, metric=metric, value=value, time=sample.timestamp))
            origin.append((index, metric))
    if len(items) > ingest.MAX_BATCH:
        raise BadRequest(f"a backfill holds at most {ingest.MAX_BATCH:,} values in all; this one has {len(items):,}")
    try:
        out = ingest.ingest(conn, principal, items, now_ms)
    except BadRequest as exc:
        raise _restated(exc, origin, len(given)) from None
    return BackfillOut(samples=len(given), values=out.accepted, replaced=out.replaced)


def _restated(exc: BadRequest, origin: list[tuple[int, str]], total: int) -> BadRequest:
    """Ingest names each bad point by its index in the batch; name it by sample and metric instead."""
    if not exc.details:
        return exc
    restated: dict[tuple[int, str], object] = {}  # a bad timestamp is one problem, however many metrics share it
    for detail in exc.details:
        index, metric = origin[int(str(detail["index"]))]
        field = "timestamp" if detail["field"] == "time" else f"data.{metric}"
        if detail["field"] == "sensor":
            message: object = f"the device has no metric {metric!r} that takes values (virtual ones are computed)"
        else:
            message = detail["message"]
        restated.setdefault((index, field), message)
    details: list[dict[str, object]] = [
        {"index": index, "field": field, "message": message} for (index, field), message in restated.items()
    ]
    bad = len({index for index, _ in restated})
    return BadRequest(
        f"{bad} of {total} samples are invalid; nothing was written. Each problem is listed in details.",
        details=details,
    )
