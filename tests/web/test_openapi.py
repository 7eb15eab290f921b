"""The OpenAPI document tells the truth: what each operation accepts, every status with our error object, both
backfill bodies, names and examples a client generator and Swagger UI can use."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import add_user, assert_error, login
from tests.measurements.conftest import make_sensor

Client = TestClient[Litestar]
METHODS = ("get", "post", "patch", "put", "delete")


@pytest.fixture
def document(client: Client) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def owner(client: Client, db: Any) -> Client:
    add_user(db, "ann@acme.example", "acme", "owner")
    login(client, "ann@acme.example")
    return client


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, item in document["paths"].items() for m, op in item.items() if m in METHODS]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref") or (schema.get("allOf") or [{}])[0].get("$ref")
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema  # type: ignore[no-any-return]


def test_the_security_schemes_are_the_credentials_the_guard_takes(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    headers = {(s["in"], s["name"]) for s in schemes.values() if s["type"] == "apiKey"}
    assert {("header", "X-API-Key"), ("header", "ApiKey"), ("header", "X-Nonce"), ("header", "X-Signature")} <= headers
    assert {("cookie", "sg_session"), ("header", "X-CSRF-Token")} <= headers
    assert schemes["bearer"] == schemes["bearer"] | {"type": "http", "scheme": "bearer"}
    flow = schemes["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/v1/oauth/token"
    assert set(flow["scopes"]) == {"data:read", "data:write", "sensors:write", "keys:read", "keys:write",
                                   "usage:read", "audit:read"}  # fmt: skip


def test_each_operation_says_what_it_accepts(document: dict[str, Any]) -> None:
    ops = {(method, path): op for method, path, op in operations(document)}
    anyone = {("GET", "/health"), ("POST", "/v1/auth/login"), ("GET", "/v1/metrics"), ("GET", "/.well-known/jwks.json")}
    for key in anyone:
        assert "security" not in ops[key], key
    assert ops["GET", "/v1/sensors"]["security"][:3] == [{"apiKey": []}, {"apiKeyHeader": []}, {"bearer": []}]
    assert {"oauth2": ["data:read"]} in ops["GET", "/v1/sensors"]["security"]
    assert {"signedKeyId": [], "signedNonce": [], "signedSignature": []} in ops["GET", "/v1/sensors"]["security"]
    # A session's unsafe request needs its CSRF token too.
    assert {"session": []} in ops["GET", "/v1/sensors"]["security"]
    assert {"session": [], "csrf": []} in ops["POST", "/v1/measurements"]["security"]
    assert {"oauth2": ["data:write"]} in ops["POST", "/v1/measurements"]["security"]
    assert ops["POST", "/v1/workspaces"]["security"] == [{"session": [], "csrf": []}]
    assert ops["GET", "/v1/token/renew"]["security"] == [{"apiKey": []}, {"apiKeyHeader": []}, {"bearer": []}]
    assert ops["POST", "/v1/oauth/token"]["security"] == [{"oauthClient": []}]
    for method, path, op in operations(document):
        assert (method, path) in anyone or op.get("security"), (method, path)


# The vendor dialects answer errors in the vendors' shapes (Aranet's {"error": [...]}, its plain-text 401; Aquanow's
# {"message"}): docs/dialects.md states them and tests/dialects checks them against the vendors' schemas; their
# OpenAPI entries do not describe those shapes yet (tests/web/fuzz.toml says the same).
DIALECT_PATHS = ("/api/v1/", "/v3/", "/users/v1/")


def test_every_error_is_documented_with_the_error_object(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        if path.startswith(DIALECT_PATHS):
            continue
        statuses = {int(s) for s in op["responses"]}
        if "security" in op:
            # The OAuth endpoints refuse an address with invalid_grant (a 400), as RFC 6749 says; the guard, 403.
            assert {401, 403} - ({403} if path.startswith("/v1/oauth/") else set()) <= statuses, (method, path)
        if "{" in path or op.get("parameters") or "requestBody" in op:
            assert 400 in statuses, (method, path)
        if "requestBody" in op:
            assert 413 in statuses, (method, path)
        for status, response in op["responses"].items():
            if int(status) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
    required = document["components"]["schemas"]["ErrorBody"]["required"]
    assert set(required) == {"timestamp", "path", "status", "error", "message", "requestId", "errorId", "traceId"}


def test_a_real_error_has_the_documented_shape(owner: Client, document: dict[str, Any]) -> None:
    declared = document["paths"]["/v1/sensors/{sensor_id}"]["get"]["responses"]["404"]["content"]
    schema = resolve(document, declared["application/json"]["schema"])
    body = assert_error(owner.get("/v1/sensors/999"), 404)
    assert set(schema["required"]) <= set(body) <= set(schema["properties"])


def test_backfill_documents_both_bodies_and_their_examples_work(owner: Client, document: dict[str, Any]) -> None:
    make_sensor(owner)  # sensor 1, with temperature and humidity, as the examples name it
    body = document["paths"]["/v1/measurements"]["post"]["requestBody"]["content"]
    csv_example = body["text/csv"]["schema"]["examples"][0]
    response = owner.post("/v1/measurements", content=csv_example, headers={"Content-Type": "text/csv"})
    assert response.json() == {"accepted": 2, "replaced": 0}, response.text
    point = resolve(document, resolve(document, body["application/json"]["schema"])["properties"]["items"]["items"])
    example = {name: field["examples"][0] for name, field in point["properties"].items()}
    assert owner.post("/v1/measurements", json={"items": [example]}).status_code == 200


def test_names_are_clean_and_every_operation_has_an_id(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-zA-Z]+", i) for i in ids), ids
    assert {"listSensors", "backfill", "createKey", "token"} <= set(ids)
    for name in document["components"]["schemas"]:
        assert re.fullmatch(r"[A-Z][A-Za-z]+", name), name


def test_input_structs_say_that_unknown_fields_are_refused(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("SensorIn", "KeyIn", "KeyPatch", "RuleIn", "LoginIn", "BackfillIn", "BackfillPoint", "MetricIn"):
        assert schemas[name]["additionalProperties"] is False, name
    assert "additionalProperties" not in schemas["SensorOut"]
    # A reissue may come without a body (the old secret then lives until its own expiry).
    assert document["paths"]["/v1/keys/{key_id}/reissue"]["post"]["requestBody"]["required"] is False


def examples_in(node: object) -> list[object]:
    if isinstance(node, dict):
        found = list(node.get("examples", [])) if isinstance(node.get("examples"), list) else []
        return found + [e for value in node.values() for e in examples_in(value)]
    return [e for value in node for e in examples_in(value)] if isinstance(node, list) else []


def test_examples_are_real_values_not_random_strings(document: dict[str, Any]) -> None:
    found = [e for e in examples_in(document) if isinstance(e, str)]
    # Litestar's generated examples are runs of random letters, such as 'bzayzoQbzdXMsvhsvQnj'.
    assert found and not [e for e in found if re.fullmatch(r"[A-Za-z]{20}", e)]
    assert document["components"]["schemas"]["BackfillPoint"]["properties"]["metric"]["examples"] == ["temperature"]


ALL_SCOPES = ["data:read", "data:write", "sensors:write", "keys:read", "keys:write", "usage:read", "audit:read"]


def reads_listing(document: dict[str, Any], scheme: str) -> list[str]:
    """The paths of every GET whose security lists `scheme`: what Swagger UI sends that credential to."""
    return [
        path
        for method, path, op in operations(document)
        if method == "GET" and any(scheme in requirement for requirement in op.get("security", []))
    ]


def test_swagger_authorize_with_an_api_key_or_an_oauth_client_makes_the_calls_work(
    owner: Client, app: Litestar, document: dict[str, Any]
) -> None:
    sensor = make_sensor(owner)["id"]
    key = owner.post("/v1/keys", json={"name": "all", "scopes": ALL_SCOPES, "canRenew": True}).json()
    client = owner.post("/v1/keys", json={"name": "app", "kind": "oauth_client", "scopes": ALL_SCOPES}).json()
    with TestClient(app=app, base_url="https://testserver.local") as browser:  # no session: Authorize only
        # Swagger UI's client credentials flow: the form to tokenUrl, the client in HTTP Basic.
        token_url = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["tokenUrl"]
        token = browser.post(
            token_url, data={"grant_type": "client_credentials"}, auth=(client["publicId"], client["secret"])
        )
        assert token.status_code == 200, token.text
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for scheme, headers in (("apiKey", {"X-API-Key": key["secret"]}), ("oauth2", bearer)):
            # A key sees the keys made through it: make one, as this credential.
            child = browser.post("/v1/keys", json={"name": "child"}, headers=headers)
            assert child.status_code == 201, child.text
            ids = {"sensor_id": sensor, "key_id": child.json()["id"]}
            # The dialects' reads are walked with each credential in tests/dialects.
            paths = [p for p in reads_listing(document, scheme) if not p.startswith(DIALECT_PATHS)]
            assert "/v1/measurements/latest" in paths and "/v1/keys/{key_id}/log" in paths
            for path in paths:
                if scheme == "oauth2" and path == "/v1/token/renew":
                    continue  # only an API key renews; the document lists no oauth2 there
                response = browser.get(path.format(**ids), headers=headers, params=_required_query(document, path))
                assert response.status_code == 200, (scheme, path, response.text)


def _required_query(document: dict[str, Any], path: str) -> dict[str, str]:
    """History and aggregates need `sensor=`; the rest need nothing."""
    return {"sensor": "1"} if path in ("/v1/measurements", "/v1/measurements/aggregate") else {}


def test_each_body_example_is_accepted_by_its_own_schema(document: dict[str, Any]) -> None:
    """Swagger UI fills "Try it out" with these: each must decode as its struct does (rules included)."""
    from sensorgate.accounts import schemas as accounts
    from sensorgate.alarms.schemas import RuleIn
    from sensorgate.credentials import schemas as keys
    from sensorgate.credentials.policy import PolicyPatch
    from sensorgate.measurements.schemas import BackfillIn
    from sensorgate.sensors import schemas as sensors

    structs = [accounts.LoginIn, accounts.WorkspaceIn, accounts.MemberIn, accounts.MemberPatch, sensors.SensorIn,
               sensors.SensorPatch, RuleIn, keys.KeyIn, keys.KeyPatch, PolicyPatch, BackfillIn]  # fmt: skip
    for struct in structs:
        shown = document["components"]["schemas"][struct.__name__]["examples"]
        assert shown == [struct.EXAMPLE], struct.__name__
        msgspec.convert(struct.EXAMPLE, struct)
