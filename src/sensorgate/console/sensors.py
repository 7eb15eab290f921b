"""The console's sensor pages: the list with its filters, and a sensor's page with its latest values, a chart per
metric over a chosen range, its alarms and a CSV of what the chart shows. The data is read by sensor_views.py
from the services /v1 calls; the charts are drawn by charts.py.

Times are in the viewer's time zone and values in the viewer's units: `tz` and `units` in the query, which the
page then remembers in the `sg_tz` and `sg_units` cookies (console.js sets `sg_tz` to the browser's zone on a
first visit). Without either, UTC and each sensor's own units.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlencode
from zoneinfo import ZoneInfo

from litestar import Request, get
from litestar.datastructures import Cookie
from litestar.params import QueryParameter
from litestar.response import Template

from sensorgate.console import charts
from sensorgate.console.sensor_views import (
    BANDS_FROM,
    FUNCTIONS,
    RANGES,
    UNIT_SYSTEMS,
    MetricData,
    SensorView,
    Window,
    sensor_view,
    sensors_view,
    window,
)
from sensorgate.console.views import ConsoleUser, Id, Org, page
from sensorgate.kit.errors import BadRequest
from sensorgate.kit.paging import DEFAULT_PAGE_SIZE, PageSize
from sensorgate.kit.times import parse_time, parse_tz, utcnow
from sensorgate.web.state import AppStateDep

TZ_COOKIE, UNITS_COOKIE = "sg_tz", "sg_units"
REMEMBER = 400 * 86_400  # a year and a bit: a preference, not a secret
Text = Annotated[str, QueryParameter(max_length=200)]
Short = Annotated[str, QueryParameter(max_length=64)]


def _zone_and_units(request: Request[Any, Any, Any], tz: str, system: str) -> tuple[ZoneInfo, str, list[Cookie]]:
    """The viewer's zone and unit system: the query's (remembered in a cookie), else the cookies', else UTC and
    the sensors' own units. A bad `tz` in the query is a 400; a bad cookie is ignored."""
    remember = []
    if tz:
        try:
            zone = parse_tz(tz)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        # Written as console.js writes it, percent-encoded: a cookie value may not hold "/" unquoted.
        remember.append(Cookie(key=TZ_COOKIE, value=quote(zone.key, safe=""), max_age=REMEMBER, path="/",
                               samesite="lax"))  # fmt: skip
    else:
        try:
            zone = parse_tz(unquote(request.cookies.get(TZ_COOKIE, "")).strip('"') or "UTC")
        except ValueError:
            zone = ZoneInfo("UTC")
    if system:
        if system not in UNIT_SYSTEMS:
            raise BadRequest(f"units is one of {', '.join(UNIT_SYSTEMS)}")
        remember.append(Cookie(key=UNITS_COOKIE, value=system, max_age=REMEMBER, path="/", samesite="lax"))
    else:
        system = request.cookies.get(UNITS_COOKIE, "metric")
        system = system if system in UNIT_SYSTEMS else "metric"
    return zone, system, remember


NOVELTY = {"new": "within 3 reporting intervals", "expiring": "older than 3 reporting intervals",
           "old": "older than 6 reporting intervals"}  # fmt: skip


