"""After creation, a key's secret is in no table, no log line and no later response."""

from __future__ import annotations

import io
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient

from sensorgate.app import create_app
from sensorgate.db.metadata import metadata
from sensorgate.settings import Settings
from tests.conftest import add_user, login


def test_the_secret_appears_only_in_the_create_response(settings: Settings) -> None:
    access = io.StringIO()
    app = create_app(settings, access_stream=access)
    db = app.state.sensorgate.db
    add_user(db, "ann@acme.example", "acme")
    seen: list[str] = []
    with TestClient(app=app, base_url="https://testserver.local") as owner:
        login(owner, "ann@acme.example")
        created = owner.post("/v1/keys", json={"name": "k", "scopes": ["data:read", "keys:read"]})
        secret = created.json()["secret"]
        with TestClient(app=app, base_url="https://testserver.local") as client:
            client.headers["X-API-Key"] = secret
            for path in ("/v1/me", "/v1/sensors", "/v1/keys", f"/v1/keys/{created.json()['id']}", "/v1/nowhere"):
                seen.append(client.get(path).text)
        key_id = created.json()["id"]
        for path in (
            "/v1/keys",
            f"/v1/keys/{key_id}",
            "/v1/keys?includeRevoked=true",
            f"/v1/keys/{key_id}/log",
            f"/v1/keys/{key_id}/log?format=csv",
            "/v1/keys/usage",
        ):
            seen.append(owner.get(path).text)
        seen.append(owner.post(f"/v1/keys/{created.json()['id']}/revoke").text)

    def dump(conn: sa.Connection) -> str:
        rows: list[Any] = []
        for table in metadata.sorted_tables:
            rows += [repr(tuple(row)) for row in conn.execute(sa.select(table))]
        return "\n".join(rows)

    everything = "\n".join([*seen, access.getvalue(), db.read_sync(dump)])
    assert secret[:8] in everything  # the display prefix is meant to be seen
    assert secret not in everything
    assert secret[8:] not in everything
