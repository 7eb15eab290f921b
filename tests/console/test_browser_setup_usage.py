"""The setup and usage pages in Chromium, against a real `sensorgate serve --demo`: a key's usage chart moves after
requests made with that key, a virtual sensor with a bad expression shows the API's own error, and every page fits
both widths and is photographed.

The accessible names used here (role, then name) are the console's contract; see docs/api.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.console.conftest import WIDTHS, Live, OpenPage, log_in
from tests.console.test_browser import _fits, create_key, unique

pytestmark = pytest.mark.browser


def last_day(page: Any, caption: str) -> tuple[str, float]:
    """The newest day's number in the chart's table, and the height of its bar in the SVG."""
    figure = page.locator("figure.chart").filter(has=page.locator("caption", has_text=caption)).first
    value = figure.locator("table.chart-table tbody tr").last.locator("td").inner_text()
    height = float(figure.locator("rect.chart-bar").last.get_attribute("height"))
    return value, height


def test_a_key_usage_chart_moves_after_requests_with_that_key(open_page: OpenPage, live: Live) -> None:
    page = open_page()
    log_in(page, live.admin, live.password)
    secret = create_key(page, unique("charted"))
    page.get_by_role("link", name="I have copied it: go to the key").click()
    usage = page.get_by_role("region", name="Usage")
    assert usage.get_by_role("link", name="Last 30 days").get_attribute("aria-current") == "page"
    assert usage.get_by_role("img", name="Requests per day").count() == 1
    before, bar = last_day(page, "Requests per day")
    assert (before, bar) == ("0", 0.0)
    for _ in range(3):
        assert httpx.get(f"{live.base}/v1/sensors", headers={"X-API-Key": secret}).status_code == 200
    refused = httpx.post(f"{live.base}/v1/measurements", headers={"X-API-Key": secret}, json={"items": []})
    assert refused.status_code == 403  # the key has data:read only: refused for its scope
    page.reload()
    after, bar = last_day(page, "Requests per day")
    assert after == "3" and bar > 0
    assert last_day(page, "Refusals: scope")[0] == "1"
    # The organization's page counts it too, among the top keys by requests.
    page.get_by_role("link", name="Usage", exact=True).click()
    assert page.get_by_role("heading", name="Usage", level=1).count() == 1
    assert page.get_by_role("region", name="Top keys by requests").get_by_role("link").count() >= 1
    page.get_by_role("link", name="Last 90 days").click()
    page.wait_for_url("**days=90")
    assert page.locator("figure.chart").first.locator("table.chart-table tbody tr").count() == 90


def demo_sensor(live: Live) -> tuple[int, str]:
    """A demo sensor and one of its metrics, read through the API as the admin."""
    with httpx.Client(base_url=live.base, timeout=30) as admin:
        admin.post("/v1/auth/login", json={"email": live.admin, "password": live.password})
        sensor = admin.get("/v1/sensors").json()["items"][0]
    return sensor["id"], sensor["metrics"][0]["metric"]


def test_a_bad_expression_shows_the_api_error(open_page: OpenPage, live: Live) -> None:
    sensor, metric = demo_sensor(live)
    page = open_page()
    log_in(page, live.admin, live.password)
    page.get_by_role("link", name="Setup", exact=True).click()
    page.get_by_role("link", name="Virtual sensors", exact=True).click()
    page.get_by_label("Name", exact=True).fill(unique("dew point"))
    page.get_by_label("Metric", exact=True).fill("dew_point")
    page.get_by_label("Unit", exact=True).fill("°C")
    page.get_by_label("Expression", exact=True).fill("t +* 2")
    page.get_by_label("Inputs", exact=True).fill(f"t={sensor}/{metric}")
    page.get_by_role("button", name="Create virtual sensor").click()
    shown = page.get_by_role("alert").inner_text()
    # The API's answer to the same body, word for word.
    with httpx.Client(base_url=live.base, timeout=30) as admin:
        login = admin.post("/v1/auth/login", json={"email": live.admin, "password": live.password})
        admin.headers["X-CSRF-Token"] = login.json()["csrfToken"]
        body = {"name": "dew point", "metrics": [{"metric": "dew_point", "unit": "°C", "expression": "t +* 2",
                "inputs": {"t": {"sensor": sensor, "metric": metric}}}]}  # fmt: skip
        answer = admin.post("/v1/sensors", json=body)
    assert answer.status_code == 400
    assert shown == answer.json()["message"] and "invalid expression" in shown
    assert page.get_by_label("Expression", exact=True).get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Expression", exact=True).input_value() == "t +* 2"  # what was typed stays
    # Corrected, it is made and listed.
    page.get_by_label("Expression", exact=True).fill("t * 2")
    page.get_by_role("button", name="Create virtual sensor").click()
    assert page.get_by_role("status").inner_text() == "Virtual sensor created."
    assert page.get_by_role("table", name="Virtual sensors").get_by_text("dew_point").count() >= 1


SHOTS = {
    "virtual-sensors": "/orgs/demo/virtual-sensors",
    "alarm-rules": "/orgs/demo/alarm-rules",
    "assets": "/orgs/demo/assets",
    "device-groups": "/orgs/demo/device-groups",
    "usage": "/orgs/demo/usage",
    "usage-90": "/orgs/demo/usage?days=90",
}


@pytest.mark.parametrize("width", WIDTHS.values(), ids=list(WIDTHS))
def test_setup_and_usage_pages_fit_and_are_photographed(
    open_page: OpenPage, live: Live, screenshots: Path, width: int
) -> None:
    page = open_page(width=width)
    log_in(page, live.owner, live.owner_password)
    for name, path in SHOTS.items():
        page.goto(path)
        page.wait_for_load_state("networkidle")  # console.js may show a first page again, in the browser's zone
        assert page.get_by_role("heading", level=1).count() == 1
        _fits(page, name, width)
        page.screenshot(path=screenshots / f"{name}-{width}.png", full_page=True)
    page.goto("/orgs/demo/keys")
    charted = page.get_by_role("link", name=re.compile("^charted "))  # the key the first test used, if it ran
    other = page.locator('a[href^="/orgs/demo/keys/"]:not([href*="new"])')
    (charted if charted.count() else other).first.click()
    page.wait_for_load_state("networkidle")
    _fits(page, "key-usage", width)
    page.get_by_role("region", name="Usage").screenshot(path=screenshots / f"key-usage-{width}.png")
