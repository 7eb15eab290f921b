"""Aquanow's key API over HTTP: list, create and delete the keys of the calling key's user, and the day's usage,
signed as Aquanow signs (x-api-key, x-nonce, x-signature). Answers are checked against Aquanow's shapes restated
in aquanow_shapes.py; refusals come in Aquanow's error shape."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.app import create_app
from sensorgate.credentials import operator, user_keys
from sensorgate.credentials import store as credentials_store
from sensorgate.credentials.schemas import KeyIn
from sensorgate.credentials.service import Origin
from sensorgate.credentials.verify import principal_for
from sensorgate.kit.errors import ApiError
from sensorgate.kit.times import utcnow
from tests.conftest import add_user, assert_error, login, make_settings
from tests.credentials.test_signing import now_ms, signed_headers
from tests.dialects import aquanow_shapes as shapes
from tests.dialects.conftest import Client, World

KEYS = "/users/v1/apiKey"
USAGE = "/users/v1/apiKeyUsage"
MANAGER = ["data:read", "keys:read", "keys:write", "usage:read"]
# Each request of a test gets a nonce of its own: two in one millisecond would be a replay.
_nonces = itertools.count(now_ms())


@dataclass
class Signer:
    """An Aquanow client: a signing key's public id and secret, signing each request with the v1 string."""

    app: Litestar
    id: int
    public_id: str
    secret: str

    def call(self, method: str, path: str, nonce: int | None = None, **kwargs: Any) -> Response:
        client = TestClient(app=self.app, base_url="https://testserver.local")
        nonce = next(_nonces) if nonce is None else nonce
        headers = signed_headers(self.public_id, self.secret, method, path, nonce=nonce)
        return client.request(method, path, headers=headers, **kwargs)

    def listed(self) -> list[dict[str, Any]]:
        response = self.call("GET", KEYS)
        assert response.status_code == 200, response.text
        return shapes.key_list(response.json())

    def create(self) -> dict[str, Any]:
        response = self.call("POST", KEYS)
        assert response.status_code == 200, response.text
        [made] = shapes.key_list(response.json())
        assert made["secret"].startswith("sgs_") and made["key"].startswith("sgp_")
        return made  # type: ignore[no-any-return]


def signer(world: World, owner: Client | None = None, **fields: Any) -> Signer:
    """A signing key made by a user through POST /v1/keys (acme's owner unless told), with MANAGER's scopes."""
    body = {"name": "aquanow client", "kind": "signing_key", "scopes": MANAGER, **fields}
    response = (owner or world.owner).post("/v1/keys", json=body)
    assert response.status_code == 201, response.text
    made = response.json()
    return Signer(world.app, made["id"], made["publicId"], made["secret"])


def made_by_it(world: World, made: dict[str, Any]) -> Signer:
    return Signer(world.app, int(made["keyId"]), made["key"], made["secret"])


def cli_signer(world: World, scopes: list[str] = MANAGER) -> Signer:
    """A signing key made with the CLI (`sensorgate keys create`): it belongs to no user."""
    state = world.app.state.sensorgate
    body = KeyIn(name="cli feed", kind="signing_key", workspaces=["acme"], scopes=scopes)
    origin = Origin(None, "test", utcnow(), state.settings.hash_pepper, state.settings.master_key_bytes)
    created, _ = state.db.write_sync(operator.create, "acme", body, origin)
    return Signer(world.app, created.id, created.public_id, created.secret)


def key_of(world: World, key_id: int | str) -> dict[str, Any]:
    response = world.owner.get(f"/v1/keys/{key_id}")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


# Listing ------------------------------------------------------------------------------------------------------


