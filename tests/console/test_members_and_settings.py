"""The members page (add, change role, grant integrations:write, remove, the last-owner rule) and the
organization settings (admins read, owners change), through the console's forms."""

from __future__ import annotations

import re

from sensorgate.db.engine import Database
from tests.conftest import PASSWORD, add_user
from tests.console.helpers import Client, console_login, field_errors, submit


def members(client: Client) -> dict[str, dict[str, object]]:
    return {m["email"]: m for m in client.get("/v1/organizations/acme/members").json()["items"]}


def test_an_admin_adds_a_new_account_that_can_then_log_in(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    add_user(db, "admin@acme.example", "acme", "admin")
    console_login(client, "admin@acme.example")
    page = client.get("/orgs/acme/members").text
    assert '<option value="owner"' not in page.split('id="member-role"')[1].split("</select>")[0]
    done = submit(client, "/orgs/acme/members", {"email": "New@Acme.example", "role": "member",
                                                  "integrations": "1", "password": PASSWORD})  # fmt: skip
    assert done.status_code == 303
    assert "Member added." in client.get(done.headers["location"]).text
    added = members(client)["new@acme.example"]
    assert (added["role"], added["grants"]) == ("member", ["integrations:write"])
    client.cookies.clear()
    console_login(client, "new@acme.example")
    assert client.get("/orgs/acme/keys").status_code == 200  # integrations:write: its own keys


def test_adding_a_member_shows_the_apis_errors_next_to_the_field(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    add_user(db, "admin@acme.example", "acme", "admin")
    console_login(client, "admin@acme.example")
    short = submit(client, "/orgs/acme/members", {"email": "x@acme.example", "role": "viewer", "password": "short"})
    assert short.status_code == 400
    assert "password" in field_errors(short.text)
    unknown = submit(client, "/orgs/acme/members", {"email": "nobody@acme.example", "role": "viewer"})
    assert unknown.status_code == 400
    assert "give a password to create the account" in field_errors(unknown.text)[""]
    again = submit(client, "/orgs/acme/members", {"email": "owner@acme.example", "role": "viewer"})
    assert again.status_code == 409
    owner = submit(client, "/orgs/acme/members", {"email": "y@acme.example", "role": "owner", "password": PASSWORD})
    assert owner.status_code == 403
    assert "only an owner can add an owner" in owner.text
    assert set(members(client)) == {"owner@acme.example", "admin@acme.example"}


def test_roles_change_and_the_last_owner_is_shown_and_kept(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    add_user(db, "viewer@acme.example", "acme", "viewer")
    console_login(client, "owner@acme.example")
    ids = {email: m["userId"] for email, m in members(client).items()}
    page = client.get("/orgs/acme/members").text
    assert "The last owner: make someone else owner first." in page
    assert re.search(rf'id="role-{ids["owner@acme.example"]}" name="role" disabled', page)
    assert re.search(r'aria-label="Remove owner@acme.example" disabled', page)
    # Enforced too, not only shown.
    demote = submit(client, f"/orgs/acme/members/{ids['owner@acme.example']}", {"role": "admin"})
    assert demote.status_code == 409
    assert "keeps at least one owner" in demote.text
    assert submit(client, f"/orgs/acme/members/{ids['owner@acme.example']}/remove").status_code == 409
    # Make the viewer an owner: now either may step down.
    assert submit(client, f"/orgs/acme/members/{ids['viewer@acme.example']}", {"role": "owner"}).status_code == 303
    assert "The last owner" not in client.get("/orgs/acme/members").text
    assert submit(client, f"/orgs/acme/members/{ids['owner@acme.example']}", {"role": "admin"}).status_code == 303
    assert members(client)["owner@acme.example"]["role"] == "admin"


def test_grant_and_remove(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    viewer_id = add_user(db, "viewer@acme.example", "acme", "viewer")
    console_login(client, "owner@acme.example")
    assert submit(client, f"/orgs/acme/members/{viewer_id}", {"role": "viewer", "integrations": "1"}).status_code == 303
    assert members(client)["viewer@acme.example"]["grants"] == ["integrations:write"]
    assert submit(client, f"/orgs/acme/members/{viewer_id}", {"role": "viewer"}).status_code == 303
    assert members(client)["viewer@acme.example"]["grants"] == []
    done = submit(client, f"/orgs/acme/members/{viewer_id}/remove")
    assert done.status_code == 303
    assert "viewer@acme.example" not in members(client)
    assert submit(client, f"/orgs/acme/members/{viewer_id}/remove").status_code == 404


def test_an_admin_sees_the_settings_and_only_an_owner_changes_them(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    add_user(db, "admin@acme.example", "acme", "admin")
    console_login(client, "admin@acme.example")
    page = client.get("/orgs/acme/settings")
    assert page.status_code == 200
    assert "Only an owner changes these" in page.text and ">Save</button>" not in page.text
    assert 'value="5"' in page.text  # 5 active keys per user, the default
    refused = submit(client, "/orgs/acme/settings", {"max_active_keys": "50", "max_lifetime": "365"})
    assert refused.status_code == 403
    client.cookies.clear()
    console_login(client, "owner@acme.example")
    done = submit(client, "/orgs/acme/settings", {"max_active_keys": "8", "max_lifetime": "90", "requests": "600",
                                                   "window": "PT1M", "daily": "", "tokens": "30"})  # fmt: skip
    assert done.status_code == 303
    api = client.get("/v1/organizations/acme/settings").json()
    assert (api["maxActiveKeysPerUser"], api["maxKeyLifetimeDays"]) == (8, 90)
    assert api["plan"] == {"requests": 600, "window": "PT1M", "tokens": 30}
    assert "600 requests per PT1M" in client.get("/orgs/acme/settings?done=settings").text
    # The key form now stops at 90 days: the 6-month and 1-year presets are gone.
    offered = re.findall(r'<option value="(\d+[dmy])"', client.get("/orgs/acme/keys/new").text)
    assert offered == ["7d", "14d", "1m", "2m", "3m"]


def test_bad_settings_show_the_apis_error_and_change_nothing(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    console_login(client, "owner@acme.example")
    bad = submit(client, "/orgs/acme/settings", {"max_active_keys": "0", "max_lifetime": "365"})
    assert bad.status_code == 400
    assert "Expected `int` >= 1" in field_errors(bad.text)["maxActiveKeysPerUser"]
    window = submit(client, "/orgs/acme/settings", {"max_active_keys": "5", "max_lifetime": "365", "window": "P99D"})
    assert window.status_code == 400
    assert "a window is 1 second (PT1S) to 31 days (P31D)" in field_errors(window.text)["plan"]
    assert client.get("/v1/organizations/acme/settings").json()["plan"] == {}
