"""Member management under /v1/organizations/{org}/members."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import PASSWORD, add_user, assert_error, login

Client = TestClient[Litestar]
URL = "/v1/organizations/acme/members"
NEW_PASSWORD = "a long and fine passphrase"


@pytest.fixture
def owner(client: Client, db: Any) -> int:
    user_id = add_user(db, "owner@acme.example", "acme", "owner")
    login(client, "owner@acme.example")
    return user_id


def test_list_members(client: Client, db: Any, owner: int) -> None:
    add_user(db, "mia@acme.example", "acme", "member")
    body = client.get(URL).json()
    assert body["totalItems"] == 2
    assert [(m["email"], m["role"]) for m in body["items"]] == [
        ("owner@acme.example", "owner"),
        ("mia@acme.example", "member"),
    ]


def test_list_without_a_session_is_401(client: Client) -> None:
    assert_error(client.get(URL), 401)


def test_a_member_cannot_list_members(client: Client, db: Any) -> None:
    add_user(db, "mia@acme.example", "acme", "member")
    login(client, "mia@acme.example")
    assert_error(client.get(URL), 403, "access:manage")


def test_another_tenants_members_are_404(client: Client, db: Any, owner: int) -> None:
    add_user(db, "eve@evil.example", "evil")
    assert_error(client.get("/v1/organizations/evil/members"), 404)
    assert_error(client.get("/v1/organizations/nope/members"), 404)


def test_add_a_new_user_who_can_then_log_in(client: Client, app: Litestar, owner: int) -> None:
    response = client.post(URL, json={"email": "New@Acme.example", "role": "member", "password": NEW_PASSWORD})
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "new@acme.example" and body["role"] == "member" and body["grants"] == []
    with TestClient(app=app, base_url="https://testserver.local") as other:
        login(other, "new@acme.example", NEW_PASSWORD)
        assert other.get("/v1/me").json()["memberships"][0]["role"] == "member"


def test_add_an_existing_user_with_a_grant(client: Client, db: Any, owner: int) -> None:
    add_user(db, "mia@other.example", "other")
    response = client.post(
        URL, json={"email": "mia@other.example", "role": "member", "permissions": ["integrations:write"]}
    )
    assert response.status_code == 201
    assert response.json()["grants"] == ["integrations:write"]
    assert "integrations:write" in response.json()["permissions"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"email": "not-an-email", "role": "member", "password": NEW_PASSWORD}, "email"),
        ({"email": "x@acme.example", "role": "member", "password": "short"}, "at least 12"),
        ({"email": "x@acme.example", "role": "member", "password": "passwordpassword"}, "easy to guess"),
        ({"email": "xavier@acme.example", "role": "member", "password": "xavier-is-here-2026"}, "email"),
        ({"email": "x@acme.example", "role": "emperor", "password": NEW_PASSWORD}, "role"),
        ({"email": "x@acme.example", "role": "member"}, "password"),
        (
            {"email": "x@acme.example", "role": "member", "password": NEW_PASSWORD, "permissions": ["keys:write"]},
            "grant",
        ),
    ],
)
def test_add_with_bad_input_is_400_and_writes_nothing(
    client: Client, owner: int, body: dict[str, Any], message: str
) -> None:
    assert_error(client.post(URL, json=body), 400, message)
    assert client.get(URL).json()["totalItems"] == 1


def test_add_existing_member_is_409(client: Client, db: Any, owner: int) -> None:
    add_user(db, "mia@acme.example", "acme", "member")
    assert_error(client.post(URL, json={"email": "mia@acme.example", "role": "admin"}), 409, "already a member")


def test_only_an_owner_adds_an_owner(client: Client, db: Any) -> None:
    add_user(db, "adam@acme.example", "acme", "admin")
    login(client, "adam@acme.example")
    assert_error(client.post(URL, json={"email": "x@acme.example", "role": "owner", "password": NEW_PASSWORD}), 403)
    assert (
        client.post(URL, json={"email": "x@acme.example", "role": "admin", "password": NEW_PASSWORD}).status_code == 201
    )


def test_a_member_cannot_add_members(client: Client, db: Any) -> None:
    add_user(db, "mia@acme.example", "acme", "member")
    login(client, "mia@acme.example")
    assert_error(client.post(URL, json={"email": "x@acme.example", "role": "viewer", "password": NEW_PASSWORD}), 403)


def test_adding_to_another_tenant_is_404(client: Client, db: Any, owner: int) -> None:
    add_user(db, "eve@evil.example", "evil")
    body = {"email": "x@acme.example", "role": "viewer", "password": NEW_PASSWORD}
    assert_error(client.post("/v1/organizations/evil/members", json=body), 404)


def test_change_role_and_grants(client: Client, db: Any, owner: int) -> None:
    mia = add_user(db, "mia@acme.example", "acme", "member")
    response = client.patch(f"{URL}/{mia}", json={"role": "admin"})
    assert response.status_code == 200 and response.json()["role"] == "admin"
    response = client.patch(f"{URL}/{mia}", json={"role": "member", "permissions": ["integrations:write"]})
    assert response.json()["grants"] == ["integrations:write"]


@pytest.mark.parametrize("body", [{}, {"role": "emperor"}, {"permissions": ["org:own"]}, {"permissions": "x"}])
def test_change_with_bad_input_is_400(client: Client, db: Any, owner: int, body: dict[str, Any]) -> None:
    mia = add_user(db, "mia@acme.example", "acme", "member")
    assert_error(client.patch(f"{URL}/{mia}", json=body), 400)


def test_change_an_unknown_member_is_404(client: Client, db: Any, owner: int) -> None:
    outsider = add_user(db, "eve@evil.example", "evil")
    assert_error(client.patch(f"{URL}/{outsider}", json={"role": "admin"}), 404)
    assert_error(client.patch(f"{URL}/999999", json={"role": "admin"}), 404)


def test_the_last_owner_cannot_be_demoted_or_removed(client: Client, owner: int) -> None:
    assert_error(client.patch(f"{URL}/{owner}", json={"role": "admin"}), 409, "at least one owner")
    assert_error(client.delete(f"{URL}/{owner}"), 409, "at least one owner")


def test_an_owner_can_step_down_once_another_owner_exists(client: Client, db: Any, owner: int) -> None:
    add_user(db, "ola@acme.example", "acme", "owner")
    assert client.patch(f"{URL}/{owner}", json={"role": "admin"}).json()["role"] == "admin"


def test_an_admin_cannot_change_or_remove_an_owner(client: Client, db: Any) -> None:
    owner = add_user(db, "owner@acme.example", "acme", "owner")
    mia = add_user(db, "mia@acme.example", "acme", "member")
    add_user(db, "adam@acme.example", "acme", "admin")
    login(client, "adam@acme.example")
    assert_error(client.patch(f"{URL}/{owner}", json={"role": "member"}), 403, "owner")
    assert_error(client.patch(f"{URL}/{mia}", json={"role": "owner"}), 403, "owner")
    assert_error(client.delete(f"{URL}/{owner}"), 403, "owner")


def test_remove_a_member(client: Client, app: Litestar, db: Any, owner: int) -> None:
    mia = add_user(db, "mia@acme.example", "acme", "member")
    with TestClient(app=app, base_url="https://testserver.local") as mias:
        login(mias, "mia@acme.example")
        assert client.delete(f"{URL}/{mia}").status_code == 204
        # Her session lives on, but she no longer sees anything of acme.
        assert mias.get("/v1/me").json()["memberships"] == []
        assert mias.get("/v1/workspaces").json()["items"] == []
    assert_error(client.delete(f"{URL}/{mia}"), 404)


def test_remove_needs_access_manage(client: Client, db: Any) -> None:
    add_user(db, "owner@acme.example", "acme", "owner")
    viewer = add_user(db, "vic@acme.example", "acme", "viewer")
    add_user(db, "mia@acme.example", "acme", "member")
    login(client, "mia@acme.example")
    assert_error(client.delete(f"{URL}/{viewer}"), 403)


def test_member_changes_need_the_csrf_header(client: Client, db: Any, owner: int) -> None:
    mia = add_user(db, "mia@acme.example", "acme", "member")
    del client.headers["X-CSRF-Token"]
    assert_error(client.delete(f"{URL}/{mia}"), 403, "csrf")
    assert_error(client.patch(f"{URL}/{mia}", json={"role": "admin"}), 403, "csrf")
    assert_error(
        client.post(URL, json={"email": "x@acme.example", "role": "viewer", "password": PASSWORD}), 403, "csrf"
    )


@pytest.mark.parametrize(
    ("method", "path"), [("post", URL), ("patch", f"{URL}/1"), ("delete", f"{URL}/1"), ("get", URL)]
)
def test_every_member_endpoint_without_a_session_is_401(client: Client, method: str, path: str) -> None:
    kwargs: dict[str, Any] = {"json": {"role": "admin"}} if method in ("post", "patch") else {}
    assert_error(getattr(client, method)(path, **kwargs), 401)
