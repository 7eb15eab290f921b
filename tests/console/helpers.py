"""Driving the console as a browser does, with plain form posts: the session cookie, and the CSRF token the page
puts in each form (read here from the cookie the page reads it from)."""

from __future__ import annotations

import html
import re
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import PASSWORD

Client = TestClient[Litestar]


def console_login(client: Client, email: str, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"email": email, "password": password}, follow_redirects=False)
    assert response.status_code == 303, response.text


def submit(client: Client, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """Post a console form with its CSRF token, without following the redirect."""
    fields = {"csrf_token": client.cookies.get("sg_csrf", ""), **(data or {})}
    return client.post(path, data=fields, follow_redirects=False, **kwargs)


def secret_on(page: str) -> str:
    found = re.search(r'id="secret"[^>]*value="([^"]+)"', page)
    assert found, "no secret on the page"
    return found.group(1)


def field_errors(page: str) -> dict[str, str]:
    """{field: message} of the errors shown next to fields; "" for the form's own."""
    shown = re.finditer(r'class="error" id="([^"]*)-error"[^>]*>([^<]*)<', page)
    found = {m.group(1): html.unescape(m.group(2)) for m in shown}
    notice = re.search(r'class="notice bad" role="alert">([^<]*)<', page)
    if notice:
        found[""] = html.unescape(notice.group(1))
    return found


def key_form(workspace: int, /, **fields: Any) -> dict[str, Any]:
    """The create form as its least-privilege defaults fill it in, with these fields changed."""
    return {
        "kind": "api_key",
        "name": "console key",
        "reach": "list",
        "workspace": [str(workspace)],
        "scope": ["data:read"],
        "expires": "7d",
        **fields,
    }
