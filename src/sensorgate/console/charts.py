"""Charts for console pages: server-rendered SVG, with the same numbers in a table for screen readers.

No chart library and no script: a chart is markup the page already holds, so it shows without JavaScript and
costs one pass over its points. Colours come from console.css classes (`chart-*`) and `currentColor`, so a chart
follows the page between light and dark. Times on the axis and in the table are in the viewer's time zone.

- `line_chart`: a series of `Point`s (a time and a value, or a bucket's min, avg and max): a line of the values,
  and a band from min to max when the points carry them (long ranges, read from rollups).
- `bar_chart`: one bar per day (counts), with an optional limit drawn as a dashed line (a daily quota).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import count

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 280
# Room for the unit and the zone above the plot, the value labels at its left and the times below it.
LEFT, RIGHT, TOP, BOTTOM = 64, 14, 30, 28
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
# Steps of the time axis, smallest first; the first giving at most MAX_TICKS ticks is used.
TIME_STEPS_MS = [m * 60_000 for m in (1, 5, 10, 15, 30)] + [h * HOUR_MS for h in (1, 2, 3, 6, 12)]
DAY_STEPS = (1, 2, 7, 14)
MONTH_STEPS = (1, 2, 3, 6, 12)
MAX_TICKS = 7
_ids = count(1)  # unique element ids for several charts on one page


@dataclass(frozen=True, slots=True)
class Point:
    """A time (epoch ms, UTC) and its value; `low`/`high` are a bucket's min and max when it has them."""

    at: int
    value: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, slots=True)
class Chart:
    """The SVG and the table of the same numbers; `html` is both in a <figure>, ready for a template."""

    svg: Markup
    table: Markup
    points: int

    @property
    def html(self) -> Markup:
        return Markup('<figure class="chart">{}{}</figure>').format(self.svg, self.table)


def format_number(value: float) -> str:
    """Short and exact enough to read: thousands separated, at most three significant decimals."""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    decimals = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:.{min(decimals, 6)}f}".rstrip("0").rstrip(".") if decimals else f"{value:.0f}"