def test_the_list_shows_every_live_key_of_the_callers_user(world: World) -> None:
    caller = signer(world)
    other_kind = world.owner.post("/v1/keys", json={"name": "an api key"}).json()
    revoked = signer(world, name="gone")
    assert world.owner.post(f"/v1/keys/{revoked.id}/revoke").status_code == 200
    listed = caller.listed()
    by_id = {int(k["keyId"]): k for k in listed}
    # The world's read key, the new API key and the caller; not the revoked one.
    assert sorted(by_id) == sorted([world.key_id, other_kind["id"], caller.id])
    assert by_id[caller.id]["key"] == caller.public_id
    assert by_id[other_kind["id"]]["key"] == other_kind["secret"][:8]  # an API key shows its prefix only
    assert {k["userName"] for k in listed} == {"ann@acme.example"}
    assert "secret" not in str(listed) and caller.secret not in str(listed) and other_kind["secret"] not in str(listed)
    created = key_of(world, caller.id)["createdAt"]
    assert by_id[caller.id]["createdAt"] // 1000 == datetime.fromisoformat(created).timestamp() // 1  # epoch ms


def test_another_user_and_another_tenant_see_only_their_own(world: World) -> None:
    mine = signer(world)
    add_user(world.app.state.sensorgate.db, "cy@acme.example", "acme", "admin")
    cy = TestClient(app=world.app, base_url="https://testserver.local")
    login(cy, "cy@acme.example")
    colleague = signer(world, owner=cy)
    assert world.other_owner is not None
    globex = signer(world, owner=world.other_owner)
    assert [int(k["keyId"]) for k in colleague.listed()] == [colleague.id]
    assert {k["userName"] for k in colleague.listed()} == {"cy@acme.example"}
    theirs = globex.listed()
    # Bob's: the world's read key and this one, nothing of acme's.
    assert mine.public_id not in str(theirs) and [k["key"] for k in theirs][1:] == [globex.public_id]
    assert [k["userName"] for k in theirs] == ["bob@globex.example"] * 2
    assert not {k["keyId"] for k in theirs} & {k["keyId"] for k in mine.listed()}


def test_listing_needs_keys_read(world: World) -> None:
    reader = signer(world, scopes=["data:read"])
    shapes.error(reader.call("GET", KEYS), 403, "keys:read")


# Creating -----------------------------------------------------------------------------------------------------


def test_create_makes_a_signing_key_for_the_same_user_that_signs_at_once(world: World) -> None:
    caller = signer(world)
    made = caller.create()
    assert made["userName"] == "ann@acme.example" and made["type"] == "regular"
    new = made_by_it(world, made)
    assert made["key"] in [k["key"] for k in new.listed()]  # it signs, and it is the user's
    assert "secret" not in new.listed()[0]  # shown once, in the create's answer
    stored = key_of(world, new.id)
    assert (stored["kind"], stored["createdByKey"]) == ("signing_key", caller.id)
    assert stored["createdBy"] == key_of(world, caller.id)["createdBy"] is not None
    events = [e["event"] for e in world.owner.get(f"/v1/keys/{new.id}/log").json()["items"]]
    assert events[0] == "created"


def test_a_new_key_holds_exactly_what_its_maker_holds_and_no_more(world: World) -> None:
    sensor = {"name": "North 1", "deviceGroup": "north", "metrics": [{"metric": "temperature"}]}
    assert world.owner.post("/v1/sensors", json=sensor).status_code == 201
    caller = signer(world, deviceGroup="north", expiresIn="7d", units={"temperature": "°F"})
    new = key_of(world, made_by_it(world, caller.create()).id)
    maker = key_of(world, caller.id)
    for field in ("scopes", "workspaces", "allWorkspaces", "deviceGroup", "ipAllowlist", "units", "organizationId"):
        assert new[field] == maker[field], field
    assert new["expiresAt"] <= maker["expiresAt"]  # the default lifetime ends with the maker's


def test_create_needs_keys_write(world: World) -> None:
    reader = signer(world, scopes=["data:read", "keys:read"])
    before = len(reader.listed())
    shapes.error(reader.call("POST", KEYS), 403, "creating keys needs")
    assert len(reader.listed()) == before


