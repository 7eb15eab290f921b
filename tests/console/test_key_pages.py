"""The console's key flows through plain forms: create (and the secret shown once), errors next to their fields in
the API's words, the active-key limit, edit, reissue, revoke, delete, the log and its CSV, and key health."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sensorgate.db.engine import Database
from sensorgate.kit.times import utcnow
from tests.conftest import add_user
from tests.console.helpers import Client, console_login, field_errors, key_form, secret_on, submit
from tests.console.test_access import workspace_id


def owner_session(client: Client, db: Database) -> int:
    add_user(db, "owner@acme.example", "acme")
    console_login(client, "owner@acme.example")
    return workspace_id(client, "acme")


def key_id_on(page: str) -> int:
    return int(re.search(r'href="/orgs/acme/keys/(\d+)"', page).group(1))


def test_the_create_form_starts_with_least_privilege(client: Client, db: Database) -> None:
    workspace = owner_session(client, db)
    page = client.get("/orgs/acme/keys/new").text
    assert re.search(r'name="scope" value="data:read" checked', page)
    assert len(re.findall(r'name="scope" value="[^"]+" checked', page)) == 1
    assert re.search(r'<option value="7d" selected>', page)  # the shortest preset
    assert re.findall(r'name="workspace" value="(\d+)" checked', page) == [str(workspace)]
    assert "cannot change later" in page


def test_the_create_form_offers_only_what_the_role_may_grant(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    add_user(db, "member@acme.example", "acme", "member")
    console_login(client, "owner@acme.example")
    owner_offer = set(re.findall(r'name="scope" value="([^"]+)"', client.get("/orgs/acme/keys/new").text))
    assert owner_offer == {"data:read", "data:write", "sensors:write", "keys:read", "keys:write", "usage:read",
                           "audit:read"}  # fmt: skip
    members = client.get("/v1/organizations/acme/members").json()["items"]
    member_id = next(m["userId"] for m in members if m["role"] == "member")
    submit(client, f"/orgs/acme/members/{member_id}", {"role": "member", "integrations": "1"})
    client.cookies.clear()
    console_login(client, "member@acme.example")
    member_offer = set(re.findall(r'name="scope" value="([^"]+)"', client.get("/orgs/acme/keys/new").text))
    assert member_offer == {"data:read", "data:write", "sensors:write", "keys:read", "keys:write"}


def test_a_created_secret_is_shown_once_and_works(client: Client, db: Database) -> None:
    workspace = owner_session(client, db)
    created = submit(client, "/orgs/acme/keys", key_form(workspace, name="Grafana", owner="ops"))
    assert created.status_code == 201
    secret = secret_on(created.text)
    assert "will not be shown again" in created.text or "never again" in created.text
    assert f"curl -H 'X-API-Key: {secret}'" in html.unescape(created.text)
    key_id = key_id_on(created.text)
    # The secret works, with exactly the access asked for.
    assert client.get("/v1/sensors", headers={"X-API-Key": secret}).status_code == 200
    # And it never appears again: not in any page, the API, the log or its CSV.
    for path in (
        "/orgs/acme/keys",
        "/orgs/acme/keys?revoked=1",
        f"/orgs/acme/keys/{key_id}",
        f"/v1/keys/{key_id}",
        "/v1/keys",
        f"/v1/keys/{key_id}/log",
        f"/v1/keys/{key_id}/log?format=csv",
    ):
        shown = client.get(path)
        assert shown.status_code == 200, path
        assert secret not in shown.text, path
        assert secret[8:] not in shown.text, path  # nor its random part


def test_each_kind_gets_its_identifier_and_examples(client: Client, db: Database) -> None:
    workspace = owner_session(client, db)
    signing = submit(client, "/orgs/acme/keys", key_form(workspace, name="signer", kind="signing_key"))
    assert signing.status_code == 201
    assert 'id="public-id"' in signing.text and "hashlib.sha384" in signing.text
    oauth = submit(client, "/orgs/acme/keys", key_form(workspace, name="client", kind="oauth_client"))
    assert oauth.status_code == 201
    assert "Client id" in oauth.text and "grant_type=client_credentials" in oauth.text


def test_errors_appear_next_to_their_field_in_the_apis_words(client: Client, db: Database) -> None:
    workspace = owner_session(client, db)
    cases = [
        ({"name": ""}, 400, "name", "name must not be empty"),
        ({"description": "x" * 1001}, 400, "description", "Expected `str` of length <= 1000"),
        ({"email": "not-an-email"}, 400, "email", None),
        ({"scope": []}, 400, "scopes", "a key needs at least one scope"),
        ({"expires": "date", "expires_on": "2020-01-01"}, 400, "expiresAt", "expiresAt must be in the future"),
        ({"expires": "date", "expires_on": "3000-01-01"}, 400, "expiresAt", "at most 365 days"),
        ({"ip_allowlist": "not an address"}, 400, "ipAllowlist", "ipAllowlist: not an address or CIDR"),
        ({"window": "P99D"}, 400, "limits", "a window is 1 second (PT1S) to 31 days (P31D)"),
        ({"requests": "many"}, 400, "limits", "Expected `int | null`, got `str`"),
        ({"units": "temperature"}, 400, "units", "write one metric=unit per line"),
        ({"workspace": ["999999"]}, 404, "workspaces", "workspace 999999 not found"),
    ]
    for change, status, field, words in cases:
        page = submit(client, "/orgs/acme/keys", key_form(workspace, **change))
        assert page.status_code == status, (change, page.text[-2000:])
        errors = field_errors(page.text)
        assert field in errors, (change, errors)
        if words:
            assert words in errors[field], (change, errors)
    # The API says the same thing about the same input.
    csrf = {"X-CSRF-Token": client.cookies["sg_csrf"]}
    api = client.post("/v1/keys", json={"name": "k", "description": "x" * 1001}, headers=csrf)
    assert "Expected `str` of length <= 1000" in api.json()["message"]
    assert client.get("/v1/keys").json()["items"] == []  # nothing was half-made


def test_a_failed_create_keeps_what_was_typed(client: Client, db: Database) -> None:
    workspace = owner_session(client, db)
    page = submit(client, "/orgs/acme/keys", key_form(workspace, name="keep me", owner="ops team", scope=[],
                                                        ip_allowlist="10.0.0.0/8"))  # fmt: skip
    assert page.status_code == 400
    assert 'value="keep me"' in page.text and 'value="ops team"' in page.text
    assert "10.0.0.0/8</textarea>" in page.text


def test_the_active_key_limit_shows_before_it_is_reached(client: Client, db: Database) -> None:
    workspace = owner_session(client, db)
    assert submit(client, "/orgs/acme/settings", {"max_active_keys": "2", "max_lifetime": "365"}).status_code == 303
    assert "You hold 0 of the 2 active keys" in client.get("/orgs/acme/keys").text
    for n in range(2):
        assert submit(client, "/orgs/acme/keys", key_form(workspace, name=f"k{n}")).status_code == 201
    listing = client.get("/orgs/acme/keys").text
    assert "You hold 2 of the 2 active keys" in listing and "revoke one before you create another" in listing
    refused = submit(client, "/orgs/acme/keys", key_form(workspace, name="third"))
    assert refused.status_code == 409
    assert "you already have 2 active keys" in field_errors(refused.text)[""]


def test_edit_changes_the_mutable_fields_and_logs_which(client: Client, db: Database) -> None:
    workspace = owner_session(client, db)
    key_id = key_id_on(submit(client, "/orgs/acme/keys", key_form(workspace)).text)
    done = submit(client, f"/orgs/acme/keys/{key_id}/edit",
                  {"name": "renamed", "description": "", "owner": "ops", "email": "ops@acme.example",
                   "can_renew": "1", "lifetime_days": "7"})  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"] == f"/orgs/acme/keys/{key_id}?done=edited"
    key = client.get(f"/v1/keys/{key_id}").json()
    assert (key["name"], key["owner"], key["email"], key["canRenew"]) == ("renamed", "ops", "ops@acme.example", True)
    edited = [e for e in client.get(f"/v1/keys/{key_id}/log").json()["items"] if e["event"] == "edited"]
    assert edited[0]["details"] == {"fields": ["can_renew", "email", "name", "owner"]}
    page = client.get(f"/orgs/acme/keys/{key_id}?done=edited").text
    assert "Saved." in page
    assert "cannot change" in page  # the fixed fields are shown, locked, with why


def test_a_bad_edit_shows_the_error_and_keeps_the_key(client: Client, db: Database) -> None:
    workspace = owner_session(client, db)
    key_id = key_id_on(submit(client, "/orgs/acme/keys", key_form(workspace, name="stay")).text)
    page = submit(client, f"/orgs/acme/keys/{key_id}/edit", {"name": "stay", "lifetime_days": "4000"})
    assert page.status_code == 400
    assert "lifetimeDays" in field_errors(page.text)
    assert client.get(f"/v1/keys/{key_id}").json()["lifetimeDays"] == 7


def test_reissue_shows_a_new_secret_and_ends_the_old_one_when_chosen(client: Client, db: Database) -> None:
    workspace = owner_session(client, db)
    first = submit(client, "/orgs/acme/keys", key_form(workspace, expires="1m"))
    old, key_id = secret_on(first.text), key_id_on(first.text)
    reissued = submit(client, f"/orgs/acme/keys/{key_id}/reissue", {"old_secret_ends": "1h"})
    assert reissued.status_code == 201
    new = secret_on(reissued.text)
    assert new != old
    secrets = client.get(f"/v1/keys/{key_id}").json()["secrets"]
    old_end = min(s["expiresAt"] for s in secrets)
    assert old_end < (utcnow() + timedelta(hours=1, minutes=1)).isoformat()
    for secret in (old, new):  # both work during the overlap
        assert client.get("/v1/sensors", headers={"X-API-Key": secret}).status_code == 200
    bad = submit(client, f"/orgs/acme/keys/{key_id}/reissue", {"old_secret_ends": "yesterday"})
    assert bad.status_code == 400


def test_revoke_needs_the_name_typed_and_is_permanent(client: Client, db: Database) -> None:
    workspace = owner_session(client, db)
    created = submit(client, "/orgs/acme/keys", key_form(workspace, name="Grafana"))
    secret, key_id = secret_on(created.text), key_id_on(created.text)
    wrong = submit(client, f"/orgs/acme/keys/{key_id}/revoke", {"confirm": "grafana"})
    assert wrong.status_code == 400
    assert field_errors(wrong.text)["confirm"] == "type the key's name exactly to confirm"
    assert client.get("/v1/sensors", headers={"X-API-Key": secret}).status_code == 200
    done = submit(client, f"/orgs/acme/keys/{key_id}/revoke", {"confirm": "Grafana"})
    assert done.status_code == 303
    assert client.get("/v1/sensors", headers={"X-API-Key": secret}).status_code == 401
    page = client.get(f"/orgs/acme/keys/{key_id}").text
    assert "permanent and read-only" in page
    assert ">Reissue</button>" not in page and ">Revoke</button>" not in page and ">Save</button>" not in page
    # Read-only for the API too, and hidden from the list unless asked for.
    csrf = {"X-CSRF-Token": client.cookies["sg_csrf"]}
    assert client.patch(f"/v1/keys/{key_id}", json={"name": "back"}, headers=csrf).status_code == 409
    assert submit(client, f"/orgs/acme/keys/{key_id}/edit", {"name": "back"}).status_code == 409
    assert submit(client, f"/orgs/acme/keys/{key_id}/reissue", {"old_secret_ends": "own"}).status_code == 409
    assert "Grafana" not in client.get("/orgs/acme/keys").text
    assert "Grafana" in client.get("/orgs/acme/keys?revoked=1").text
    assert "Grafana" in client.get("/orgs/acme/keys?status=revoked").text


def test_delete_hides_the_key_and_keeps_its_log(client: Client, db: Database) -> None:
    workspace = owner_session(client, db)
    key_id = key_id_on(submit(client, "/orgs/acme/keys", key_form(workspace, name="gone")).text)
    done = submit(client, f"/orgs/acme/keys/{key_id}/delete", {"confirm": "gone"})
    assert done.status_code == 303 and done.headers["location"] == "/orgs/acme/keys?done=deleted"
    assert "gone" not in client.get("/orgs/acme/keys?revoked=1").text
    events = [e["event"] for e in client.get(f"/v1/keys/{key_id}/log").json()["items"]]
    assert events == ["created", "deleted"]
    assert submit(client, f"/orgs/acme/keys/{key_id}/delete", {"confirm": "gone"}).status_code == 404


def test_the_log_filters_by_event_and_time_and_downloads_as_csv(client: Client, db: Database) -> None:
    workspace = owner_session(client, db)
    created = submit(client, "/orgs/acme/keys", key_form(workspace, name="logged"))
    secret, key_id = secret_on(created.text), key_id_on(created.text)
    client.get("/v1/sensors", headers={"X-API-Key": secret})
    assert client.delete("/v1/alarm-rules/1", headers={"X-API-Key": secret}).status_code == 403  # no sensors:write
    page = client.get(f"/orgs/acme/keys/{key_id}")  # the page writes pending usage first, as the API does
    assert page.status_code == 200
    for event in ("created", "used", "refused"):
        assert f">{event}</span>" in page.text, event
    assert ">scope</td>" in page.text  # the refusal's reason
    only_created = client.get(f"/orgs/acme/keys/{key_id}?event=created").text
    assert ">created</span>" in only_created
    csv_link = re.search(r'href="(/v1/keys/\d+/log\?format=csv[^"]*)"', only_created).group(1)
    csv = client.get(csv_link.replace("&amp;", "&"))
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("time,event")
    assert [line.split(",")[1] for line in csv.text.splitlines()[1:]] == ["created"]
    empty = client.get(f"/orgs/acme/keys/{key_id}?from=2020-01-01T00:00&to=2020-01-02T00:00").text
    assert "Nothing in this range." in empty
    too_long = client.get(f"/orgs/acme/keys/{key_id}?from=2020-01-01T00:00&to=2020-03-01T00:00")
    assert too_long.status_code == 400
    assert "at most 31 days" in field_errors(too_long.text)["log"]
    assert client.get(f"/orgs/acme/keys/{key_id}?event=nonsense").status_code == 400


def test_an_id_out_of_range_is_a_400_page_not_a_500(client: Client, db: Database) -> None:
    owner_session(client, db)
    for path in (f"/orgs/acme/keys/{2**63}", f"/orgs/acme/keys/new?from={2**63}", "/orgs/acme/keys/new?from=0"):
        page = client.get(path)
        assert page.status_code == 400, (path, page.text[-500:])
        assert page.headers["content-type"].startswith("text/html")
    assert client.get(f"/orgs/acme/keys/{2**31 - 1}").status_code == 404
