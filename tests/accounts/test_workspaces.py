"""GET and POST /v1/workspaces, including another tenant's view."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.accounts import service, sessions
from sensorgate.accounts.schemas import WorkspaceIn
from sensorgate.kit.errors import Conflict
from sensorgate.kit.times import utcnow
from sensorgate.settings import Settings
from tests.conftest import add_user, assert_error, login

Client = TestClient[Litestar]


def test_list_shows_only_the_callers_organizations(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    add_user(db, "eve@evil.example", "evil")
    login(client, "ann@acme.example")
    body = client.get("/v1/workspaces").json()
    assert [w["slug"] for w in body["items"]] == ["acme"]
    assert body["totalItems"] == 1 and body["page"] == 1 and body["totalPages"] == 1


def test_list_pages(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    login(client, "ann@acme.example")
    for n in range(4):
        assert client.post("/v1/workspaces", json={"slug": f"ws-{n}", "name": f"W {n}"}).status_code == 201
    first = client.get("/v1/workspaces", params={"size": 2}).json()
    last = client.get("/v1/workspaces", params={"size": 2, "page": 3}).json()
    assert first["totalItems"] == 5 and first["totalPages"] == 3
    assert [w["slug"] for w in first["items"]] == ["acme", "ws-0"]
    assert [w["slug"] for w in last["items"]] == ["ws-3"]


@pytest.mark.parametrize("params", [{"size": 0}, {"size": 201}, {"page": 0}, {"page": "x"}])
def test_list_with_bad_paging_is_400(client: Client, db: Any, params: dict[str, Any]) -> None:
    add_user(db, "ann@acme.example", "acme")
    login(client, "ann@acme.example")
    assert_error(client.get("/v1/workspaces", params=params), 400)


def test_list_without_a_session_is_401(client: Client) -> None:
    assert_error(client.get("/v1/workspaces"), 401)


def test_admin_creates_a_workspace(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme", "admin")
    login(client, "ann@acme.example")
    response = client.post("/v1/workspaces", json={"slug": "lab-2", "name": "  Lab two "})
    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "lab-2" and body["name"] == "Lab two" and body["organization"] == "acme"
    assert "lab-2" in [w["slug"] for w in client.get("/v1/workspaces").json()["items"]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"slug": "Has Spaces", "name": "x"}, "slug"),
        ({"slug": "-leading", "name": "x"}, "slug"),
        ({"slug": "a" * 64, "name": "x"}, "slug"),
        ({"slug": "ok", "name": "   "}, "name"),
        ({"slug": "ok"}, "name"),
    ],
)
def test_create_with_bad_input_is_400_and_writes_nothing(
    client: Client, db: Any, body: dict[str, Any], message: str
) -> None:
    add_user(db, "ann@acme.example", "acme")
    login(client, "ann@acme.example")
    assert_error(client.post("/v1/workspaces", json=body), 400, message)
    assert client.get("/v1/workspaces").json()["totalItems"] == 1


def test_create_with_a_taken_slug_is_409_even_across_organizations(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    add_user(db, "eve@evil.example", "evil")
    login(client, "ann@acme.example")
    assert_error(client.post("/v1/workspaces", json={"slug": "acme", "name": "again"}), 409, "taken")
    assert_error(client.post("/v1/workspaces", json={"slug": "evil", "name": "theirs"}), 409, "taken")


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_create_workspaces(client: Client, db: Any, role: str) -> None:
    add_user(db, "ann@acme.example", "acme", role)
    login(client, "ann@acme.example")
    assert_error(client.post("/v1/workspaces", json={"slug": "x", "name": "X"}), 403, "workspaces:write")
    assert_error(
        client.post("/v1/workspaces", json={"slug": "x", "name": "X", "organization": "acme"}), 403, "workspaces:write"
    )


def test_creating_in_another_tenants_organization_is_404(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    add_user(db, "eve@evil.example", "evil")
    login(client, "ann@acme.example")
    assert_error(client.post("/v1/workspaces", json={"slug": "x", "name": "X", "organization": "evil"}), 404)
    assert_error(client.post("/v1/workspaces", json={"slug": "x", "name": "X", "organization": "nope"}), 404)


def test_an_admin_of_two_organizations_must_say_which(client: Client, db: Any) -> None:
    add_user(db, "ann@acme.example", "acme")
    add_user(db, "ann@acme.example", "second")
    login(client, "ann@acme.example")
    assert_error(client.post("/v1/workspaces", json={"slug": "x", "name": "X"}), 400, "organization")
    created = client.post("/v1/workspaces", json={"slug": "x", "name": "X", "organization": "second"})
    assert created.status_code == 201 and created.json()["organization"] == "second"


def test_create_without_a_session_is_401(client: Client) -> None:
    assert_error(client.post("/v1/workspaces", json={"slug": "x", "name": "X"}), 401)


def test_concurrent_creates_of_one_slug_make_exactly_one_workspace(db: Any, settings: Settings) -> None:
    """Eight racing requests: one creates, seven get the 409 error, and no half-written rows remain."""
    user_id = add_user(db, "ann@acme.example", "acme")
    opened = db.write_sync(
        sessions.open_session, settings.hash_pepper, user_id, now=utcnow(), lifetime=timedelta(hours=1), ip=None,
        user_agent=None,
    )  # fmt: skip
    principal = db.read_sync(sessions.resolve_session, settings.hash_pepper, opened.token, utcnow()).principal
    body = WorkspaceIn(slug="raced", name="Raced")

    def attempt(_: int) -> str:
        try:
            db.write_sync(service.create_workspace, principal, body, utcnow())
        except Conflict:
            return "conflict"
        return "created"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(attempt, range(8)))
    assert outcomes == ["conflict"] * 7 + ["created"]
    page = db.read_sync(service.list_workspaces, principal, 1, 50)
    assert [w.slug for w in page.items] == ["acme", "raced"]
