"""Key health on the list and the key page: expiring within 14 days, never used, unused for 30 days, and scopes
granted but unused in the last 30 days, with "create a narrower key" filling in the form with the used ones."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import sqlalchemy as sa
from litestar import Litestar

from sensorgate.credentials.models import credentials
from sensorgate.db.engine import Database
from sensorgate.kit.times import utcnow
from tests.conftest import add_user
from tests.console.helpers import Client, console_login, key_form, secret_on, submit
from tests.console.test_access import workspace_id


def make_key(client: Client, workspace: int, **fields: object) -> tuple[int, str]:
    page = submit(client, "/orgs/acme/keys", key_form(workspace, **fields)).text
    return int(re.search(r'href="/orgs/acme/keys/(\d+)"', page).group(1)), secret_on(page)


def badges(page: str, key_id: int) -> list[str]:
    row = re.search(rf'href="/orgs/acme/keys/{key_id}">.*?</tr>', page, re.S)
    assert row, f"key {key_id} is not listed"
    return re.findall(r'class="badge \w+">([^<]+)<', row.group(0))


def test_new_keys_show_expiry_and_never_used(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    console_login(client, "owner@acme.example")
    workspace = workspace_id(client, "acme")
    soon, _ = make_key(client, workspace, name="soon", expires="7d")
    later, _ = make_key(client, workspace, name="later", expires="3m")
    listing = client.get("/orgs/acme/keys").text
    assert badges(listing, soon) == ["expires in 6 days", "never used"]
    assert badges(listing, later) == ["never used"]
    expiring = client.get("/orgs/acme/keys?status=expiring").text
    assert f'href="/orgs/acme/keys/{soon}"' in expiring
    assert f'href="/orgs/acme/keys/{later}"' not in expiring


def test_unused_scopes_lead_to_a_narrower_key(client: Client, db: Database, app: Litestar) -> None:
    add_user(db, "owner@acme.example", "acme")
    console_login(client, "owner@acme.example")
    workspace = workspace_id(client, "acme")
    key_id, secret = make_key(client, workspace, name="wide", scope=["data:read", "usage:read", "audit:read"],
                              owner="ops", expires="3m")  # fmt: skip
    assert client.get("/v1/sensors", headers={"X-API-Key": secret}).status_code == 200
    asyncio.run(app.state.sensorgate.usage.flush(db))
    listing = client.get("/orgs/acme/keys").text
    assert badges(listing, key_id) == ["unused scopes: audit:read, usage:read"]
    assert f'href="/orgs/acme/keys/new?from={key_id}"' in listing
    assert "Create a narrower key</a> with only data:read" in client.get(f"/orgs/acme/keys/{key_id}").text
    form = client.get(f"/orgs/acme/keys/new?from={key_id}").text
    assert re.findall(r'name="scope" value="([^"]+)" checked', form) == ["data:read"]
    assert 'value="wide (narrower)"' in form and 'value="ops"' in form
    assert re.findall(r'name="workspace" value="(\d+)" checked', form) == [str(workspace)]


def test_a_key_unused_for_30_days_says_so(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    console_login(client, "owner@acme.example")
    key_id, _ = make_key(client, workspace_id(client, "acme"), name="idle", expires="1y")
    db.write_sync(
        lambda conn: conn.execute(
            sa.update(credentials).where(credentials.c.id == key_id).values(last_used_at=utcnow() - timedelta(days=45))
        )
    )
    assert badges(client.get("/orgs/acme/keys").text, key_id) == ["unused for 45 days"]


def test_a_revoked_key_reports_no_health(client: Client, db: Database) -> None:
    add_user(db, "owner@acme.example", "acme")
    console_login(client, "owner@acme.example")
    key_id, _ = make_key(client, workspace_id(client, "acme"), name="done")
    submit(client, f"/orgs/acme/keys/{key_id}/revoke", {"confirm": "done"})
    assert badges(client.get("/orgs/acme/keys?revoked=1").text, key_id) == ["revoked"]
