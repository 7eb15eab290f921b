"""The sensor pages end to end in Chromium, against a real `sensorgate serve --demo`: the demo's sensor list and its
filters, a sensor's page, ranges whose charts hold as many points as the aggregate API answers, the CSV against
the API, the viewer's time zone, and both widths in light and dark (the screenshots in docs/images).

The accessible names used here (role, then name) are the console's contract; see docs/api.md.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.console.conftest import CHROMIUM, WIDTHS, Live, OpenPage, log_in

pytestmark = pytest.mark.browser
DEMO_SENSORS = 21  # 20 devices and the virtual dew point


def sensor_rows(page: Any) -> Any:
    return page.get_by_role("table").locator("tbody tr")


def drawn_points(page: Any, index: int = 0) -> int:
    """What the browser drew in a chart: the vertices of its lines and its lone dots."""
    return int(
        page.evaluate(
            """(i) => { const svg = document.querySelectorAll("svg.chart-svg")[i];
            let n = svg.querySelectorAll("circle.chart-dot").length;
            for (const line of svg.querySelectorAll("polyline.chart-line")) n += line.points.numberOfItems;
            return n; }""",
            index,
        )
    )


def api_items(page: Any, link: str) -> list[dict[str, Any]]:
    """The aggregate API's JSON for the parameters of a chart's CSV link, with the page's own session."""
    query = dict(parse_qsl(urlsplit(link).query))
    answer = page.request.get("/v1/measurements/aggregate", params={**query, "format": "json"})
    assert answer.ok, answer.text()
    return answer.json()["items"]  # type: ignore[no-any-return]


def test_the_demo_sensor_list_filters_and_opens_a_sensor(open_page: OpenPage, live: Live) -> None:
    page = open_page()
    log_in(page, live.viewer, live.password)  # every member reads sensors
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sensors").click()
    assert sensor_rows(page).count() == DEMO_SENSORS
    assert page.locator(".badge.novelty", has_text="new").count() == DEMO_SENSORS  # the demo is live
    page.get_by_label("Tag", exact=True).select_option("cold-chain")  # applies at once (console.js)
    page.wait_for_url("**tag=cold-chain**")
    cold = sensor_rows(page).count()
    listed = page.request.get("/v1/sensors", params={"tag": "cold-chain"}).json()
    assert 0 < cold < DEMO_SENSORS and cold == listed["totalItems"]
    page.get_by_label("Tag", exact=True).select_option("")
    page.get_by_label("Search", exact=True).fill("office 1")
    page.get_by_role("button", name="Filter", exact=True).click()
    page.get_by_role("link", name="Office 1", exact=True).click()
    assert page.get_by_role("heading", name="Office 1").count() == 1
    assert page.get_by_role("region", name="Latest values").get_by_text("°C").count() == 1


def test_each_range_draws_what_the_aggregate_api_answers_and_the_csv_is_the_same(
    open_page: OpenPage, live: Live, tmp_path: Path
) -> None:
    page = open_page()
    log_in(page, live.owner, live.owner_password)
    page.goto("/orgs/demo/sensors")
    page.get_by_role("link", name="Office 1", exact=True).click()
    download_link = page.get_by_role("link", name="Download temperature as CSV")
    for choice in ("Last 6 hours", "Last 24 hours", "Last 7 days", "Last 30 days", "Last 1 year"):
        page.get_by_label("Range", exact=True).select_option(label=choice)
        page.wait_for_load_state()
        assert page.get_by_label("Range", exact=True).evaluate("s => s.selectedOptions[0].text") == choice
        items = api_items(page, download_link.get_attribute("href"))
        assert len(items) > 0, choice
        assert drawn_points(page) == len(items), choice
        shown = page.locator("svg.chart-svg").first.get_attribute("data-points")
        assert shown == str(len(items)), choice
    with page.expect_download() as download:
        download_link.click()
    saved = tmp_path / "temperature.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text())))
    items = api_items(page, download_link.get_attribute("href"))
    assert [(r["start"], int(r["count"]), float(r["min"]), float(r["avg"]), float(r["max"])) for r in rows] == [
        (i["start"], i["count"], i["min"], i["avg"], i["max"]) for i in items
    ]


def test_a_custom_range_without_scripts(open_page: OpenPage, live: Live) -> None:
    page = open_page(javascript=False)
    log_in(page, live.owner, live.owner_password)
    page.goto("/orgs/demo/sensors/1")
    page.get_by_label("Range", exact=True).select_option("custom")
    page.get_by_label("From", exact=True).fill("2020-01-01T00:00")
    page.get_by_label("To", exact=True).fill("2020-01-01T00:05")
    page.get_by_role("button", name="Show", exact=True).click()
    assert "at least 10 minutes" in page.content()  # the 400's own words
    page.goto("/orgs/demo/sensors/1")
    page.get_by_label("Units", exact=True).select_option("us")
    page.get_by_role("button", name="Show", exact=True).click()
    assert page.get_by_role("region", name="Latest values").get_by_text("°F").count() == 1


def test_times_follow_the_browsers_zone(browser: Any, live: Live) -> None:
    context = browser.new_context(base_url=live.base, timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        log_in(page, live.owner, live.owner_password)
        page.goto("/orgs/demo/sensors/1")  # the first visit remembers the zone, then shows the page in it
        page.wait_for_function("document.querySelector('#tz').value === 'Asia/Tokyo'")
        assert page.get_by_role("columnheader", name="Time (Asia/Tokyo)").count() >= 1
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=list(WIDTHS))
def test_the_sensor_pages_fit_and_are_photographed_light_and_dark(
    open_page: OpenPage, live: Live, screenshots: Path, width: int
) -> None:
    assert Path(CHROMIUM).exists()
    page = open_page(width=width)
    log_in(page, live.owner, live.owner_password)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for name, path in {"sensors": "/orgs/demo/sensors", "sensor": "/orgs/demo/sensors/1?range=7d"}.items():
            page.goto(path)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{name} is {scroll} px wide at {width} px"  # charts scroll in their own box
            page.screenshot(path=screenshots / f"{name}-{scheme}-{width}.png", full_page=True)
