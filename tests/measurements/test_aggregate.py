"""GET /v1/measurements/aggregate equals a brute-force computation, across DST changes and zones."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import assert_error
from tests.measurements.conftest import backfill, make_sensor

Client = TestClient[Litestar]
# Zones whose DST changes happen away from midnight, so the oracle's local midnight always exists.
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
BUCKETS = ["PT1M", "PT15M", "PT1H", "PT3H", "P1D", "P1W", "P1M"]
START = int(datetime(2026, 3, 5, tzinfo=UTC).timestamp())  # a span holding the March DST changes
SPAN = 40 * 86_400


def oracle_start(t_seconds: int, bucket: str, tz: ZoneInfo) -> int:
    """The bucket start (epoch seconds) computed independently, with datetime arithmetic."""
    fixed = {"PT1M": 60, "PT15M": 900, "PT1H": 3600, "PT3H": 10_800}
    if bucket in fixed:
        return t_seconds - t_seconds % fixed[bucket]
    day = datetime.fromtimestamp(t_seconds, tz).date()
    if bucket == "P1W":
        day -= timedelta(days=day.weekday())
    elif bucket == "P1M":
        day = day.replace(day=1)
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())


def brute_force(points: list[tuple[int, float]], bucket: str, zone: str) -> dict[str, dict[str, float]]:
    groups: dict[int, list[float]] = defaultdict(list)
    for t, value in points:
        groups[oracle_start(t, bucket, ZoneInfo(zone))].append(value)
    return {
        datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"): {
            "count": len(values),
            "min": min(values),
            "max": max(values),
            "sum": sum(values),
            "avg": sum(values) / len(values),
        }
        for start, values in groups.items()
    }


points_strategy = st.dictionaries(
    st.integers(min_value=0, max_value=SPAN), st.integers(min_value=-500, max_value=500), min_size=1, max_size=80
)


def test_aggregates_equal_brute_force(owner: Client) -> None:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(points=points_strategy, bucket=st.sampled_from(BUCKETS), zone=st.sampled_from(ZONES))
    def check(points: dict[int, int], bucket: str, zone: str) -> None:
        if bucket == "PT1M":
            # Keep under the 10,000-bucket cap of one request (tested on its own below).
            points = {offset % 500_000: value for offset, value in points.items()}
        sensor = make_sensor(owner, f"s-{len(points)}-{bucket}-{zone}")["id"]
        rows = sorted((START + offset, float(value)) for offset, value in points.items())
        backfill(owner, [{"sensor": sensor, "metric": "temperature", "time": t, "value": v} for t, v in rows])
        response = owner.get(
            "/v1/measurements/aggregate",
            # [from, to): `to` a second past the last point, so that it is in the window.
            params={"sensor": sensor, "from": rows[0][0], "to": rows[-1][0] + 1, "bucket": bucket, "tz": zone},
        )
        assert response.status_code == 200, response.text
        got = {item["start"]: item for item in response.json()["items"]}
        expected = brute_force(rows, bucket, zone)
        assert set(got) == set(expected)
        for start, want in expected.items():
            item = got[start]
            assert item["count"] == want["count"]
            assert item["min"] == want["min"] and item["max"] == want["max"]
            assert item["sum"] == pytest.approx(want["sum"]) and item["avg"] == pytest.approx(want["avg"])

    check()


def test_berlin_days_are_23_and_25_hours_long(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    # One point an hour from 2026-03-28 00:00 to 2026-03-31 00:00 Berlin time.
    first = int(datetime(2026, 3, 28, tzinfo=ZoneInfo("Europe/Berlin")).timestamp())
    backfill(
        owner, [{"sensor": sensor, "metric": "temperature", "time": first + 3600 * i, "value": 1.0} for i in range(71)]
    )
    params = {"sensor": sensor, "from": first, "to": first + 3600 * 70, "bucket": "P1D", "tz": "Europe/Berlin"}
    items = owner.get("/v1/measurements/aggregate", params=params).json()["items"]
    assert [(i["start"], i["count"]) for i in items] == [
        ("2026-03-27T23:00:00.000Z", 24),
        ("2026-03-28T23:00:00.000Z", 23),
        ("2026-03-29T22:00:00.000Z", 24),
    ]


def test_fn_selects_fields_and_unit_converts_every_field(owner: Client) -> None:
    sensor = make_sensor(owner)["id"]
    backfill(
        owner,
        [
            {"sensor": sensor, "metric": "temperature", "time": START + i, "value": v}
            for i, v in enumerate((0.0, 100.0))
        ],
    )
    params = {"sensor": sensor, "from": START, "to": START + 1, "bucket": "PT1H", "unit": "°F"}
    [item] = owner.get("/v1/measurements/aggregate", params=params).json()["items"]
    assert item["min"] == pytest.approx(32) and item["max"] == pytest.approx(212)
    assert item["avg"] == pytest.approx(122) and item["sum"] == pytest.approx(244) and item["count"] == 2
    [only] = owner.get("/v1/measurements/aggregate", params={**params, "fn": "max"}).json()["items"]
    assert set(only) == {"sensor", "metric", "start", "max"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"bucket": "PT30S"}, "bucket"),
        ({"bucket": "P2Y"}, "bucket"),
        ({"bucket": "P1DT2H"}, "mixes"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"fn": "median"}, "median"),
        ({"bucket": "PT1M", "from": 0}, "buckets"),
        ({"sensor": None}, "sensor is required"),
    ],
)
def test_bad_parameters_are_400(owner: Client, params: dict[str, Any], message: str) -> None:
    sensor = make_sensor(owner)["id"]
    query = {"sensor": sensor, "from": START, "to": START + 3600, **params}
    assert_error(
        owner.get("/v1/measurements/aggregate", params={k: v for k, v in query.items() if v is not None}), 400, message
    )


def test_aggregate_needs_a_session(app: Litestar) -> None:
    with TestClient(app=app) as anonymous:
        assert_error(anonymous.get("/v1/measurements/aggregate", params={"sensor": 1}), 401)
