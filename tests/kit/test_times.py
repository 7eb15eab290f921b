"""Reading times, durations and zones; writing times."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sensorgate.kit import times
from sensorgate.kit.times import MAX_TIME_MS, Duration, format_time, iso, parse_duration, parse_time, parse_tz

NOV_22 = 1_795_305_600_000  # 2026-11-22T00:00:00Z


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-22T03:50:15.123Z", NOV_22 + 13_815_123),
        ("2026-11-22T03:50:15Z", NOV_22 + 13_815_000),
        ("2026-11-22T03:50:15", NOV_22 + 13_815_000),  # no offset means UTC
        ("2026-11-22t03:50:15z", NOV_22 + 13_815_000),
        ("2026-11-22 03:50:15", NOV_22 + 13_815_000),
        ("2026-11-22T03:50Z", NOV_22 + 13_800_000),
        ("2026-11-22", NOV_22),
        ("2026-11-22T04:50:15+01:00", NOV_22 + 13_815_000),
        ("2026-11-22T04:50:15+0100", NOV_22 + 13_815_000),
        ("2026-11-22T04:50:15+01", NOV_22 + 13_815_000),
        ("2026-11-21T22:20:15-05:30", NOV_22 + 13_815_000),
        ("2026-11-22T03:50:15.1239999Z", NOV_22 + 13_815_123),  # truncated, not rounded
        ("2026-11-22T03:50:15,5Z", NOV_22 + 13_815_500),
        ("2026-11-22T03:50:15.1Z", NOV_22 + 13_815_100),
        ("1795305600", NOV_22),  # epoch seconds
        ("0", 0),
        ("1970-01-01T00:00:00Z", 0),
        ("9999-12-31T23:59:59.999Z", MAX_TIME_MS),
        ("2028-02-29", 1_835_395_200_000),
    ],
)
def test_parse_time_reads(text: str, expected: int) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("xyz", "from: not an ISO 8601 time or epoch seconds: 'xyz'"),
        ("", "not an ISO 8601 time or epoch seconds"),
        ("1795305600.5", "not an ISO 8601 time or epoch seconds"),
        ("2026-11-22T03:50:15 01:00", "a '+' in a URL query must be written as %2B"),
        ("-5", "must not be negative (before 1970)"),
        ("1795305600000", "send epoch seconds, not milliseconds"),
        ("2026-02-30", "not a valid date"),
        ("2026-13-01", "not a valid date"),
        ("2026-11-22T24:00:00Z", "not a valid time of day"),
        ("2026-11-22T23:60:00Z", "not a valid time of day"),
        ("2026-11-22T23:59:60Z", "not a valid time of day"),
        ("2026-11-22T03:50:15+24:00", "UTC offset out of range"),
        ("2026-11-22T03:50:15+01:60", "UTC offset out of range"),
        ("1969-12-31T23:59:59Z", "is before 1970"),
        ("1970-01-01T00:30:00+01:00", "is before 1970"),
        ("9999-12-31T23:00:00-02:00", "is after 9999"),
        ("2026-11-22Z", "not an ISO 8601 time"),
        ("2026-W47-7", "not an ISO 8601 time"),
        ("2026-11-22T03", "not an ISO 8601 time"),
        ("٢٠٢٦-11-22", "not an ISO 8601 time"),  # non-ASCII digits
    ],
)
def test_parse_time_rejects(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=r"^from: ") as caught:
        parse_time(text, "from")
    assert problem in str(caught.value)


@given(st.integers(min_value=0, max_value=MAX_TIME_MS), st.booleans())
def test_the_fast_path_reads_the_common_shapes_as_the_general_path_does(ms: int, with_millis: bool) -> None:
    text = format_time(ms) if with_millis else format_time(ms - ms % 1000)[:19] + "Z"
    assert times._common_iso(text) == times._any_time(text, "time") == parse_time(text)


@given(st.text(alphabet="0123456789-T:.Z٢", min_size=20, max_size=24))
def test_the_fast_path_never_takes_what_the_general_path_refuses(text: str) -> None:
    """Whatever the fast path reads, the general path reads the same; the rest it leaves to the general path."""
    fast = times._common_iso(text)
    if fast is not None:
        assert times._any_time(text, "time") == fast


def test_parse_time_error_shortens_long_input() -> None:
    with pytest.raises(ValueError) as caught:
        parse_time("x" * 10_000)
    assert len(str(caught.value)) < 200


@given(st.integers(min_value=0, max_value=MAX_TIME_MS))
def test_format_time_round_trips(ms: int) -> None:
    text = format_time(ms)
    assert len(text) == 24
    assert parse_time(text) == ms
    expected = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    assert text == iso(expected)


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (NOV_22 + 13_815_123, "2026-11-22T03:50:15.123Z"),
        (MAX_TIME_MS, "9999-12-31T23:59:59.999Z"),
        (NOV_22 - 1, "2026-11-21T23:59:59.999Z"),
    ],
)
def test_format_time_writes(ms: int, text: str) -> None:
    assert format_time(ms) == text


def test_format_time_beats_the_datetime_baseline() -> None:
    # A ratio against a baseline run in the same test, since the machines are noisy (docs/design.md).
    values = [NOV_22 + i * 60_013 for i in range(20_000)]

    def baseline(ms: int) -> str:
        return iso(datetime.fromtimestamp(ms // 1000, UTC).replace(microsecond=ms % 1000 * 1000))

    def timed(function: Callable[[int], str]) -> float:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            for value in values:
                function(value)
            best = min(best, time.perf_counter() - started)
        return best

    assert [format_time(v) for v in values[:100]] == [baseline(v) for v in values[:100]]
    assert timed(format_time) * 2 < timed(baseline)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H", Duration(ms=3_600_000)),
        ("PT6H", Duration(ms=21_600_000)),
        ("PT15M", Duration(ms=900_000)),
        ("PT0.5S", Duration(ms=500)),
        ("PT1,25S", Duration(ms=1250)),
        ("PT1.500000S", Duration(ms=1500)),
        ("P1D", Duration(days=1)),
        ("P2W", Duration(days=14)),
        ("P1W2D", Duration(days=9)),
        ("P1M", Duration(months=1)),
        ("P1Y", Duration(months=12)),
        ("P1Y2M3DT4H5M6.007S", Duration(months=14, days=3, ms=14_706_007)),
        ("P1DT12H", Duration(days=1, ms=43_200_000)),
        ("pt1h", Duration(ms=3_600_000)),
        ("PT36H", Duration(ms=129_600_000)),
    ],
)
def test_parse_duration_reads(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "not an ISO 8601 duration"),
        ("1H", "not an ISO 8601 duration"),
        ("P", "has no parts"),
        ("PT", "'T' must be followed by hours, minutes or seconds"),
        ("P1DT", "'T' must be followed by hours, minutes or seconds"),
        ("-PT1H", "must not be negative"),
        ("PT-1H", "must not be negative"),
        ("P1X", "unknown designator 'X'"),
        ("PT1X", "unknown designator 'X'"),
        ("P1H", "'H' belongs after the 'T'"),
        ("PT1D", "'D' belongs before the 'T'"),
        ("PT1W", "'W' belongs before the 'T'"),
        ("P1D1Y", "must come in the order Y, M, W, D, T, H, M, S"),
        ("P1D1D", "must come in the order"),
        ("PT1S1M", "must come in the order"),
        ("P1Y2", "expected a number then a designator at '2'"),
        ("PTH", "expected a number then a designator"),
        ("P1.5D", "only seconds may have a fraction"),
        ("PT1.5H", "only seconds may have a fraction"),
        ("PT0.0001S", "finer than a millisecond"),
        ("P0D", "is zero"),
        ("PT0S", "is zero"),
        ("P9999999999Y", "too large"),
    ],
)
def test_parse_duration_rejects(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=r"^bucket: ") as caught:
        parse_duration(text, "bucket")
    assert problem in str(caught.value)


@pytest.mark.parametrize("text", ["P1Y", "P1Y2M", "P2W", "P10D", "PT1H", "PT0.5S", "P1Y2M3DT4H5M6.007S", "PT1M30S"])
def test_duration_writes_its_canonical_form(text: str) -> None:
    assert str(parse_duration(text)) == text


@given(
    st.integers(0, 50),
    st.integers(0, 11),
    st.integers(0, 400),
    st.integers(0, 23),
    st.integers(0, 59),
    st.integers(0, 59_999),
)
def test_duration_text_round_trips(years: int, months: int, days: int, hours: int, minutes: int, ms: int) -> None:
    duration = Duration(months=years * 12 + months, days=days, ms=(hours * 60 + minutes) * 60_000 + ms)
    if duration == Duration():
        return
    assert parse_duration(str(duration)) == duration


@pytest.mark.parametrize("name", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Etc/GMT-14"])
def test_parse_tz_reads(name: str) -> None:
    assert parse_tz(name).key == name


def test_parse_tz_ignores_case_and_defaults_to_utc() -> None:
    assert parse_tz("europe/berlin").key == "Europe/Berlin"
    assert parse_tz().key == "UTC"


@pytest.mark.parametrize(
    "name",
    ["", "Mars/Olympus", "+01:00", "../../etc/passwd", "/etc/localtime", "zone.tab", "Europe", "right/UTC", "x" * 500],
)
def test_parse_tz_rejects(name: str) -> None:
    with pytest.raises(ValueError, match=r"^tz: unknown time zone .*use an IANA name"):
        parse_tz(name)


@given(hours=st.integers(min_value=0, max_value=2_000_000))
def test_format_hour_equals_format_time_on_whole_hours(hours: int) -> None:
    from sensorgate.kit.times import format_hour

    assert format_hour(hours * 3_600_000) == format_time(hours * 3_600_000)