def test_a_user_holds_at_most_five_active_keys(world: World) -> None:
    caller = signer(world)  # ann's second, beside the world's read key
    for _ in range(3):
        caller.create()
    assert len(caller.listed()) == 5
    shapes.error(caller.call("POST", KEYS), 409, "5 active keys")
    assert len(caller.listed()) == 5
    # The same rule on /v1, which counts the keys made here.
    assert_error(world.owner.post("/v1/keys", json={"name": "sixth"}), 409, "5 active keys")


def test_a_cli_made_key_and_its_line_hold_at_most_five_too(world: World) -> None:
    cli = cli_signer(world)
    made = [cli.create() for _ in range(4)]
    listed = cli.listed()
    assert [int(k["keyId"]) for k in listed] == [cli.id] + [int(m["keyId"]) for m in made]
    assert {k["userName"] for k in listed} == {"cli feed"}
    shapes.error(cli.call("POST", KEYS), 409, "made with the CLI")
    # A key of that line counts the same way, and so does /v1, which is the same rule.
    child = made_by_it(world, made[0])
    shapes.error(child.call("POST", KEYS), 409, "made with the CLI")
    assert_error(cli.call("POST", "/v1/keys", json={"name": "sixth"}), 409, "made with the CLI")
    # None of them is ann's.
    assert not {k["keyId"] for k in listed} & {k["keyId"] for k in signer(world).listed()}


def test_a_cli_lines_limit_holds_when_creates_race(world: World) -> None:
    cli = cli_signer(world)
    state = world.app.state.sensorgate
    row = state.db.read_sync(lambda conn: credentials_store.credential(conn, cli.id))
    principal = state.db.read_sync(principal_for, row)
    origin = Origin(None, "test", utcnow(), state.settings.hash_pepper, state.settings.master_key_bytes)

    def attempt(_: int) -> str:
        try:
            state.db.write_sync(user_keys.create_key, principal, origin)
        except ApiError as exc:
            return str(exc.status)
        return "200"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(20)))
    assert outcomes.count("200") == 4 and outcomes.count("409") == 16
    assert len(cli.listed()) == 5


# Deleting -----------------------------------------------------------------------------------------------------


def test_delete_by_key_revokes_it_and_answers_the_keys_left(world: World) -> None:
    caller = signer(world)
    made = caller.create()
    new = made_by_it(world, made)
    response = caller.call("DELETE", KEYS, params={"key": made["key"]})
    assert response.status_code == 200, response.text
    left = shapes.key_list(response.json())
    assert made["key"] not in [k["key"] for k in left] and caller.public_id in [k["key"] for k in left]
    shapes.error(new.call("GET", KEYS), 401, "revoked signing key")
    assert key_of(world, new.id)["deletedAt"] is not None
    events = [e["event"] for e in world.owner.get(f"/v1/keys/{new.id}/log").json()["items"]]
    assert "deleted" in events


def test_a_key_never_deletes_a_key_that_may_hold_more(world: World) -> None:
    narrow = signer(world, scopes=["keys:read", "keys:write"])
    wide = signer(world)  # a sibling, made by the same user with more scopes
    shapes.error(narrow.call("DELETE", KEYS, params={"key": wide.public_id}), 403, "made through it")
    child = made_by_it(world, narrow.create())
    shapes.error(child.call("DELETE", KEYS, params={"key": narrow.public_id}), 403, "made through it")
    assert key_of(world, wide.id)["revokedAt"] is None and key_of(world, narrow.id)["revokedAt"] is None
    assert wide.call("GET", KEYS).status_code == 200


