"""One JSON access-log line per request, never holding a secret; application logs hold none either."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.app import create_app
from sensorgate.settings import Settings
from sensorgate.web.logs import JsonFormatter
from tests.conftest import PASSWORD, add_user, assert_error, login, make_settings
from tests.credentials.test_keys_api import as_key, create

Client = TestClient[Litestar]


@pytest.fixture
def access_stream() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def app_logs() -> Iterator[io.StringIO]:
    """Everything the application logs (errors, warnings), formatted as it would reach stderr."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("sensorgate")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


@pytest.fixture
def logged_client(settings: Settings, access_stream: io.StringIO) -> Iterator[Client]:
    app = create_app(settings, access_stream=access_stream)
    with TestClient(app=app, base_url="https://testserver.local") as client:
        yield client


def access_lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_json_line_per_request_with_the_useful_fields(logged_client: Client, access_stream: io.StringIO) -> None:
    logged_client.get("/health", headers={"X-Request-Id": "req-1", "User-Agent": "probe/1"})
    logged_client.get("/nowhere")
    first, second = access_lines(access_stream)
    assert first["requestId"] == "req-1" and first["status"] == 200 and first["route"] == "/health"
    assert first["method"] == "GET" and first["userAgent"] == "probe/1" and float(str(first["ms"])) >= 0
    assert second["status"] == 404 and second["route"] == "<unmatched>"


def test_no_secret_reaches_the_logs(
    logged_client: Client, access_stream: io.StringIO, app_logs: io.StringIO, settings: Settings
) -> None:
    client = logged_client
    add_user(client.app.state.sensorgate.db, "ann@acme.example", "acme")
    login = client.post(
        "/v1/auth/login?token=query-secret-1234", json={"email": "ann@acme.example", "password": PASSWORD}
    )
    csrf, session = login.json()["csrfToken"], client.cookies["sg_session"]
    client.post("/v1/auth/login", json={"email": "ann@acme.example", "password": "wrong-secret-5678"})
    client.get("/v1/me", headers={"X-API-Key": "sgk_headersecret000000000000", "Authorization": "Bearer bearer-secret"})
    client.post("/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    text = access_stream.getvalue() + app_logs.getvalue()
    assert len(access_lines(access_stream)) == 4
    secrets = (PASSWORD, "wrong-secret-5678", "query-secret-1234", csrf, session, "headersecret", "bearer-secret")
    for secret in (*secrets, settings.hash_pepper, settings.secret_key):
        assert secret not in text, secret


def test_the_access_log_can_be_turned_off(database_url: str, tmp_path: Path, access_stream: io.StringIO) -> None:
    app = create_app(make_settings(database_url, tmp_path, access_log=False), access_stream=access_stream)
    with TestClient(app=app) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/nowhere").status_code == 404
    assert access_stream.getvalue() == ""


def test_a_500_is_logged_with_its_error_id_and_traceback(app: Litestar, app_logs: io.StringIO) -> None:
    from litestar import get

    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("kaboom")

    app.register(boom)
    with TestClient(app=app) as client:
        error_id = client.get("/boom").json()["errorId"]
    [entry] = [json.loads(line) for line in app_logs.getvalue().splitlines()]
    assert entry["errorId"] == error_id and entry["level"] == "ERROR"
    assert "RuntimeError: kaboom" in entry["exception"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/v1/auth/login", b"application/json"), ("/login", b"application/x-www-form-urlencoded")],
)
def test_a_client_that_disconnects_mid_upload_is_one_info_line(
    settings: Settings, access_stream: io.StringIO, app_logs: io.StringIO, path: str, content_type: bytes
) -> None:
    # What granian hands the app when the client goes away with its body half sent; the test client cannot.
    app = create_app(settings, access_stream=access_stream)
    received = [{"type": "http.request", "body": b'{"email": "ann@', "more_body": True}, {"type": "http.disconnect"}]
    headers = [(b"content-type", content_type), (b"content-length", b"1000"), (b"x-request-id", b"gone-1")]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> dict[str, object]:
        return received.pop(0)

    async def send(message: dict[str, object]) -> None:
        pass

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    [entry] = [json.loads(line) for line in app_logs.getvalue().splitlines()]
    assert entry["level"] == "INFO" and entry["message"] == "client disconnected", entry
    assert entry["requestId"] == "gone-1" and entry["path"] == path and "exception" not in entry
    [line] = access_lines(access_stream)
    assert line["status"] == 499 and line["requestId"] == "gone-1"


def test_a_line_names_the_credential_its_refusal_and_the_error_id(
    logged_client: Client, access_stream: io.StringIO
) -> None:
    """Which key made a request, why it was refused and the error's errorId, so an operator can follow a
    complaint from a client's error object to the log; never the secret."""
    client = logged_client
    add_user(client.app.state.sensorgate.db, "ann@acme.example", "acme")
    login(client, "ann@acme.example")
    reader = create(client, scopes=["data:read"])
    signer = create(client, kind="signing_key")
    start = len(access_lines(access_stream))
    with as_key(client.app, reader["secret"]) as key:
        assert key.get("/v1/sensors").status_code == 200
        refused = assert_error(key.post("/v1/sensors", json={"name": "x"}), 403)
    with as_key(client.app, "sgk_" + "0" * 28) as stranger:
        unknown = assert_error(stranger.get("/v1/sensors"), 401)
    with as_key(client.app, signer["publicId"]) as unsigned:
        unsigned.get("/v1/sensors")
    used, scope, made_up, public_id = access_lines(access_stream)[start:]
    assert (used["credentialId"], used["credentialKind"], used["refusal"], used["errorId"]) == (
        reader["id"],
        "api_key",
        None,
        None,
    )
    assert (scope["credentialId"], scope["refusal"], scope["errorId"]) == (reader["id"], "scope", refused["errorId"])
    assert (made_up["credentialId"], made_up["credentialKind"], made_up["refusal"]) == (None, "api_key", "malformed")
    assert made_up["errorId"] == unknown["errorId"]
    assert public_id["refusal"] == "malformed" and public_id["status"] == 401
    assert reader["secret"] not in access_stream.getvalue()
