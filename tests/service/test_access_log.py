"""One JSON access-log line per request, never holding a secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.app import create_app
from tests.conftest import PASSWORD, add_user, make_settings

Client = TestClient[Litestar]


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logged() -> Iterator[list[str]]:
    handler = Collect()
    handler.setFormatter(logging.getLogger("sensorgate.access").handlers[0].formatter)
    loggers = [logging.getLogger("sensorgate.access"), logging.getLogger("sensorgate")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler.lines
    for logger in loggers:
        logger.removeHandler(handler)


def test_one_json_line_per_request_with_the_useful_fields(client: Client, logged: list[str]) -> None:
    client.get("/health", headers={"X-Request-Id": "req-1", "User-Agent": "probe/1"})
    client.get("/nowhere")
    access = [json.loads(line) for line in logged if '"route"' in line]
    assert len(access) == 2
    first = access[0]
    assert first["requestId"] == "req-1" and first["status"] == 200 and first["route"] == "/health"
    assert first["method"] == "GET" and first["userAgent"] == "probe/1" and first["ms"] >= 0
    assert access[1]["status"] == 404 and access[1]["route"] == "<unmatched>"


def test_no_secret_reaches_the_logs(client: Client, db: Any, logged: list[str]) -> None:
    add_user(db, "ann@acme.example", "acme")
    login = client.post(
        "/v1/auth/login?token=query-secret-1234", json={"email": "ann@acme.example", "password": PASSWORD}
    )
    csrf, session = login.json()["csrfToken"], client.cookies["sg_session"]
    client.post("/v1/auth/login", json={"email": "ann@acme.example", "password": "wrong-secret-5678"})
    client.get("/v1/me", headers={"X-API-Key": "sgk_headersecret000000000000", "Authorization": "Bearer bearer-secret"})
    client.post("/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    text = "\n".join(logged)
    assert len(logged) >= 4
    for secret in (PASSWORD, "wrong-secret-5678", "query-secret-1234", csrf, session, "headersecret", "bearer-secret"):
        assert secret not in text, secret


def test_the_access_log_can_be_turned_off(database_url: str, tmp_path: Path, logged: list[str]) -> None:
    app = create_app(make_settings(database_url, tmp_path, access_log=False))
    with TestClient(app=app) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/nowhere").status_code == 404
    assert [line for line in logged if '"route"' in line] == []