def every(seconds: int) -> str:
    """A reporting interval in words: 5 min, 1 h, 90 s."""
    for size, unit in ((86_400, "d"), (3600, "h"), (60, "min")):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def local(text: str | None, zone: ZoneInfo, never: str = "never") -> str:
    """A wire time in the viewer's zone, to the minute."""
    if not text:
        return never
    return datetime.fromtimestamp(parse_time(text) / 1000, UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")


@get("/orgs/{org:str}/sensors")
async def sensors_page(
    request: Request[Any, Any, Any],
    org: Org,
    viewer: ConsoleUser,
    app_state: AppStateDep,
    q: Annotated[str, QueryParameter(max_length=100)] = "",
    workspace: Short = "",
    group: Annotated[str, QueryParameter(max_length=100)] = "",
    asset: Text = "",
    tag: Annotated[str, QueryParameter(max_length=50)] = "",
    page_number: Annotated[int, QueryParameter(name="page", ge=1, le=1_000_000)] = 1,  # as PageNumber
    size: PageSize = DEFAULT_PAGE_SIZE,
    tz: Short = "",
    units: Short = "",
) -> Template:
    """GET /v1/sensors's list, in this organization, with the same filters, page size and page numbers."""
    membership = viewer.membership_named(org)
    zone, _, remember = _zone_and_units(request, tz, units)
    filters = {"q": q.strip() or None, "workspace_id": int(workspace) if workspace.isdigit() else None,
               "device_group": group or None, "asset": asset or None, "tag": tag or None}  # fmt: skip
    now_ms = int(utcnow().timestamp() * 1000)
    view = await app_state.db.read(
        sensors_view, viewer, membership.organization_id, now_ms=now_ms, page=page_number, size=size, **filters
    )
    kept = {k: v for k, v in {"q": q, "workspace": workspace, "group": group, "asset": asset, "tag": tag}.items() if v}
    if size != DEFAULT_PAGE_SIZE:
        kept["size"] = str(size)

    def page_link(number: int) -> str:
        return "?" + urlencode({**kept, "page": number})

    shown = page(
        request, "sensors.html", "Sensors", viewer, membership, current="Sensors", view=view, zone=zone.key,
        filters={"q": q, "workspace": workspace, "group": group, "asset": asset, "tag": tag}, filtered=bool(kept),
        last_seen={r.sensor.id: local(r.sensor.last_seen, zone) for r in view.rows}, page_link=page_link,
        every=every, novelty_text=NOVELTY,
    )  # fmt: skip
    shown.cookies.extend(remember)
    return shown


@get("/orgs/{org:str}/sensors/{sensor_id:int}")
async def sensor_page(
    request: Request[Any, Any, Any],
    org: Org,
    sensor_id: Id,
    viewer: ConsoleUser,
    app_state: AppStateDep,
    range_key: Annotated[str, QueryParameter(name="range", max_length=10)] = "24h",
    start: Annotated[str, QueryParameter(name="from", max_length=40)] = "",
    end: Annotated[str, QueryParameter(name="to", max_length=40)] = "",
    tz: Short = "",
    units: Short = "",
) -> Template:
    membership = viewer.membership_named(org)
    zone, system, remember = _zone_and_units(request, tz, units)
    if range_key not in RANGES and range_key != "custom":
        raise BadRequest(f"range is one of {', '.join(RANGES)} or custom")
    now_ms = int(utcnow().timestamp() * 1000)
    shown = window(range_key, start, end, zone, now_ms)
    view = await app_state.db.read(
        sensor_view, viewer, membership.organization_id, sensor_id, shown, zone, system, now_ms
    )
    answer = page(
        request, "sensor.html", view.sensor.name, viewer, membership, current="Sensors", view=view,
        shown=shown, ranges=[(k, v[0]) for k, v in RANGES.items()], systems=list(UNIT_SYSTEMS.items()),
        system=system, zone=zone.key, zones=_zones(zone.key), charts=[_chart(m, shown, zone) for m in view.metrics],
        csv=[_csv_link(view, m, shown, zone) for m in view.metrics], local=lambda t: local(t, zone, "—"),
        custom_from=_field(shown.start, zone), custom_to=_field(shown.end, zone), every=every,
        number=charts.format_number, bucket_words=_bucket_words(shown.bucket, plural=True),
    )  # fmt: skip
    answer.cookies.extend(remember)
    return answer


def _chart(metric: MetricData, shown: Window, zone: ZoneInfo) -> charts.Chart:
    banded = shown.bucket_ms >= BANDS_FROM
    points = [
        charts.Point(parse_time(b.start), b.avg if b.avg is not None else 0.0, b.min if banded else None,
                     b.max if banded else None)
        for b in metric.buckets
    ]  # fmt: skip
    # The aggregate widens the window to whole buckets: the first may start before the range does.
    begin = min(shown.start, points[0].at) if points else shown.start
    title = f"{metric.description}, {metric.metric}, average per {_bucket_words(shown.bucket)}"
    return charts.line_chart(title, metric.unit, points, zone, begin, shown.end, gap_ms=int(shown.bucket_ms * 2.5))


def _bucket_words(bucket: str, *, plural: bool = False) -> str:
    words = {"PT1M": "minute", "PT5M": "5 minutes", "PT15M": "15 minutes", "PT1H": "hour", "PT6H": "6 hours",
             "P1D": "day", "P7D": "week"}.get(bucket, bucket)  # fmt: skip
    return ("a " + words if words[0].isalpha() else words) if plural else words


def _csv_link(view: SensorView, metric: MetricData, shown: Window, zone: ZoneInfo) -> str:
    """GET /v1/measurements/aggregate with exactly the parameters the chart was read with, as CSV."""
    query = {"sensor": view.sensor.id, "metric": metric.metric, "from": shown.start_text, "to": shown.end_text,
             "bucket": shown.bucket, "tz": zone.key, "fn": FUNCTIONS}  # fmt: skip
    if metric.asked_unit:
        query["unit"] = metric.asked_unit
    return "/v1/measurements/aggregate?" + urlencode({**query, "format": "csv"})


def _field(ms: int, zone: ZoneInfo) -> str:
    """A time as a datetime-local field shows it, in the viewer's zone."""
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone).strftime("%Y-%m-%dT%H:%M")


COMMON_ZONES = ["UTC", "Europe/London", "Europe/Berlin", "Europe/Helsinki", "America/New_York", "America/Chicago",
                "America/Denver", "America/Los_Angeles", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney"]  # fmt: skip


def _zones(current: str) -> list[str]:
    return COMMON_ZONES if current in COMMON_ZONES else [current, *COMMON_ZONES]


ROUTES = [sensors_page, sensor_page]
