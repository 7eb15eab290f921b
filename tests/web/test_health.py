from __future__ import annotations

from pathlib import Path

from litestar.testing import TestClient

from sensorgate.app import create_app
from tests.conftest import assert_error, make_settings
from tests.services import free_port


def test_health_answers_ok_once_the_database_answers(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_answers_503_with_the_error_object_when_the_database_is_down(tmp_path: Path) -> None:
    # Nothing listens on this port: the database is unreachable.
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=1"
    app = create_app(make_settings(url, tmp_path))
    with TestClient(app=app) as client:
        response = client.get("/health")
    body = assert_error(response, 503, "database")
    assert response.headers["retry-after"]
    assert "psycopg" not in str(body) and "Traceback" not in str(body)