def test_delete_refusals(world: World) -> None:
    caller = signer(world)
    assert world.other_owner is not None
    globex = signer(world, owner=world.other_owner)
    shapes.error(caller.call("DELETE", KEYS), 400, "key is required")
    unknown = caller.call("DELETE", KEYS, params={"key": "sgp_nothing"})
    shapes.error(unknown, 404, "no key")
    # Another tenant's key is as unknown as one that does not exist.
    other = caller.call("DELETE", KEYS, params={"key": globex.public_id})
    assert shapes.error(other, 404).replace(globex.public_id, "X") == shapes.error(unknown, 404).replace(
        "sgp_nothing", "X"
    )
    reader = signer(world, scopes=["keys:read"])
    shapes.error(reader.call("DELETE", KEYS, params={"key": caller.public_id}), 403, "keys:write")
    assert globex.call("GET", KEYS).status_code == 200


# Usage --------------------------------------------------------------------------------------------------------


def test_usage_of_the_day_is_keyed_by_key(world: World) -> None:
    caller = signer(world, limits={"daily": 500})
    made = caller.create()
    for _ in range(3):
        caller.listed()
    response = caller.call("GET", USAGE)
    assert response.status_code == 200, response.text
    usage = shapes.day_usage(response.json(), utcnow().date())
    assert set(usage) == {caller.public_id, made["key"]}  # itself and the keys it made
    [[used, limit]] = usage[caller.public_id]["items"][str(caller.id)]
    assert used >= 4 and limit == 500  # create + three lists (this call may not be written yet)
    assert usage[made["key"]]["items"][made["keyId"]] == [[0, 500]]  # a maker's plan holds its keys
    assert "500" in usage[caller.public_id]["usagePlanId"]


def test_usage_needs_usage_read(world: World) -> None:
    caller = signer(world, scopes=["keys:read"])
    shapes.error(caller.call("GET", USAGE), 403, "usage:read")


# Signatures ---------------------------------------------------------------------------------------------------


def test_bad_signatures_and_replayed_nonces_are_refused_in_aquanows_shape(world: World) -> None:
    caller = signer(world)
    nonce = next(_nonces)
    assert caller.call("GET", KEYS, nonce=nonce).status_code == 200
    shapes.error(caller.call("GET", KEYS, nonce=nonce), 401, "replayed nonce")
    shapes.error(caller.call("GET", KEYS, nonce=now_ms() - 3_600_000), 401, "stale nonce")
    forged = Signer(world.app, caller.id, caller.public_id, "sgs_" + "x" * 49)
    shapes.error(forged.call("GET", KEYS), 401, "bad signature")
    # No credential at all. (A signed DELETE's `?key=` is left out of the string, as Aquanow signs: see above.)
    client = TestClient(app=world.app, base_url="https://testserver.local")
    shapes.error(client.get(KEYS), 401, "authentication required")


def test_a_spent_rate_limit_is_a_429_in_aquanows_shape(world: World) -> None:
    caller = signer(world, limits={"requests": 2, "window": "PT1M"})
    caller.listed()
    caller.listed()
    response = caller.call("GET", KEYS)
    shapes.error(response, 429, "rate limit")
    assert int(response.headers["Retry-After"]) >= 1


def test_the_openapi_document_tags_aquanow(world: World) -> None:
    paths = world.owner.get("/docs/openapi.json").json()["paths"]
    assert {m: op["tags"] for m, op in paths[KEYS].items()} == {m: ["aquanow"] for m in ("get", "post", "delete")}
    assert paths[USAGE]["get"]["operationId"] == "aquanowApiKeyUsage"
    assert {"signedKeyId": [], "signedNonce": [], "signedSignature": []} in paths[KEYS]["get"]["security"]


def test_sensorgate_dialects_turns_aquanow_off(database_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(database_url, tmp_path, dialects="aranet,akenza,ardexa"))
    with TestClient(app=app) as client:
        assert_error(client.get(KEYS, headers={"X-API-Key": "sgp_x"}), 404, "no such endpoint")
        assert_error(client.delete(KEYS), 404, "no such endpoint")
        paths = client.get("/docs/openapi.json").json()["paths"]
        assert not [p for p in paths if p.startswith("/users/")] and "/api/v1/sensors" in paths