def nice_ticks(low: float, high: float, most: int = 5, whole: bool = False) -> list[float]:
    """Round values (1, 2 or 5 times a power of ten) covering [low, high], at most `most` + 1 of them; with
    `whole`, whole numbers only (an axis of counts has no 0.2 request)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high <= low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if whole:
        step = max(step, 1.0)
    first = math.floor(low / step) * step
    ticks = [first]
    while ticks[-1] < high - step * 1e-9:
        ticks.append(ticks[-1] + step)
    return [round(t, 12) for t in ticks]


def _local(ms: int, zone: tzinfo) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone)


def _to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def time_ticks(start: int, end: int, zone: tzinfo) -> tuple[list[int], str]:
    """Tick times in [start, end] on round local times (hours, midnights, first days of months), and the
    strftime format their labels use."""
    span = max(end - start, 1)
    for step in TIME_STEPS_MS:
        if span / step <= MAX_TICKS:
            return _clock_ticks(start, end, step, zone), "%H:%M" if span <= DAY_MS else "%d %b %H:%M"
    for days in DAY_STEPS:
        if span / (days * DAY_MS) <= MAX_TICKS:
            return _day_ticks(start, end, days, zone), "%d %b"
    months = next((m for m in MONTH_STEPS if span / (m * 30.44 * DAY_MS) <= MAX_TICKS), 12)
    return _month_ticks(start, end, months, zone), "%b %Y"


def _clock_ticks(start: int, end: int, step: int, zone: tzinfo) -> list[int]:
    # Round on the viewer's wall clock, counted from local midnight, so that 6-hour ticks fall on 00:00, 06:00 ...
    # on both sides of a DST change (every step divides a day).
    first = _local(start, zone).replace(tzinfo=None)
    midnight = first.replace(hour=0, minute=0, second=0, microsecond=0)
    since_ms = int((first - midnight).total_seconds() * 1000)
    wall = midnight + timedelta(milliseconds=-(-since_ms // step) * step)
    ticks: list[int] = []
    while (t := _to_ms(wall.replace(tzinfo=zone))) <= end:
        if t >= start and (not ticks or t > ticks[-1]):  # a wall time repeated when clocks go back counts once
            ticks.append(t)
        wall += timedelta(milliseconds=step)
    return ticks


def _day_ticks(start: int, end: int, days: int, zone: tzinfo) -> list[int]:
    day = _local(start, zone).date()
    ticks: list[int] = []
    while True:
        t = _to_ms(datetime(day.year, day.month, day.day, tzinfo=zone))
        if t > end:
            return ticks
        if t >= start:
            ticks.append(t)
        day += timedelta(days=days)


def _month_ticks(start: int, end: int, months: int, zone: tzinfo) -> list[int]:
    here = _local(start, zone)
    year, month = here.year, here.month
    ticks: list[int] = []
    while True:
        t = _to_ms(datetime(year, month, 1, tzinfo=zone))
        if t > end:
            return ticks
        if t >= start and (month - 1) % months == 0:
            ticks.append(t)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone.tzname(None) or "UTC")


def _svg_open(title: str, chart_id: str, points: int) -> str:
    return (
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{chart_id}-t" '
        f'data-points="{points}" xmlns="http://www.w3.org/2000/svg"><title id="{chart_id}-t">{escape(title)}</title>'
    )


def _value_axis(ticks: list[float], y: Callable[[float], float], unit: str) -> list[str]:
    parts = [f'<text class="chart-unit" x="4" y="16">{escape(unit)}</text>'] if unit else []
    for tick in ticks:
        yy = y(tick)
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        label = format_number(tick)
        parts.append(f'<text class="chart-label" x="{LEFT - 6}" y="{yy + 4:.1f}" text-anchor="end">{label}</text>')
    return parts


def line_chart(
    title: str, unit: str, points: Sequence[Point], zone: tzinfo, start: int, end: int, *, gap_ms: int | None = None
) -> Chart:
    """A line of the points' values over [start, end); a min-max band where points carry low and high. A line
    breaks where two points are more than `gap_ms` apart (no data is not drawn as a slope)."""
    chart_id = f"chart{next(_ids)}"
    lows = [p.low if p.low is not None else p.value for p in points]
    highs = [p.high if p.high is not None else p.value for p in points]
    ticks = nice_ticks(min(lows), max(highs)) if points else [0.0, 1.0]
    v_low, v_high = ticks[0], ticks[-1]
    span = max(end - start, 1)

    def x(t: int) -> float:
        return LEFT + (t - start) * PLOT_W / span

    def y(v: float) -> float:
        return TOP + PLOT_H - (v - v_low) * PLOT_H / ((v_high - v_low) or 1)

    parts = [_svg_open(title, chart_id, len(points)), *_value_axis(ticks, y, unit)]
    parts += _time_axis(start, end, zone, x)
    runs = _runs(points, gap_ms)
    for run in runs:
        if any(p.low is not None and p.high is not None for p in run):
            upper = " ".join(f"{x(p.at):.1f},{y(p.high if p.high is not None else p.value):.1f}" for p in run)
            lower = " ".join(f"{x(p.at):.1f},{y(p.low if p.low is not None else p.value):.1f}" for p in reversed(run))
            parts.append(f'<polygon class="chart-band" points="{upper} {lower}"/>')
    for run in runs:
        coords = " ".join(f"{x(p.at):.1f},{y(p.value):.1f}" for p in run)
        if len(run) == 1:  # a lone point has no line to be part of: a dot shows it
            parts.append(f'<circle class="chart-dot" cx="{x(run[0].at):.1f}" cy="{y(run[0].value):.1f}" r="2.5"/>')
        else:
            parts.append(f'<polyline class="chart-line" points="{coords}"/>')
    if not points:
        parts.append(_empty_note())
    parts.append("</svg>")
    # Every text from outside (title, unit, zone) went through escape(); the rest is numbers and our own tags.
    svg = Markup("".join(parts))  # noqa: S704
    return Chart(svg, _line_table(title, unit, points, zone), len(points))


def _runs(points: Sequence[Point], gap_ms: int | None) -> list[list[Point]]:
    runs: list[list[Point]] = []
    for point in points:
        if runs and (gap_ms is None or point.at - runs[-1][-1].at <= gap_ms):
            runs[-1].append(point)
        else:
            runs.append([point])
    return runs


def _time_axis(start: int, end: int, zone: tzinfo, x: Callable[[int], float]) -> list[str]:
    ticks, pattern = time_ticks(start, end, zone)
    base = TOP + PLOT_H
    parts = [f'<line class="chart-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}"/>']
    for t in ticks:
        xx = x(t)
        label = _local(t, zone).strftime(pattern)
        parts.append(f'<line class="chart-axis" x1="{xx:.1f}" x2="{xx:.1f}" y1="{base}" y2="{base + 4}"/>')
        parts.append(f'<text class="chart-label" x="{xx:.1f}" y="{base + 19}" text-anchor="middle">{label}</text>')
    parts.append(
        f'<text class="chart-label chart-zone" x="{WIDTH - RIGHT}" y="16" text-anchor="end">'
        f"{escape(_zone_name(zone))}</text>"
    )
    return parts


def _empty_note() -> str:
    return (
        f'<text class="chart-label" x="{LEFT + PLOT_W / 2}" y="{TOP + PLOT_H / 2}" text-anchor="middle">No data</text>'
    )


def _line_table(title: str, unit: str, points: Sequence[Point], zone: tzinfo) -> Markup:
    banded = any(p.low is not None for p in points)
    suffix = f" ({unit})" if unit else ""
    heads = ["Time (" + _zone_name(zone) + ")", *(["Min", "Avg", "Max"] if banded else ["Value"])]
    rows = []
    for p in points:
        when = _local(p.at, zone).strftime("%Y-%m-%d %H:%M")
        cells = [p.low, p.value, p.high] if banded else [p.value]
        rows.append([when, *("" if c is None else format_number(c) for c in cells)])
    return _table(f"{title}{suffix}", heads, rows)


def bar_chart(
    title: str, unit: str, days: Sequence[tuple[date, float]], *, limit: float | None = None, limit_label: str = ""
) -> Chart:
    """One bar per day, oldest first; `limit` (such as a daily quota) is a dashed line across, named in the
    table's caption."""
    chart_id = f"chart{next(_ids)}"
    top = max([v for _, v in days] + ([limit] if limit is not None else []) + [0.0])
    ticks = nice_ticks(0.0, top or 1.0, whole=True)
    v_high = ticks[-1]
    slot = PLOT_W / max(len(days), 1)

    def y(v: float) -> float:
        return TOP + PLOT_H - v * PLOT_H / (v_high or 1)

    parts = [_svg_open(title, chart_id, len(days)), *_value_axis(ticks, y, unit)]
    base = TOP + PLOT_H
    parts.append(f'<line class="chart-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}"/>')
    every = max(1, math.ceil(len(days) / MAX_TICKS))
    for i, (day, value) in enumerate(days):
        x0 = LEFT + i * slot + slot * 0.15
        height = base - y(value)
        parts.append(
            f'<rect class="chart-bar" x="{x0:.1f}" y="{y(value):.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}">'
            f"<title>{day.isoformat()}: {format_number(value)}</title></rect>"
        )
        if i % every == 0:
            label = day.strftime("%d %b")
            xx = x0 + slot * 0.35
            parts.append(f'<text class="chart-label" x="{xx:.1f}" y="{base + 19}" text-anchor="middle">{label}</text>')
    if limit is not None:
        yy = y(limit)
        parts.append(f'<line class="chart-limit" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        text = escape(limit_label or "limit")
        parts.append(
            f'<text class="chart-label chart-note" x="{WIDTH - RIGHT}" y="{yy - 5:.1f}" text-anchor="end">{text}</text>'
        )
    if not days:
        parts.append(_empty_note())
    parts.append("</svg>")
    caption = title + (f" ({unit})" if unit else "")
    if limit is not None:
        caption += f"; {limit_label or 'limit'}: {format_number(limit)}"
    rows = [[day.isoformat(), format_number(value)] for day, value in days]
    svg = Markup("".join(parts))  # noqa: S704 (as in line_chart)
    return Chart(svg, _table(caption, ["Day (UTC)", "Value"], rows), len(days))


def _table(caption: str, heads: list[str], rows: list[list[str]]) -> Markup:
    """The chart's numbers (table.chart-table): hidden from sight, not from screen readers, by its wrapper
    (div.chart-numbers): a table grows to hold its rows whatever height it is given, and would lengthen the page."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in heads)
    body = "".join(
        "<tr>"
        + "".join(f'<th scope="row">{escape(c)}</th>' if i == 0 else f"<td>{escape(c)}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return Markup(  # noqa: S704 (caption, heads and cells are escaped)
        f'<div class="chart-numbers"><table class="chart-table"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )
