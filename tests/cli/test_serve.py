"""`sensorgate serve`: refusals that explain themselves, and the demo a newcomer starts with."""

from __future__ import annotations

import base64
import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.helpers import Server, banner_value, clean_env, flat, run, serving
from tests.cli.test_readme import check_tour
from tests.services import free_port


def test_serve_in_production_without_secrets_refuses_to_start(tmp_path: Path) -> None:
    result = run(["serve", "--port", str(free_port())], clean_env(tmp_path / "data"), timeout=30)
    assert result.returncode != 0
    message = flat(result.stderr)
    assert "SENSORGATE_SECRET_KEY" in message, result.stderr
    assert "--demo" in message
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_database_that_was_never_migrated(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'never.db'}"
    env = clean_env(tmp_path / "data", SENSORGATE_MODE="dev")
    result = run(["serve", "--db", url, "--port", str(free_port())], env, timeout=30)
    assert result.returncode != 0
    message = flat(result.stderr)
    assert "sensorgate db upgrade" in message, result.stderr
    assert "--migrate" in message, result.stderr
    assert "Traceback" not in result.stderr


def test_a_second_serve_on_a_busy_port_refuses_to_start(tmp_path: Path) -> None:
    port = free_port()
    with serving(["--demo"], clean_env(tmp_path / "data"), port, tmp_path / "first", timeout=60):
        second = run(["serve", "--demo", "--port", str(port)], clean_env(tmp_path / "other"), timeout=30)
    assert second.returncode != 0
    message = flat(second.stderr)
    assert f"port {port} on 127.0.0.1 is in use" in message, second.stderr
    assert "Traceback" not in second.stderr


def demo_session(base: str, email: str, password: str) -> tuple[dict[str, str], list[str]]:
    """Log in on the running server; return the caller's roles by organization and its workspace slugs."""
    with httpx.Client(base_url=base, timeout=10) as client:
        login = client.post("/v1/auth/login", json={"email": email, "password": password})
        assert login.status_code == 200, login.text
        me = client.get("/v1/me")
        assert me.status_code == 200, me.text
        workspaces = client.get("/v1/workspaces")
        assert workspaces.status_code == 200, workspaces.text
    roles = {m["organization"]: m["role"] for m in me.json()["memberships"]}
    return roles, [w["slug"] for w in workspaces.json()["items"]]


def test_serve_demo_prints_a_working_login_and_is_the_same_after_a_restart(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "data")

    port = free_port()
    with serving(["--demo"], env, port, tmp_path / "run1", timeout=60) as server:
        output = server.output()
        check_tour(output, port)  # what README.md shows is what a newcomer sees
        assert f"http://127.0.0.1:{port}/" in output, output
        assert f"http://127.0.0.1:{port}/docs" in output, output
        email, password = banner_value(output, "Login"), banner_value(output, "Password")
        # The printed read-only key and its curl line work as printed.
        key = re.search(r"API key\s+(sgk_\w{28})", output)
        assert key, output
        api_key = key.group(1)
        assert f"curl -s -H 'X-API-Key: {api_key}'" in flat(output)
        latest = httpx.get(f"{server.base}/v1/measurements/latest", headers={"X-API-Key": api_key}, timeout=10)
        assert latest.status_code == 200 and latest.json()["items"], latest.text
        sensor = {"name": "x", "metrics": [{"metric": "co2"}]}
        refused = httpx.post(f"{server.base}/v1/sensors", json=sensor, headers={"X-API-Key": api_key}, timeout=10)
        assert refused.status_code == 403
        assert "@" in email
        assert len(password) >= 12
        assert "curl" in output
        assert f"http://127.0.0.1:{port}/v1/auth/login" in output

        assert demo_session(server.base, email, password) == ({"demo": "owner"}, ["demo"])
        assert "/v1/measurements/latest?sensor=" in output
        with httpx.Client(base_url=server.base, timeout=10) as client:
            assert client.post("/v1/auth/login", json={"email": email, "password": password}).status_code == 200
            sensors = client.get("/v1/sensors").json()
            latest = client.get("/v1/measurements/latest", params={"sensor": sensors["items"][0]["id"]}).json()
        assert sensors["totalItems"] == 20 + 1  # and the virtual dew point sensor
        assert latest["items"] and {item["novelty"] for item in latest["items"]} == {"new"}

        docs = httpx.get(f"{server.base}/docs", timeout=10)
        assert docs.status_code == 200
        assert docs.headers["content-type"].startswith("text/html")
        assert "swagger" in docs.text.lower()
        spec = httpx.get(f"{server.base}/openapi.json", timeout=10)
        assert spec.status_code == 200
        assert spec.json()["openapi"].startswith("3.1")
    assert server.process.returncode is not None

    port = free_port()
    with serving(["--demo"], env, port, tmp_path / "run2", timeout=60) as again:
        output = again.output()
        assert banner_value(output, "Login") == email
        assert banner_value(output, "Password") == password
        assert f"API key   {api_key}" in output
        assert "the demo workspace already has 21 sensors; nothing was added" in flat(output)
        assert demo_session(again.base, email, password) == ({"demo": "owner"}, ["demo"])

        # Right after `serve --demo`, in the same folder and with no setting, the key commands work on its data.
        created = run(["keys", "create", "--name", "x", "--json"], env)
        assert created.returncode == 0, created.stderr
        assert "workspace demo, the only one" in flat(created.stderr)
        secret = json.loads(created.stdout)["secret"]
        assert httpx.get(f"{again.base}/v1/sensors", headers={"X-API-Key": secret}, timeout=10).status_code == 200
        listed = run(["keys", "list", "--json"], env)
        assert listed.returncode == 0, listed.stderr
        assert [key["name"] for key in json.loads(listed.stdout)["items"]] == ["demo read-only key", "x"]


