"""Every console flow end to end in Chromium, against a real `sensorgate serve --demo`: log in and out, create a
key and copy its secret once, edit, reissue, revoke, delete, the log and its CSV, members, settings, key health,
a viewer who sees no management page, keyboard-only use, pages without scripts, and both widths.

The accessible names used here (role, then name) are the console's contract; see docs/api.md.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError

from sensorgate.console.examples import examples
from tests.console.conftest import WIDTHS, Live, OpenPage, log_in

pytestmark = pytest.mark.browser


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def create_key(page: Any, name: str, **choices: Any) -> str:
    """Fill in the create form as an admin would and return the secret shown once."""
    page.goto("/orgs/demo/keys")
    page.get_by_role("button", name="Create key").click()
    page.get_by_label("Name", exact=True).fill(name)
    for label, value in choices.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_role("textbox", name="Secret", exact=True)
    return str(secret.input_value())


def test_an_admin_creates_a_key_copies_the_secret_and_never_sees_it_again(open_page: OpenPage, live: Live) -> None:
    page = open_page()
    log_in(page, live.admin, live.password)
    page.goto("/orgs/demo/keys")
    page.get_by_role("button", name="Create key").click()
    # The least-privilege start: data:read only, the shortest preset, one workspace.
    assert page.get_by_role("checkbox", name="data:read", exact=True).is_checked()
    assert not page.get_by_role("checkbox", name="data:write", exact=True).is_checked()
    assert page.get_by_label("Expires", exact=True).input_value() == "7d"
    assert "cannot change later" in page.content()
    name = unique("Grafana")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Description", exact=True).fill("dashboards on the wall")
    page.get_by_label("Owner", exact=True).fill("ops team")
    page.get_by_label("Email", exact=True).fill("ops@demo.example")
    page.get_by_label("Expires", exact=True).select_option("1m")
    page.get_by_role("checkbox", name="usage:read", exact=True).check()
    page.get_by_label("Can renew", exact=True).check()
    page.get_by_label("Device group", exact=True).select_option(index=1)
    page.get_by_role("button", name="Create key").click()

    secret_box = page.get_by_role("textbox", name="Secret", exact=True)
    secret = secret_box.input_value()
    assert re.fullmatch(r"sgk_[0-9A-Za-z]{28}", secret)
    assert "never again" in page.content()
    page.get_by_role("button", name="Copy", exact=True).click()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    # The key works with exactly what was granted.
    assert httpx.get(f"{live.base}/v1/sensors", headers={"X-API-Key": secret}).status_code == 200
    # Leaving the page loses it: it is in no page after this one.
    page.get_by_role("link", name="I have copied it: go to the key").click()
    assert name in page.content() and secret not in page.content()
    assert page.get_by_role("checkbox", name="usage:read", exact=True).is_disabled()  # fixed fields are locked
    # Back does not bring it back: the page was the answer to a post, and no-store kept no copy to show.
    with pytest.raises(PlaywrightError, match="ERR_CACHE_MISS"):
        page.go_back()
    page.wait_for_url(re.compile("^chrome-error:"))  # Chromium's own error page, not ours
    page.goto("/orgs/demo/keys")
    assert secret not in page.content()
    assert secret not in live.server_logs()  # nor in any log line of the server


def test_edit_reissue_revoke_and_delete_a_key(open_page: OpenPage, live: Live) -> None:
    page = open_page()
    log_in(page, live.admin, live.password)
    name = unique("backfill")
    old = create_key(page, name)
    page.get_by_role("link", name="I have copied it: go to the key").click()

    page.get_by_label("Owner", exact=True).fill("data team")
    page.get_by_role("button", name="Save", exact=True).click()
    assert page.get_by_role("status").inner_text() == "Saved."
    assert page.get_by_label("Owner", exact=True).input_value() == "data team"

    page.get_by_label("The old secret stops").select_option("1h")
    page.get_by_role("button", name="Reissue", exact=True).click()
    new = page.get_by_role("textbox", name="Secret", exact=True).input_value()
    assert new != old
    for secret in (old, new):  # the overlap: both work for the hour chosen
        assert httpx.get(f"{live.base}/v1/sensors", headers={"X-API-Key": secret}).status_code == 200
    page.get_by_role("link", name="I have copied it: go to the key").click()

    page.get_by_label(re.compile("Type the key's name")).fill("not the name")
    page.get_by_role("button", name="Revoke", exact=True).click()
    assert "type the key's name exactly to confirm" in page.get_by_role("alert").first.inner_text()
    assert httpx.get(f"{live.base}/v1/sensors", headers={"X-API-Key": new}).status_code == 200
    page.get_by_label(re.compile("Type the key's name")).fill(name)
    page.get_by_role("button", name="Revoke", exact=True).click()
    assert "The key is revoked" in page.get_by_role("status").inner_text()
    assert httpx.get(f"{live.base}/v1/sensors", headers={"X-API-Key": new}).status_code == 401
    assert page.get_by_role("button", name="Reissue").count() == 0  # revoked: read-only
    assert page.get_by_role("button", name="Save").count() == 0

    page.goto("/orgs/demo/keys")
    assert page.get_by_role("link", name=name).count() == 0
    page.get_by_role("checkbox", name="Show revoked").check()  # applies at once, with the script
    page.wait_for_url("**revoked=1**")
    assert page.get_by_role("link", name=name).count() == 1

    page.get_by_role("link", name=name).click()
    page.get_by_label(re.compile("Type the key's name")).fill(name)
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_url("**/orgs/demo/keys?done=deleted")
    page.get_by_role("checkbox", name="Show revoked").check()
    page.wait_for_url("**revoked=1**")
    assert page.get_by_role("link", name=name).count() == 0


def test_the_log_shows_use_and_refusals_and_downloads_as_csv(open_page: OpenPage, live: Live, tmp_path: Path) -> None:
    page = open_page()
    log_in(page, live.admin, live.password)
    secret = create_key(page, unique("logged"))
    assert httpx.get(f"{live.base}/v1/sensors", headers={"X-API-Key": secret}).status_code == 200
    refused = httpx.delete(f"{live.base}/v1/alarm-rules/1", headers={"X-API-Key": secret})
    assert refused.status_code == 403  # no sensors:write
    page.get_by_role("link", name="I have copied it: go to the key").click()
    log = page.get_by_role("region", name="Log").get_by_role("table")
    for event in ("created", "used", "refused"):
        assert log.get_by_text(event, exact=True).count() >= 1, event
    page.get_by_label("Event", exact=True).select_option("refused")
    page.get_by_role("button", name="Show", exact=True).click()
    assert log.get_by_text("used", exact=True).count() == 0
    assert log.get_by_text("scope", exact=True).count() == 1  # the reason
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    saved = tmp_path / "log.csv"
    download.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("time,event,count")
    assert [line.split(",")[1] for line in lines[1:]] == ["refused"]


def test_a_viewer_sees_no_management_and_is_refused_if_it_posts(open_page: OpenPage, live: Live) -> None:
    page = open_page()
    log_in(page, live.viewer, live.password)
    navigation = page.get_by_role("navigation", name="Main")
    assert navigation.get_by_role("link").all_inner_texts() == ["Overview", "Sensors", "Setup"]  # both: to read
    assert page.get_by_role("button", name="Create key").count() == 0
    for path in ("/orgs/demo/keys", "/orgs/demo/keys/new", "/orgs/demo/members", "/orgs/demo/settings",
                 "/orgs/demo/usage"):  # fmt: skip
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        assert page.get_by_role("button", name="Create key").count() == 0
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "sg_csrf")
    posted = page.request.post(
        "/orgs/demo/keys", form={"csrf_token": csrf, "name": "sneaky", "workspace": "1", "scope": "data:read"}
    )
    assert posted.status == 403
    log_in(page, live.owner, live.owner_password)
    page.goto("/orgs/demo/keys")
    assert page.get_by_role("link", name="sneaky").count() == 0


def test_members_are_added_changed_granted_and_removed(open_page: OpenPage, live: Live) -> None:
    page = open_page()
    log_in(page, live.owner, live.owner_password)
    page.goto("/orgs/demo/members")
    assert "last owner" in page.content()
    assert page.get_by_role("button", name=f"Remove {live.owner}").is_disabled()
    email = f"{uuid.uuid4().hex[:6]}@demo.example"
    add = page.get_by_role("region", name="Add a member")
    add.get_by_label("Email").fill(email)
    add.get_by_label("Role").select_option("member")
    add.get_by_label("Password for a new account").fill(live.password)
    add.get_by_role("button", name="Add member").click()
    assert page.get_by_role("status").inner_text() == "Member added."

    row = page.get_by_role("row").filter(has_text=email)
    row.get_by_label(f"Role of {email}").select_option("viewer")
    row.get_by_role("checkbox", name="integrations:write").check()
    row.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "Member changed."
    row = page.get_by_role("row").filter(has_text=email)
    assert row.get_by_label(f"Role of {email}").input_value() == "viewer"
    assert row.get_by_role("checkbox", name="integrations:write").is_checked()

    page.once("dialog", lambda dialog: dialog.accept())  # "Remove ... from Demo?"
    row.get_by_role("button", name=f"Remove {email}").click()
    assert page.get_by_role("status").inner_text() == "Member removed."
    assert page.get_by_role("row").filter(has_text=email).count() == 0


def test_an_owner_sets_the_active_key_limit_that_the_key_list_shows(open_page: OpenPage, live: Live) -> None:
    page = open_page()
    log_in(page, live.admin, live.password)
    page.goto("/orgs/demo/settings")
    assert page.get_by_label("Active keys per user").is_disabled()  # admins read, owners change
    log_in(page, live.owner, live.owner_password)
    page.goto("/orgs/demo/settings")
    page.get_by_label("Active keys per user").fill("12")
    page.get_by_label("Requests per day").fill("50000")
    page.get_by_role("button", name="Save", exact=True).click()
    assert page.get_by_role("status").inner_text() == "Settings saved."
    assert "50,000 requests" in page.content()
    page.goto("/orgs/demo/keys")
    assert re.search(r"of the 12 active keys", page.content())
    page.goto("/orgs/demo/settings")
    page.get_by_label("Active keys per user").fill("5")
    page.get_by_label("Requests per day").fill("")
    page.get_by_role("button", name="Save", exact=True).click()


def test_keyboard_only_logs_in_and_creates_a_key(open_page: OpenPage, live: Live) -> None:
    page = open_page()
    page.goto("/login")
    page.keyboard.press("Tab")  # the brand link
    page.keyboard.press("Tab")
    page.keyboard.type(live.admin)
    page.keyboard.press("Tab")
    page.keyboard.type(live.password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/orgs/demo/")
    page.goto("/orgs/demo/keys/new")
    page.get_by_label("Name", exact=True).focus()
    page.keyboard.type(unique("keyboard"))
    # Tab through the whole form to its submit button; every control on the way takes focus.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Create key":
            break
    else:
        pytest.fail("Tab never reached the Create key button")
    page.keyboard.press("Enter")
    assert page.get_by_role("textbox", name="Secret", exact=True).input_value().startswith("sgk_")


def test_without_scripts_every_flow_but_copy_works(open_page: OpenPage, live: Live) -> None:
    page = open_page(javascript=False)
    log_in(page, live.admin, live.password)
    name = unique("no script")
    secret = create_key(page, name)
    assert secret.startswith("sgk_")
    page.get_by_role("link", name="I have copied it: go to the key").click()
    page.get_by_label(re.compile("Type the key's name")).fill(name)
    page.get_by_role("button", name="Revoke", exact=True).click()
    assert "The key is revoked" in page.content()
    page.goto("/orgs/demo/keys")
    page.get_by_role("checkbox", name="Show revoked").check()
    page.get_by_role("button", name="Filter").click()  # without the script, the filter's own button
    assert page.get_by_role("link", name=name).count() == 1


def test_key_health_offers_a_narrower_key(open_page: OpenPage, live: Live) -> None:
    page = open_page()
    log_in(page, live.admin, live.password)
    name = unique("wide")
    page.goto("/orgs/demo/keys/new")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Expires", exact=True).select_option("3m")
    page.get_by_role("checkbox", name="audit:read", exact=True).check()
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_role("textbox", name="Secret", exact=True).input_value()
    assert httpx.get(f"{live.base}/v1/sensors", headers={"X-API-Key": secret}).status_code == 200
    # Usage is written in batches, at most a second later.
    page.goto("/orgs/demo/keys")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))
    for _ in range(20):
        if row.get_by_text("unused scopes: audit:read").count():
            break
        page.wait_for_timeout(250)
        page.reload()
    row.get_by_role("link", name="Create a narrower key").click()
    assert page.get_by_role("checkbox", name="data:read", exact=True).is_checked()
    assert not page.get_by_role("checkbox", name="audit:read", exact=True).is_checked()
    assert page.get_by_label("Name", exact=True).input_value() == f"{name} (narrower)"


PAGES = {
    "login": "/login",
    "overview": "/orgs/demo/",
    "keys": "/orgs/demo/keys",
    "key-new": "/orgs/demo/keys/new",
    "members": "/orgs/demo/members",
    "settings": "/orgs/demo/settings",
}


@pytest.mark.parametrize("width", WIDTHS.values(), ids=list(WIDTHS))
def test_every_page_fits_its_width_and_is_photographed(
    open_page: OpenPage, live: Live, screenshots: Path, width: int
) -> None:
    page = open_page(width=width)
    page.goto("/login")
    page.screenshot(path=screenshots / f"login-{width}.png", full_page=True)
    log_in(page, live.owner, live.owner_password)
    for name, path in PAGES.items():
        if name == "login":
            continue
        page.goto(path)
        _fits(page, name, width)
        page.screenshot(path=screenshots / f"{name}-{width}.png", full_page=True)
    secret = create_key(page, unique("photographed"))
    assert secret
    _fits(page, "key-created", width)
    page.screenshot(path=screenshots / f"key-created-{width}.png", full_page=True)
    page.get_by_role("link", name="I have copied it: go to the key").click()
    _fits(page, "key", width)
    page.screenshot(path=screenshots / f"key-{width}.png", full_page=True)


def _fits(page: Any, name: str, width: int) -> None:
    """No page scrolls sideways; wide tables and code scroll inside their own box."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name} is {scroll} px wide at {width} px"


@pytest.mark.parametrize("kind", ["api_key", "signing_key", "oauth_client"])
def test_the_python_examples_run_as_pasted(live: Live, kind: str, tmp_path: Path) -> None:
    """The Python example of the secret page, run as a user would paste it, reads the sensors with the new key."""
    with httpx.Client(base_url=live.base, timeout=30) as admin:
        login = admin.post("/v1/auth/login", json={"email": live.admin, "password": live.password})
        admin.headers["X-CSRF-Token"] = login.json()["csrfToken"]
        body = {"name": unique(kind), "kind": kind, "workspaces": ["demo"], "expiresIn": "7d"}
        made = admin.post("/v1/keys", json=body)
        assert made.status_code == 201, made.text
        created = made.json()
        python = [e for e in examples(kind, live.base, created["secret"], created["publicId"]) if "Python" in e.title]
        script = tmp_path / "example.py"
        script.write_text(python[0].code)
        try:
            done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
        finally:
            admin.post(f"/v1/keys/{created['id']}/revoke")  # frees the admin's active-key slot for other tests
    assert done.returncode == 0, done.stderr
    assert "'items': [" in done.stdout and "'serial'" in done.stdout, done.stdout[:500]
