"""The client's address behind trusted proxies, and what it changes: IP allowlists and the access log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from sensorgate.app import create_app
from sensorgate.kit.proxies import client_address, parse_networks
from sensorgate.settings import SettingsError, load_settings
from tests.conftest import make_settings
from tests.credentials.test_keys_api import create
from tests.measurements.conftest import owner as owner  # the fixture

LB = parse_networks("10.0.0.0/24, 192.168.1.1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("10.0.0.5", [b"203.0.113.7"], "203.0.113.7"),  # the load balancer says whom it forwards for
        ("198.51.100.1", [b"203.0.113.7"], "198.51.100.1"),  # anyone else: the header is ignored
        ("10.0.0.5", [b"1.1.1.1, 203.0.113.7"], "203.0.113.7"),  # a client's own header is on the left: ignored
        ("10.0.0.5", [b"203.0.113.7, 192.168.1.1"], "203.0.113.7"),  # two proxies of ours: skipped
        ("10.0.0.5", [b"203.0.113.7", b"192.168.1.1"], "203.0.113.7"),  # the same, as two header lines
        ("10.0.0.5", [b"203.0.113.7, garbage"], "10.0.0.5"),  # not an address: stop at the last proxy
        ("10.0.0.5", [], "10.0.0.5"),
        ("10.0.0.5", [b"2001:db8::1"], "2001:db8::1"),
        ("10.0.0.5", [b"203.0.113.7:51234"], "203.0.113.7"),  # some balancers add the client's port
        ("10.0.0.5", [b"[2001:db8::1]:51234"], "2001:db8::1"),
        ("10.0.0.5", [b"[2001:db8::1]"], "2001:db8::1"),
        ("testclient", [b"203.0.113.7"], "testclient"),
    ],
)
def test_the_client_address(peer: str, forwarded: list[bytes], client: str) -> None:
    assert client_address(peer, forwarded, LB) == client


def test_a_bad_trusted_proxies_setting_stops_the_start() -> None:
    with pytest.raises(SettingsError, match=r"TRUSTED_PROXIES: not an address or network: .lb\.internal."):
        load_settings({"SENSORGATE_MODE": "dev", "SENSORGATE_TRUSTED_PROXIES": "10.0.0.0/8, lb.internal"})


def behind(app: Any, peer: str) -> Any:
    """The app as seen through a connection from `peer`."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope["client"] = (peer, 40000)
        await app(scope, receive, send)

    return asgi


def test_an_ip_allowlist_sees_the_client_behind_the_load_balancer(
    owner: Any, database_url: str, tmp_path: Path
) -> None:
    key = create(owner, ipAllowlist=["203.0.113.0/24"])
    trusting = create_app(make_settings(database_url, tmp_path, trusted_proxies="10.0.0.0/24"))
    headers = {"X-API-Key": key["secret"], "X-Forwarded-For": "203.0.113.7"}
    with TestClient(app=behind(trusting, "10.0.0.5")) as through_lb:  # type: ignore[arg-type]
        assert through_lb.get("/v1/sensors", headers=headers).status_code == 200
        assert through_lb.get("/v1/sensors", headers={**headers, "X-Forwarded-For": "198.51.100.9"}).status_code == 403
    with TestClient(app=behind(trusting, "198.51.100.9")) as direct:  # type: ignore[arg-type]
        assert direct.get("/v1/sensors", headers=headers).status_code == 403  # not from the LB: header ignored
    plain = create_app(make_settings(database_url, tmp_path))
    with TestClient(app=behind(plain, "10.0.0.5")) as untrusting:  # type: ignore[arg-type]
        assert untrusting.get("/v1/sensors", headers=headers).status_code == 403  # no trusted proxies set
