"""The console's charts: SVG a browser can draw, times in the viewer's zone, and the same numbers in a table."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sensorgate.console.charts import Point, bar_chart, format_number, line_chart, nice_ticks, time_ticks

NS = {"s": "http://www.w3.org/2000/svg"}
HOUR = 3_600_000
BERLIN = ZoneInfo("Europe/Berlin")


def ms(*parts: int, zone: ZoneInfo | None = None) -> int:
    return int(datetime(*parts, tzinfo=zone or UTC).timestamp() * 1000)  # type: ignore[misc]


def svg_of(chart_svg: str) -> ET.Element:
    return ET.fromstring(str(chart_svg))  # noqa: S314 (our own output)


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def table_rows(table: str) -> list[list[str]]:
    root = ET.fromstring(str(table))  # noqa: S314
    return [[cell.text or "" for cell in row] for row in root.iterfind(".//tbody/tr")]


def test_a_line_chart_draws_every_point_and_tables_the_same_numbers() -> None:
    start = ms(2026, 3, 1)
    points = [Point(start + i * HOUR, 20 + i) for i in range(6)]
    chart = line_chart("Temperature", "°C", points, UTC, start, start + 6 * HOUR)
    root = svg_of(chart.svg)
    assert root.get("data-points") == "6" and chart.points == 6
    assert root.find("s:title", NS).text == "Temperature"  # type: ignore[union-attr]
    line = root.find("s:polyline", NS)
    assert line is not None and len(line.get("points", "").split()) == 6
    assert "°C" in texts(root)  # the unit is on the value axis
    rows = table_rows(chart.table)
    assert rows[0] == ["2026-03-01 00:00", "20"] and rows[-1] == ["2026-03-01 05:00", "25"]
    assert root.find("s:polygon", NS) is None  # no min/max: no band


def test_a_long_range_has_a_min_max_band_and_its_table_says_min_avg_max() -> None:
    start = ms(2026, 1, 1)
    points = [Point(start + d * 24 * HOUR, 10 + d, low=5 + d, high=15 + d) for d in range(30)]
    chart = line_chart("Temperature", "°C", points, UTC, start, start + 30 * 24 * HOUR)
    band = svg_of(chart.svg).find("s:polygon", NS)
    assert band is not None and band.get("class") == "chart-band"
    assert len(band.get("points", "").split()) == 60  # up along the maxima, back along the minima
    assert "Min" in str(chart.table) and "Max" in str(chart.table)
    assert table_rows(chart.table)[0] == ["2026-01-01 00:00", "5", "10", "15"]


def test_times_are_in_the_viewers_zone() -> None:
    start = ms(2026, 7, 1, 0, 0, zone=BERLIN)  # 22:00 UTC the day before
    points = [Point(start, 1.0), Point(start + HOUR, 2.0)]
    chart = line_chart("Humidity", "%", points, BERLIN, start, start + 24 * HOUR)
    labels = texts(svg_of(chart.svg))
    assert "00:00" in labels and "06:00" in labels  # ticks on the viewer's round hours
    assert "Europe/Berlin" in labels
    assert table_rows(chart.table)[0][0] == "2026-07-01 00:00"
    assert "Time (Europe/Berlin)" in str(chart.table)


def test_clock_ticks_stay_on_round_local_hours_across_a_dst_change() -> None:
    start = ms(2026, 10, 24, 0, 0, zone=BERLIN)  # clocks go back on 25 October, 03:00 -> 02:00
    ticks, pattern = time_ticks(start, start + 72 * HOUR + HOUR, BERLIN)
    labels = [datetime.fromtimestamp(t / 1000, UTC).astimezone(BERLIN).strftime("%H:%M") for t in ticks]
    assert pattern == "%d %b %H:%M" and set(labels) == {"00:00", "12:00"} and len(labels) == 7


def test_a_gap_in_the_data_breaks_the_line() -> None:
    start = ms(2026, 3, 1)
    times = [0, 1, 2, 10, 11]
    points = [Point(start + t * HOUR, 1.0) for t in times]
    chart = line_chart("x", "", points, UTC, start, start + 12 * HOUR, gap_ms=2 * HOUR)
    assert len(svg_of(chart.svg).findall("s:polyline", NS)) == 2
    lone = line_chart("x", "", [Point(start, 1.0)], UTC, start, start + HOUR)
    assert svg_of(lone.svg).find("s:circle", NS) is not None  # one point is a dot, not nothing


def test_text_from_outside_is_escaped() -> None:
    start = ms(2026, 3, 1)
    chart = line_chart("<script>x</script>", "<b>", [Point(start, 1.0)], UTC, start, start + HOUR)
    assert "<script>" not in str(chart.html) and "&lt;script&gt;" in str(chart.svg)
    svg_of(chart.svg)  # still well-formed


def test_no_data_says_so() -> None:
    chart = line_chart("x", "°C", [], UTC, 0, HOUR)
    assert "No data" in texts(svg_of(chart.svg)) and chart.points == 0


def test_bars_one_per_day_with_the_quota_line() -> None:
    days = [(date(2026, 3, d), float(d * 100)) for d in range(1, 31)]
    chart = bar_chart("Requests", "requests", days, limit=5000, limit_label="daily quota")
    root = svg_of(chart.svg)
    bars = root.findall("s:rect", NS)
    assert len(bars) == 30 and chart.points == 30
    heights = [float(b.get("height", "0")) for b in bars]
    assert heights == sorted(heights) and heights[0] < heights[-1]  # taller for more
    limit = root.find("s:line[@class='chart-limit']", NS)
    assert limit is not None
    assert float(limit.get("y1", "0")) < min(float(b.get("y", "0")) for b in bars)  # 5,000 is above every bar
    assert "daily quota: 5,000" in str(chart.table)
    assert table_rows(chart.table)[2] == ["2026-03-03", "300"]


def test_ticks_are_round_and_cover_the_values() -> None:
    ticks = nice_ticks(3.2, 47.9)
    assert ticks[0] <= 3.2 and ticks[-1] >= 47.9 and ticks == [0, 10, 20, 30, 40, 50]
    assert nice_ticks(5.0, 5.0)[0] < 5.0 < nice_ticks(5.0, 5.0)[-1]  # a flat line still has an axis
    year = time_ticks(ms(2026, 1, 1), ms(2027, 1, 1), UTC)
    assert year[1] == "%b %Y" and all(datetime.fromtimestamp(t / 1000, UTC).day == 1 for t in year[0])
    assert 2 <= len(year[0]) <= 7


def test_a_bar_chart_of_counts_has_whole_ticks() -> None:
    """A day with one refusal is drawn on an axis of 0 and 1, not 0, 0.2, ... 1."""
    chart = bar_chart("Refusals per day", "refusals", [(date(2026, 3, 1), 0.0), (date(2026, 3, 2), 1.0)])
    labels = [t.text for t in svg_of(chart.svg).iter("{http://www.w3.org/2000/svg}text")]
    assert "0.2" not in labels and "1" in labels
    assert nice_ticks(0.0, 1.0, whole=True) == [0, 1] and nice_ticks(0.0, 1.0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_numbers_are_short() -> None:
    assert [format_number(v) for v in (0, 21.456, 1234567, 0.01234, 5.0)] == ["0", "21.5", "1,234,567", "0.0123", "5"]
