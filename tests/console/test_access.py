"""Who reaches which console page: login and logout, the navigation each role sees, 403 for a role that posts
anyway, 404 across tenants, CSRF, and the security headers."""

from __future__ import annotations

import re

import pytest

from sensorgate.db.engine import Database
from tests.conftest import add_user
from tests.console.helpers import Client, console_login, key_form, submit


def workspace_id(client: Client, slug: str) -> int:
    items = client.get("/v1/workspaces").json()["items"]
    return next(w["id"] for w in items if w["slug"] == slug)


def nav(page: str) -> list[str]:
    block = re.search(r'<nav class="main"[^>]*>(.*?)</nav>', page, re.S)
    return re.findall(r">([A-Za-z]+)</a>", block.group(1)) if block else []


def test_a_page_without_a_session_sends_to_login_and_back(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    first = client.get("/orgs/acme/keys?status=active", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=/orgs/acme/keys%3Fstatus%3Dactive"
    login = client.get(first.headers["location"])
    assert 'name="next" value="/orgs/acme/keys?status=active"' in login.text
    done = client.post(
        "/login",
        data={"email": "owner@acme.example", "password": "correct horse battery staple", "next": "/orgs/acme/keys"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/orgs/acme/keys"
    assert client.get("/orgs/acme/keys").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_to_another_site(client: Client, db: Database, target: str) -> None:
    add_user(db, "owner@acme.example", "acme")
    done = client.post(
        "/login",
        data={"email": "owner@acme.example", "password": "correct horse battery staple", "next": target},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/"


def test_a_wrong_password_is_shown_on_the_login_page(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    page = client.post("/login", data={"email": "owner@acme.example", "password": "wrong password!"})
    assert page.status_code == 400
    assert "wrong email or password" in page.text
    assert 'value="owner@acme.example"' in page.text  # the email stays filled in
    assert "sg_session" not in client.cookies


def test_logout_ends_the_session(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    console_login(client, "owner@acme.example")
    cookie = client.cookies["sg_session"]
    assert submit(client, "/logout").headers["location"] == "/login"
    # The old cookie is worthless afterwards, even if a copy of it is kept.
    client.cookies.set("sg_session", cookie)
    assert client.get("/orgs/acme/", follow_redirects=False).status_code == 303
    assert client.get("/v1/me").status_code == 401


def test_navigation_shows_what_each_role_may_use(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    for role in ("owner", "admin", "member", "viewer"):
        add_user(db, f"{role}@acme.example", "acme", role)
    expected = {
        "owner": ["Overview", "Sensors", "Setup", "Keys", "Usage", "Members", "Settings"],
        "admin": ["Overview", "Sensors", "Setup", "Keys", "Usage", "Members", "Settings"],
        "member": ["Overview", "Sensors", "Setup"],
        "viewer": ["Overview", "Sensors", "Setup"],
    }
    for role, items in expected.items():
        client.cookies.clear()
        console_login(client, f"{role}@acme.example")
        assert nav(client.get("/orgs/acme/").text) == items, role


def test_a_member_of_two_organizations_switches_between_them(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    add_user(db, "owner@acme.example", "globex", "viewer")
    console_login(client, "owner@acme.example")
    home = client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/orgs/acme/"  # the first, by slug
    page = client.get("/orgs/acme/").text
    assert 'href="/orgs/globex/">globex (viewer)</a>' in page
    # The role of each organization, not the best one.
    assert nav(client.get("/orgs/globex/").text) == ["Overview", "Sensors", "Setup"]
    assert client.get("/orgs/globex/keys").status_code == 403


def test_a_viewer_reaches_no_management_page_and_gets_403_when_it_posts(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    add_user(db, "viewer@acme.example", "acme", "viewer")
    console_login(client, "viewer@acme.example")
    workspace = workspace_id(client, "acme")
    overview = client.get("/orgs/acme/")
    assert "Create key" not in overview.text
    for path in ("/orgs/acme/keys", "/orgs/acme/keys/new", "/orgs/acme/members", "/orgs/acme/settings"):
        page = client.get(path)
        assert page.status_code == 403, path
        assert "Forbidden" in page.text
    refused = submit(client, "/orgs/acme/keys", key_form(workspace))
    assert refused.status_code == 403
    assert client.get("/v1/keys").status_code == 403
    assert submit(client, "/orgs/acme/settings", {"max_active_keys": "50"}).status_code == 403
    assert submit(client, "/orgs/acme/members", {"email": "new@acme.example", "role": "viewer"}).status_code == 403


def test_a_member_with_integrations_write_manages_only_its_own_keys(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    add_user(db, "member@acme.example", "acme", "member")
    console_login(client, "owner@acme.example")
    workspace = workspace_id(client, "acme")
    owner_key = submit(client, "/orgs/acme/keys", key_form(workspace, name="owner's key"))
    assert owner_key.status_code == 201
    member_id = next(m["userId"] for m in client.get("/v1/organizations/acme/members").json()["items"]
                     if m["email"] == "member@acme.example")  # fmt: skip
    assert submit(client, f"/orgs/acme/members/{member_id}", {"role": "member", "integrations": "1"}).status_code == 303
    client.cookies.clear()
    console_login(client, "member@acme.example")
    assert nav(client.get("/orgs/acme/").text) == ["Overview", "Sensors", "Setup", "Keys", "Usage"]
    created = submit(client, "/orgs/acme/keys", key_form(workspace, name="member's key"))
    assert created.status_code == 201
    listing = client.get("/orgs/acme/keys").text
    assert "member&#39;s key" in listing
    assert "owner&#39;s key" not in listing
    # A member cannot grant what its role does not hold.
    refused = submit(client, "/orgs/acme/keys", key_form(workspace, name="wide", scope=["usage:read"]))
    assert refused.status_code == 403
    assert "your role cannot grant usage:read" in refused.text


def test_another_tenants_pages_and_keys_are_not_found(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    add_user(db, "owner@globex.example", "globex")
    console_login(client, "owner@acme.example")
    acme_key = submit(client, "/orgs/acme/keys", key_form(workspace_id(client, "acme")))
    key_id = int(re.search(r"/orgs/acme/keys/(\d+)\"", acme_key.text).group(1))
    client.cookies.clear()
    console_login(client, "owner@globex.example")
    for path in ("/orgs/acme/", "/orgs/acme/keys", "/orgs/acme/members", "/orgs/acme/settings"):
        assert client.get(path).status_code == 404, path
    # Globex's own pages do not show Acme's key either, even by id.
    assert client.get(f"/orgs/globex/keys/{key_id}").status_code == 404
    assert submit(client, f"/orgs/globex/keys/{key_id}/revoke", {"confirm": "console key"}).status_code == 404
    assert submit(client, f"/orgs/acme/keys/{key_id}/revoke", {"confirm": "console key"}).status_code == 404
    client.cookies.clear()
    console_login(client, "owner@acme.example")
    assert client.get(f"/v1/keys/{key_id}").json()["revokedAt"] is None


def test_a_form_without_the_csrf_token_changes_nothing(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    console_login(client, "owner@acme.example")
    form = key_form(workspace_id(client, "acme"))
    for token in ("", "not-the-token"):
        refused = client.post("/orgs/acme/keys", data={**form, "csrf_token": token})
        assert refused.status_code == 403
        assert "did not come from your console session" in refused.text
    assert client.get("/v1/keys").json()["items"] == []


def test_pages_carry_a_strict_content_security_policy_and_are_not_cached(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    console_login(client, "owner@acme.example")
    for path in ("/login", "/orgs/acme/", "/orgs/acme/keys", "/orgs/acme/keys/new"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self';" in policy  # no inline script, nothing from elsewhere
        assert "frame-ancestors 'none'" in policy
        assert headers["cache-control"] == "no-store"
    page = client.get("/orgs/acme/keys").text
    assert "<script>" not in page and "style=" not in page  # CSP would block them
    for asset in re.findall(r'(?:href|src)="(/console/static/[^"]+)"', page):
        assert client.get(asset).status_code == 200, asset
