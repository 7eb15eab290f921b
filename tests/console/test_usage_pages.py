"""The usage pages: an organization's and a key's days as charts (with their numbers as tables), against the plan,
the top keys, 30 or 90 days, who may see them, 404 across tenants, and bad input."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.db.engine import Database
from tests.conftest import add_user
from tests.console.helpers import Client, console_login, key_form, secret_on, submit
from tests.console.test_access import workspace_id


def owner_with_key(client: Client, db: Database, **fields: str) -> tuple[int, str]:
    add_user(db, "owner@acme.example", "acme")
    console_login(client, "owner@acme.example")
    made = submit(client, "/orgs/acme/keys", key_form(workspace_id(client, "acme"), **fields))
    assert made.status_code == 201, made.text
    key = int(re.search(r'href="/orgs/acme/keys/(\d+)"', made.text).group(1))  # type: ignore[union-attr]
    return key, secret_on(made.text)


def chart_table(page: str, caption: str) -> list[tuple[str, str]]:
    """The (day, value) rows of the chart whose table has this caption."""
    table = re.search(rf"<caption>{re.escape(caption)}[^<]*</caption>.*?<tbody>(.*?)</tbody>", page, re.S)
    assert table, f"no chart {caption!r}"
    return re.findall(r'<th scope="row">([^<]*)</th><td>([^<]*)</td>', table.group(1))


def use(app: Litestar, secret: str, path: str, times: int, method: str = "GET") -> list[int]:
    with TestClient(app=app, base_url="https://testserver.local") as client:
        return [client.request(method, path, headers={"X-API-Key": secret}, json={}).status_code for _ in range(times)]


def test_the_organization_page_counts_requests_and_refusals_by_reason(
    client: Client, db: Database, app: Litestar
) -> None:
    key, secret = owner_with_key(client, db, name="Grafana")
    assert use(app, secret, "/v1/sensors", 3) == [200] * 3
    assert use(app, secret, "/v1/sensors", 2, "POST") == [403] * 2  # data:read only: refused for its scope
    page = client.get("/orgs/acme/usage")
    assert page.status_code == 200
    requests = chart_table(page.text, "Requests per day (requests)")
    assert len(requests) == 30 and requests[-1][1] == "3" and all(v == "0" for _, v in requests[:-1])
    assert chart_table(page.text, "Refusals per day (refusals)")[-1][1] == "2"
    assert chart_table(page.text, "Refusals: scope (refusals)")[-1][1] == "2"
    assert "Refusals: limit" not in page.text  # no chart for a reason that did not happen
    top = re.search(r'id="top-requests".*?</table>', page.text, re.S).group(0)  # type: ignore[union-attr]
    assert f'href="/orgs/acme/keys/{key}">Grafana</a>' in top and '<td data-label="Requests">3</td>' in top
    assert "1,000,000 requests per PT15M" in page.text and "<dd>none</dd>" in page.text
    assert len(chart_table(client.get("/orgs/acme/usage?days=90").text, "Requests per day (requests)")) == 90


def test_a_daily_quota_is_drawn_on_the_key_page(client: Client, db: Database, app: Litestar) -> None:
    key, secret = owner_with_key(client, db, name="Limited")
    csrf = {"X-CSRF-Token": client.cookies["sg_csrf"]}
    changed = client.patch("/v1/organizations/acme/settings", json={"plan": {"daily": 5000}}, headers=csrf)
    assert changed.status_code == 200
    use(app, secret, "/v1/sensors", 4)
    page = client.get(f"/orgs/acme/keys/{key}")
    assert page.status_code == 200
    assert chart_table(page.text, "Requests per day (requests); daily quota 5,000: 5,000")[-1][1] == "4"
    assert 'class="chart-limit"' in page.text
    org = client.get("/orgs/acme/usage").text
    assert chart_table(org, "Most requests by one key, per day (requests); daily quota 5,000: 5,000")[-1][1] == "4"


@pytest.mark.parametrize("days", ["7", "abc", "3650"])
def test_bad_days_are_400_with_the_message(client: Client, db: Database, days: str) -> None:
    key, _ = owner_with_key(client, db)
    page = client.get(f"/orgs/acme/usage?days={days}")
    assert page.status_code == 400 and "days: give 30 or 90" in page.text
    on_key = client.get(f"/orgs/acme/keys/{key}?days={days}")
    assert on_key.status_code == 400 and "days: give 30 or 90" in on_key.text
    assert client.get(f"/orgs/acme/usage?days={'9' * 20}").status_code == 400  # past the parameter's length


def test_a_member_sees_only_its_own_keys_and_a_viewer_gets_403(client: Client, db: Database, app: Litestar) -> None:
    _, secret = owner_with_key(client, db, name="Owner key")
    use(app, secret, "/v1/sensors", 2)
    add_user(db, "member@acme.example", "acme", "member")
    add_user(db, "viewer@acme.example", "acme", "viewer")
    members = client.get("/v1/organizations/acme/members").json()["items"]
    member = next(m["userId"] for m in members if m["role"] == "member")
    submit(client, f"/orgs/acme/members/{member}", {"role": "member", "integrations": "1"})
    client.cookies.clear()
    console_login(client, "member@acme.example")
    page = client.get("/orgs/acme/usage").text
    assert "0 keys of yours" in page and "Owner key" not in page
    assert chart_table(page, "Requests per day (requests)")[-1][1] == "0"
    client.cookies.clear()
    console_login(client, "viewer@acme.example")
    assert client.get("/orgs/acme/usage").status_code == 403


def test_another_tenant_is_404_and_no_session_goes_to_login(client: Client, db: Database) -> None:
    key, _ = owner_with_key(client, db)
    add_user(db, "eve@evil.example", "evil")
    client.cookies.clear()
    assert client.get("/orgs/acme/usage", follow_redirects=False).headers["location"] == "/login?next=/orgs/acme/usage"
    console_login(client, "eve@evil.example")
    assert client.get("/orgs/acme/usage").status_code == 404
    assert client.get(f"/orgs/evil/keys/{key}").status_code == 404
    assert "0 keys" in client.get("/orgs/evil/usage").text
