"""Bucket edges for aggregates, across zones and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensorgate.kit.times import MAX_TIME_MS, Duration, parse_time
from sensorgate.measurements.buckets import (
    MAX_BUCKETS,
    Bucket,
    BucketKind,
    boundaries,
    bucket_index,
    hour_aligned,
    local_midnight,
    parse_bucket,
)

HOUR = 3_600_000
DAY = 24 * HOUR
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # the clocks move by 30 minutes
    "Asia/Kolkata",  # +05:30
    "America/Santiago",  # midnight goes missing when the clocks go forward
    "America/Havana",  # midnight goes missing in spring and happens twice in autumn
    "Pacific/Chatham",  # +12:45
]
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
WEEK_ANCHOR_ORDINAL = date(1969, 12, 29).toordinal()


def ms(text: str) -> int:
    return parse_time(text)


def local(t_ms: int, tz: tzinfo) -> datetime:
    return datetime.fromtimestamp(t_ms // 1000, tz).replace(microsecond=t_ms % 1000 * 1000)


def midnight_exists(day: date, tz: tzinfo) -> bool:
    wall = datetime(day.year, day.month, day.day)
    instant = wall.replace(tzinfo=tz).timestamp()
    return datetime.fromtimestamp(instant, tz).replace(tzinfo=None) == wall


def is_day_start(edge: int, tz: tzinfo) -> bool:
    """The first instant of its local day: local midnight, or just after a midnight the zone skipped."""
    here = local(edge, tz)
    if local(edge - 1, tz).date() >= here.date():
        return False
    return here.time() == datetime.min.time() or not midnight_exists(here.date(), tz)


def anchor_for(days: int) -> int:
    return WEEK_ANCHOR_ORDINAL if days % 7 == 0 else EPOCH_ORDINAL


def expected_start_date(bucket: Bucket, t_ms: int, tz: tzinfo) -> date:
    """The local date that starts the bucket holding t_ms, worked out independently of the edges."""
    day = local(t_ms, tz).date()
    if bucket.kind is BucketKind.DAYS:
        anchor = anchor_for(bucket.size)
        return date.fromordinal(anchor + (day.toordinal() - anchor) // bucket.size * bucket.size)
    index = ((day.year - 1970) * 12 + day.month - 1) // bucket.size * bucket.size
    return date(1970 + index // 12, index % 12 + 1, 1)


@st.composite
def bucket_cases(draw: st.DrawFn) -> tuple[Bucket, int, int, ZoneInfo]:
    kind = draw(st.sampled_from(list(BucketKind)))
    if kind is BucketKind.FIXED:
        duration = Duration(ms=draw(st.integers(60, 3 * 86_400)) * 1000)
        nominal = duration.ms
    elif kind is BucketKind.DAYS:
        duration = Duration(days=draw(st.integers(1, 366)))
        nominal = duration.days * DAY
    else:
        duration = Duration(months=draw(st.integers(1, 12)))
        nominal = duration.months * 31 * DAY
    bucket = Bucket.from_duration(duration)
    start = draw(st.integers(ms("2020-01-01"), ms("2031-01-01")))
    length = draw(st.integers(1, nominal * draw(st.integers(1, 200))))
    return bucket, start, start + length, ZoneInfo(draw(st.sampled_from(ZONES)))


@settings(max_examples=400, deadline=None)
@given(bucket_cases(), st.data())
def test_edges_cover_the_range(case: tuple[Bucket, int, int, ZoneInfo], data: st.DataObject) -> None:
    bucket, start, end, tz = case
    edges = boundaries(bucket, start, end, tz)

    assert all(a < b for a, b in pairwise(edges))
    assert edges[0] <= start < edges[1]
    assert edges[-2] < end <= edges[-1]
    if bucket.kind is BucketKind.FIXED:
        assert edges[0] % bucket.size == 0
        assert {b - a for a, b in pairwise(edges)} == {bucket.size}
        assert hour_aligned(edges) or bucket.size % 3_600_000 != 0
    else:
        for edge in edges:
            assert is_day_start(edge, tz), (edge, local(edge, tz))
            day = local(edge, tz).date()
            if bucket.kind is BucketKind.DAYS:
                assert (day.toordinal() - anchor_for(bucket.size)) % bucket.size == 0
            else:
                assert day.day == 1
                assert ((day.year - 1970) * 12 + day.month - 1) % bucket.size == 0

    for t in data.draw(st.lists(st.integers(start, end - 1), min_size=1, max_size=20)):
        index = bucket_index(edges, t)
        assert sum(a <= t < b for a, b in pairwise(edges)) == 1
        assert edges[index] <= t < edges[index + 1]
        if bucket.kind is BucketKind.FIXED:
            assert edges[index] == t - t % bucket.size
        else:
            assert local(edges[index], tz).date() == expected_start_date(bucket, t, tz)


def day_lengths(edges: list[int]) -> list[float]:
    return [(b - a) / HOUR for a, b in pairwise(edges)]


def test_berlin_days_across_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    day = parse_bucket("P1D")
    spring = boundaries(day, ms("2026-03-28T12:00Z"), ms("2026-03-30T12:00Z"), berlin)
    assert day_lengths(spring) == [24, 23, 24]
    assert spring[1] == ms("2026-03-28T23:00Z")  # midnight at +01:00
    assert spring[2] == ms("2026-03-29T22:00Z")  # midnight at +02:00
    autumn = boundaries(day, ms("2026-10-24T12:00Z"), ms("2026-10-26T12:00Z"), berlin)
    assert day_lengths(autumn) == [24, 25, 24]
    assert hour_aligned(spring)
    assert hour_aligned(autumn)


def test_new_york_months_in_a_leap_year() -> None:
    edges = boundaries(parse_bucket("P1M"), ms("2028-01-15"), ms("2028-03-20"), ZoneInfo("America/New_York"))
    assert edges == [ms("2028-01-01T05:00Z"), ms("2028-02-01T05:00Z"), ms("2028-03-01T05:00Z"), ms("2028-04-01T04:00Z")]
    assert edges[2] - edges[1] == 29 * DAY


def test_weeks_start_on_monday() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    edges = boundaries(parse_bucket("P1W"), ms("2026-03-04T10:00Z"), ms("2026-04-20"), berlin)
    assert edges[0] == ms("2026-03-01T23:00Z")  # Monday 2 March, local midnight
    assert {local(edge, berlin).weekday() for edge in edges} == {0}
    assert set(day_lengths(edges)) == {7 * 24, 7 * 24 - 1}


def test_multi_day_buckets_count_from_a_fixed_date() -> None:
    # 2026-11-21 is 20,778 days after 1970-01-01, a multiple of 3.
    assert boundaries(parse_bucket("P3D"), ms("2026-11-22T10:00Z"), ms("2026-11-23"), UTC)[0] == ms("2026-11-21")
    fortnights = boundaries(parse_bucket("P2W"), ms("2026-11-22T10:00Z"), ms("2026-12-31"), UTC)
    assert [local(edge, UTC).weekday() for edge in fortnights] == [0] * len(fortnights)
    assert fortnights[0] == ms("2026-11-16")  # 1,484 fortnights after Monday 1969-12-29
    assert day_lengths(fortnights) == [14 * 24] * (len(fortnights) - 1)


def test_quarters_halves_and_years() -> None:
    start, end = ms("2026-05-15"), ms("2026-12-01")
    assert boundaries(parse_bucket("P3M"), start, end, UTC) == [
        ms("2026-04-01"),
        ms("2026-07-01"),
        ms("2026-10-01"),
        ms("2027-01-01"),
    ]
    assert boundaries(parse_bucket("P6M"), start, end, UTC) == [ms("2026-01-01"), ms("2026-07-01"), ms("2027-01-01")]
    assert boundaries(parse_bucket("P1Y"), start, end, UTC) == [ms("2026-01-01"), ms("2027-01-01")]


def test_fifteen_minutes_align_to_utc_in_any_zone() -> None:
    start, end = ms("2026-11-22T03:50:15.123Z"), ms("2026-11-22T04:31Z")
    expected = [ms(f"2026-11-22T{hh_mm}Z") for hh_mm in ("03:45", "04:00", "04:15", "04:30", "04:45")]
    for zone in ZONES:
        assert boundaries(parse_bucket("PT15M"), start, end, ZoneInfo(zone)) == expected


def test_santiago_missing_midnight() -> None:
    # On 2026-09-06 the clocks jump from 00:00 to 01:00; the day starts at 01:00 -03, 04:00 UTC.
    santiago = ZoneInfo("America/Santiago")
    edges = boundaries(parse_bucket("P1D"), ms("2026-09-05T12:00Z"), ms("2026-09-06T12:00Z"), santiago)
    assert edges == [ms("2026-09-05T04:00Z"), ms("2026-09-06T04:00Z"), ms("2026-09-07T03:00Z")]
    assert local(edges[1], santiago).isoformat() == "2026-09-06T01:00:00-03:00"
    assert day_lengths(edges) == [24, 23]


def test_havana_missing_and_repeated_midnights() -> None:
    havana = ZoneInfo("America/Havana")
    assert local_midnight(date(2026, 3, 8), havana) == ms("2026-03-08T05:00Z")  # 00:00 -> 01:00
    # On 2026-11-01 the clocks go back from 01:00 to 00:00; the day starts at the first midnight.
    edges = boundaries(parse_bucket("P1D"), ms("2026-11-01T12:00Z"), ms("2026-11-02T12:00Z"), havana)
    assert edges == [ms("2026-11-01T04:00Z"), ms("2026-11-02T05:00Z"), ms("2026-11-03T05:00Z")]
    assert day_lengths(edges) == [25, 24]


def test_a_day_the_zone_skipped_has_no_bucket() -> None:
    apia = ZoneInfo("Pacific/Apia")  # jumped from 2011-12-29 to 2011-12-31
    edges = boundaries(parse_bucket("P1D"), ms("2011-12-29T12:00Z"), ms("2011-12-31T09:00Z"), apia)
    assert [local(edge, apia).date().isoformat() for edge in edges] == ["2011-12-29", "2011-12-31", "2012-01-01"]


def test_lord_howe_half_hour_shift() -> None:
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    edges = boundaries(parse_bucket("P1D"), ms("2026-04-04T00:00+11:00"), ms("2026-04-06T00:00+10:30"), lord_howe)
    assert day_lengths(edges) == [24, 24.5]
    assert not hour_aligned(edges)


@pytest.mark.parametrize(
    ("zone", "aligned"),
    [("UTC", True), ("Europe/Berlin", True), ("Asia/Kolkata", False), ("Pacific/Chatham", False)],
)
def test_day_edges_are_hour_aligned_only_in_whole_hour_zones(zone: str, aligned: bool) -> None:
    edges = boundaries(parse_bucket("P1D"), ms("2026-01-01"), ms("2026-12-31"), ZoneInfo(zone))
    assert hour_aligned(edges) is aligned


def test_too_many_buckets() -> None:
    start = ms("2026-01-01")
    assert len(boundaries(parse_bucket("PT1M"), start, start + MAX_BUCKETS * 60_000, UTC)) == MAX_BUCKETS + 1
    with pytest.raises(ValueError, match="more than 10000 buckets; use a larger bucket or a shorter range"):
        boundaries(parse_bucket("PT1M"), start, start + 7 * DAY, UTC)
    with pytest.raises(ValueError, match="more than 5 buckets"):
        boundaries(parse_bucket("P1D"), start, start + 6 * DAY, ZoneInfo("Europe/Berlin"), max_buckets=5)
    assert len(boundaries(parse_bucket("P1D"), start, start + 5 * DAY, UTC, max_buckets=5)) == 6


def test_edges_stop_at_the_end_of_year_9999() -> None:
    new_york = ZoneInfo("America/New_York")
    for text in ("P1Y", "P1D", "PT8784H"):
        edges = boundaries(parse_bucket(text), ms("9999-06-01"), MAX_TIME_MS + 1, new_york)
        assert edges[-1] == MAX_TIME_MS + 1
        assert edges[-2] < edges[-1]


@pytest.mark.parametrize(("start", "end"), [(10, 10), (10, 5), (-1, 10), (0, MAX_TIME_MS + 2)])
def test_bad_ranges(start: int, end: int) -> None:
    with pytest.raises(ValueError, match="time range must be non-empty"):
        boundaries(parse_bucket("PT1H"), start, end, UTC)


def test_bucket_index() -> None:
    edges = [0, 10, 20, 35]
    assert [bucket_index(edges, t) for t in (0, 9, 10, 34)] == [0, 0, 1, 2]
    for outside in (-1, 35, 100):
        with pytest.raises(ValueError, match="outside the buckets"):
            bucket_index(edges, outside)


@pytest.mark.parametrize(
    ("text", "kind", "size", "canonical"),
    [
        ("PT1M", BucketKind.FIXED, 60_000, "PT1M"),
        ("PT60S", BucketKind.FIXED, 60_000, "PT1M"),
        ("PT90S", BucketKind.FIXED, 90_000, "PT1M30S"),
        ("PT1H", BucketKind.FIXED, HOUR, "PT1H"),
        ("PT8784H", BucketKind.FIXED, 366 * DAY, "PT8784H"),
        ("P1D", BucketKind.DAYS, 1, "P1D"),
        ("P1W", BucketKind.DAYS, 7, "P1W"),
        ("P52W", BucketKind.DAYS, 364, "P52W"),
        ("P366D", BucketKind.DAYS, 366, "P366D"),
        ("P1M", BucketKind.MONTHS, 1, "P1M"),
        ("P12M", BucketKind.MONTHS, 12, "P1Y"),
        ("P1Y", BucketKind.MONTHS, 12, "P1Y"),
    ],
)
def test_buckets_read(text: str, kind: BucketKind, size: int, canonical: str) -> None:
    bucket = parse_bucket(text)
    assert (bucket.kind, bucket.size, str(bucket)) == (kind, size, canonical)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("PT59S", "bucket: PT59S is shorter than the minimum of PT1M"),
        ("PT90.5S", "bucket: PT1M30.5S is not a whole number of seconds"),
        ("PT8785H", "bucket: PT8785H is longer than the maximum of P1Y"),
        ("P367D", "bucket: P367D is longer than the maximum of P1Y"),
        ("P53W", "bucket: P53W is longer than the maximum of P1Y"),
        ("P13M", "bucket: P1Y1M is longer than the maximum of P1Y"),
        ("P2Y", "bucket: P2Y is longer than the maximum of P1Y"),
        ("P1DT2H", "bucket: P1DT2H mixes days or weeks with hours, minutes or seconds; use days alone"),
        ("P1DT2H", "or a time alone (such as PT26H)"),
        ("P1M1D", "bucket: P1M1D mixes months or years with days or times"),
        ("P1YT1H", "bucket: P1YT1H mixes months or years with days or times"),
        ("P1X", "bucket: unknown designator 'X'"),
        ("PT", "bucket: 'T' must be followed"),
    ],
)
def test_buckets_rejected(text: str, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_bucket(text)
    assert problem in str(caught.value)


def test_local_midnight_is_plain_in_ordinary_zones() -> None:
    assert local_midnight(date(2026, 11, 22), ZoneInfo("Asia/Kolkata")) == ms("2026-11-21T18:30Z")
    assert local_midnight(date(2026, 11, 22), UTC) == ms("2026-11-22")
    assert local_midnight(date(2026, 11, 22) + timedelta(days=1), UTC) == ms("2026-11-23")
