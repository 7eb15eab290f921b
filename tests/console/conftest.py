"""Fixtures of the browser tests: a real `sensorgate serve --demo` and Debian's Chromium, driven by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium. Without it the browser tests skip,
unless SENSORGATE_TEST_REQUIRE_BROWSER=1 (CI), when they fail. Screenshots go to SENSORGATE_SCREENSHOT_DIR, or to
the test run's temporary directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cli.helpers import clean_env, serving
from tests.conftest import PASSWORD
from tests.services import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"wide": 1280, "narrow": 390}


def no_browser(reason: str) -> None:
    if os.environ.get("SENSORGATE_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (SENSORGATE_TEST_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@dataclass(frozen=True)
class Live:
    """A running demo server, its owner, and an admin and a viewer added to the demo organization."""

    base: str
    owner: str
    owner_password: str
    admin: str
    viewer: str
    password: str
    server_logs: Callable[[], str]  # what the server wrote so far, stdout and stderr


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("console-live")
    data = root / "data"
    with serving(["--demo"], clean_env(data), free_port(), root / "logs", timeout=90) as server:
        demo = json.loads((data / "demo.json").read_text())
        with httpx.Client(base_url=server.base, timeout=30) as owner:
            login = owner.post("/v1/auth/login", json={"email": demo["email"], "password": demo["password"]})
            assert login.status_code == 200, login.text
            owner.headers["X-CSRF-Token"] = login.json()["csrfToken"]
            for role in ("admin", "viewer"):
                member = {"email": f"{role}@demo.example", "role": role, "password": PASSWORD}
                added = owner.post("/v1/organizations/demo/members", json=member)
                assert added.status_code == 201, added.text
        yield Live(server.base, demo["email"], demo["password"], "admin@demo.example", "viewer@demo.example", PASSWORD,
                   server.logs)  # fmt: skip


# Module scope, not session: Playwright's sync API keeps an event loop running in this thread while it is started,
# and tests elsewhere that call asyncio.run() must not find one.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        no_browser(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - a dev dependency
        no_browser("playwright is not installed (uv sync)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = Path(os.environ.get("SENSORGATE_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    target.mkdir(parents=True, exist_ok=True)
    return target


OpenPage = Callable[..., Any]


@pytest.fixture
def open_page(browser: Any, live: Live) -> Iterator[OpenPage]:
    """open_page(width=1280, javascript=True) -> a fresh Playwright page, in its own browser context; any script
    error or refused resource on it fails the test."""
    contexts = []
    problems: list[str] = []

    def make(width: int = 1280, javascript: bool = True) -> Any:
        context = browser.new_context(
            base_url=live.base, viewport={"width": width, "height": 900}, java_script_enabled=javascript
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.base)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        return page

    yield make
    for context in contexts:
        context.close()
    # 4xx pages are expected where a test asks for them; their console line names the status.
    unexpected = [p for p in problems if "status of 4" not in p]
    assert not unexpected, unexpected


def log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/orgs/**")
