"""Fixtures: every HTTP test runs on SQLite and on PostgreSQL, with the schema built by the migrations."""

from __future__ import annotations

import base64
import itertools
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient

from sensorgate.accounts import service
from sensorgate.accounts.passwords import hash_password
from sensorgate.app import create_app
from sensorgate.db import migrate
from sensorgate.db.engine import Database, create_engine
from sensorgate.kit.times import utcnow
from sensorgate.settings import Settings, load_settings
from tests.services import postgres_server, redis_server

PASSWORD = "correct horse battery staple"
_database_numbers = itertools.count()


@cache
def password_hash() -> str:
    # One argon2 hash for every test user: hashing costs ~50 ms, and a suite creates hundreds of users.
    return hash_password(PASSWORD)


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> str:
    """A database migrated once; each test copies it, which is far faster than migrating again."""
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE sg_template")
    admin.dispose()
    engine = create_engine(postgres_admin_url.rsplit("/", 1)[0] + "/sg_template")
    migrate.upgrade(engine)
    engine.dispose()
    return "sg_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, fully migrated database for one test."""
    if request.param == "sqlite":
        target = tmp_path / "sensorgate.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    template = request.getfixturevalue("postgres_template")
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    name = f"sg_test_{next(_database_numbers)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "mode": "production",
        "database_url": database_url,
        "data_dir": str(data_dir),
        "secret_key": "k" * 40,
        "hash_pepper": "p" * 40,
        "master_key": base64.urlsafe_b64encode(b"m" * 32).decode(),
        # Test clients run the app on their own threads: a background flush or job could then share the SQLite
        # loop connection with a request. Tests flush by hand (app.state.sensorgate.usage.flush) instead.
        "usage_flush_seconds": 3600,
        "scheduler": False,
    }
    values.update(overrides)
    return load_settings(environ={}, **values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    # https, so the client sends back the Secure session cookie as a browser would.
    with TestClient(app=app, base_url="https://testserver.local") as test_client:
        yield test_client


@pytest.fixture
def db(app: Litestar) -> Database:
    return app.state.sensorgate.db  # type: ignore[no-any-return]


def add_user(db: Database, email: str, org: str, role: str = "owner") -> int:
    """A user with PASSWORD in `org` (created with a workspace of the same slug when new)."""
    user_id, _ = db.write_sync(service.ensure_user, email, password_hash(), org, role, utcnow())
    return user_id


def login(client: TestClient[Litestar], email: str, password: str = PASSWORD) -> str:
    """Log the client in and return the CSRF token, which is also set as the default header."""
    response = client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrfToken"]
    client.headers["X-CSRF-Token"] = token
    return token


def assert_error(response: object, status: int, contains: str = "") -> dict[str, object]:
    """The error object of docs/api.md, with the expected status and message."""
    assert response.status_code == status, response.text
    body: dict[str, object] = response.json()
    assert set(body) >= {"timestamp", "path", "status", "error", "message", "requestId", "errorId", "traceId"}
    assert body["status"] == status
    assert contains.lower() in str(body["message"]).lower(), body["message"]
    return body
