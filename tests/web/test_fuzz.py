"""schemathesis against a running server, on SQLite and on PostgreSQL: first with an API key holding every scope
(and an OAuth client for the OAuth endpoints), then with the owner's session and its CSRF token.

Every phase and every check runs (tests/web/fuzz.toml lists each exclusion and its reason; fuzz_hooks.py the
requests a run must not send), so the bar includes no 5xx and no answer outside its documented schema.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from sensorgate.app import create_app
from tests.cli.helpers import Server, clean_env, serving
from tests.conftest import PASSWORD, add_user, make_settings
from tests.services import free_port

ROOT = Path(__file__).parents[2]
SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
# Seconds per database: the API has 43 operations and the key reaches all but the session-only ones. The suite's
# budget gives fuzzing about 4 minutes for both databases, server starts included.
SECONDS = {"key": 40, "session": 30}
ALL_SCOPES = ["data:read", "data:write", "sensors:write", "keys:read", "keys:write", "usage:read", "audit:read"]


@dataclass(frozen=True)
class World:
    key_id: int
    key: str
    client_id: str
    client_secret: str
    user_id: int
    session: str
    csrf: str


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> World:
    """An organization with an owner, a sensor with data, an alarm rule, a key with every scope and an OAuth
    client, made through the API itself."""
    user_id = 0
    with TestClient(create_app(make_settings(database_url, tmp_path)), base_url="https://testserver.local") as api:
        user_id = add_user(api.app.state.sensorgate.db, "ann@acme.example", "acme", "owner")
        login = api.post("/v1/auth/login", json={"email": "ann@acme.example", "password": PASSWORD}).json()
        api.headers["X-CSRF-Token"] = login["csrfToken"]
        # The run makes many keys: let one user hold them.
        assert api.patch("/v1/organizations/acme/settings", json={"maxActiveKeysPerUser": 1000}).status_code == 200
        sensor = {"name": "Boiler room", "serial": "BR-1", "deviceGroup": "building-a", "assets": ["boiler"],
                  "metrics": [{"metric": "temperature"}, {"metric": "humidity"}]}  # fmt: skip
        sensor_id = api.post("/v1/sensors", json=sensor).json()["id"]
        points = [{"sensor": sensor_id, "metric": "temperature", "value": 20 + i, "time": f"2026-11-02T10:{i:02}:00Z"}
                  for i in range(30)]  # fmt: skip
        assert api.post("/v1/measurements", json={"items": points}).status_code == 200
        rule = {"name": "Too hot", "metric": "temperature", "condition": "above", "threshold": 40, "sensor": sensor_id}
        assert api.post("/v1/alarm-rules", json=rule).status_code == 201
        key = api.post("/v1/keys", json={"name": "fuzz", "scopes": ALL_SCOPES, "canRenew": True}).json()
        client = api.post("/v1/keys", json={"name": "fuzz app", "kind": "oauth_client", "scopes": ALL_SCOPES}).json()
        return World(key["id"], key["secret"], client["publicId"], client["secret"], user_id,
                     api.cookies["sg_session"], login["csrfToken"])  # fmt: skip


@pytest.fixture
def server(database_url: str, tmp_path: Path, world: World) -> Iterator[Server]:
    settings = make_settings(database_url, tmp_path)
    env = clean_env(
        tmp_path / "data",
        SENSORGATE_SECRET_KEY=settings.secret_key,
        SENSORGATE_HASH_PEPPER=settings.hash_pepper,
        SENSORGATE_MASTER_KEY=settings.master_key,
        SENSORGATE_ACCESS_LOG="false",
    )
    with serving(["--db", database_url], env, free_port(), tmp_path / "server", timeout=90) as running:
        yield running


def auth_config(mode: str, world: World) -> str:
    if mode == "key":
        return f"""
[auth.openapi.apiKey]
api_key = "{world.key}"

[auth.openapi.oauthClient]
username = "{world.client_id}"
password = "{world.client_secret}"
"""
    return f"""
[auth.openapi.session]
api_key = "{world.session}"

[auth.openapi.csrf]
api_key = "{world.csrf}"

# Logging out would end the session the run uses; tests/accounts/test_auth.py tests it.
[[operations]]
include-operation-id = "logout"
enabled = false
"""


def fuzz(server: Server, world: World, mode: str, tmp_path: Path) -> tuple[dict[str, Any], str]:
    config = tmp_path / f"{mode}.toml"
    config.write_text((Path(__file__).parent / "fuzz.toml").read_text() + auth_config(mode, world))
    report = tmp_path / f"{mode}.json"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.web.fuzz_hooks",
        "SG_FUZZ_KEY_ID": str(world.key_id),
        "SG_FUZZ_USER_ID": str(world.user_id),
    }
    args = [SCHEMATHESIS, "--config-file", str(config), "run", f"{server.base}/openapi.json"]
    args += ["--max-time", str(SECONDS[mode]), "--report", "json", "--report-json-path", str(report)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=SECONDS[mode] + 180, cwd=tmp_path)
    assert report.exists(), done.stdout[-5000:] + done.stderr[-3000:]
    return json.loads(report.read_text()), done.stdout


def test_schemathesis_finds_no_failure(server: Server, world: World, database_url: str, tmp_path: Path) -> None:
    found: dict[str, str] = {}
    for mode in SECONDS:
        report, output = fuzz(server, world, mode, tmp_path)
        cases, operations = report["test_cases"], report["operations"]
        print(  # the figures, for -s or -rP
            f"\nschemathesis {report['schemathesis_version']}, {database_url.split(':')[0]}, {mode}: "
            f"{operations['tested']}/{operations['total']} operations, {cases['generated']} test cases, "
            f"{report['running_time']:.0f} s, {cases['unique_failures']} failures, {len(report['errors'])} errors"
        )
        if report["failures"] or report["errors"]:
            found[mode] = output[-20000:] + server.logs()[-5000:]
    assert not found, "\n\n".join(f"== {mode}\n{text}" for mode, text in found.items())