def test_serve_with_two_workers_sums_metrics_across_processes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(["--demo", "--workers", "2"], clean_env(data), free_port(), tmp_path / "logs", timeout=90) as server:
        # Many connections, so both workers get some of the requests.
        for _ in range(30):
            assert httpx.get(f"{server.base}/nowhere", timeout=5).status_code == 404
        metrics = httpx.get(f"{server.base}/metrics", timeout=5).text
        logs = server.logs()
    assert "worker-2" in logs, logs
    # Two workers on SQLite without Redis: serve says what that costs.
    assert "take turns to write" in flat(logs), logs
    assert "rate limits and daily quotas count per worker" in flat(logs), logs
    # Exactly 30 whichever worker answered each request: /metrics reads every worker's files.
    assert 'sensorgate_http_requests_total{method="GET",route="<unmatched>",status="404"} 30.0' in metrics


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A `serve` in production mode on a fresh SQLite file, shared by the tests that only talk to it."""
    root = tmp_path_factory.mktemp("production")
    secrets = {
        "SENSORGATE_SECRET_KEY": "k" * 40,
        "SENSORGATE_HASH_PEPPER": "p" * 40,
        "SENSORGATE_MASTER_KEY": base64.urlsafe_b64encode(b"m" * 32).decode(),
    }
    with serving(["--migrate"], clean_env(root / "data", **secrets), free_port(), root / "logs", timeout=60) as server:
        yield server


def raw_get(server: Server, target: bytes = b"/health", headers: bytes = b"") -> bytes:
    """The status line of the answer to a GET sent as bytes, past what an HTTP client would send, and its body."""
    request = b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", int(server.base.rsplit(":", 1)[1])), timeout=30) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0] + (b" " + body if body else b"")


def test_a_client_that_disconnects_mid_upload_is_one_info_line_not_an_error(production: Server) -> None:
    with socket.create_connection(("127.0.0.1", int(production.base.rsplit(":", 1)[1]))) as upload:
        head = b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        upload.sendall(head + b'Content-Length: 900\r\n\r\n{"email": "ann@')  # and no more
    # The server notices the close in its own time: wait for its line (the access log comes after it).
    deadline = time.monotonic() + 30
    while '"status":499' not in production.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    errors = production.stderr.read_text()
    [line] = [json.loads(text) for text in errors.splitlines() if text.startswith("{")]
    assert line["level"] == "INFO" and line["message"] == "client disconnected", errors
    assert "Traceback" not in errors


def test_the_http_servers_own_limits_are_those_of_operations_md(production: Server) -> None:
    def get(target: bytes = b"/health", headers: bytes = b"") -> bytes:
        return raw_get(production, target, headers)

    query = b"/health?" + b"a" * (65_534 - len(b"/health?"))
    assert get(query).startswith(b"HTTP/1.1 200")
    assert get(query + b"a") == b"HTTP/1.1 414 URI Too Long"  # an empty body: granian answers, not the app
    assert get(headers=b"X-Big: " + b"a" * 400_000 + b"\r\n").startswith(b"HTTP/1.1 200")
    assert get(headers=b"X-Big: " + b"a" * 1_000_000 + b"\r\n") == b"HTTP/1.1 431 Request Header Fields Too Large"
    fields = b"".join(b"X-%d: a\r\n" % n for n in range(98))  # with Host and Connection: 100
    assert get(headers=fields).startswith(b"HTTP/1.1 200")
    assert get(headers=fields + b"X-One-More: a\r\n") == b"HTTP/1.1 431 Request Header Fields Too Large"
    assert get(headers=b"X-Tab: a\tb\r\n").startswith(b"HTTP/1.1 200")
    assert get(headers=b"X-Bad: a\x01b\r\n") == b"HTTP/1.1 400 Bad Request"
