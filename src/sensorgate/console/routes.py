"""The web console. For now one page: log in, see your organizations and workspaces."""

from __future__ import annotations

from pathlib import Path

from litestar import MediaType, Response, get
from litestar.types import ControllerRouterHandler

_PAGE = (Path(__file__).parent / "index.html").read_bytes()
# The page loads nothing from elsewhere; a strict policy keeps it that way.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@get("/", include_in_schema=False)
async def console_page() -> Response[bytes]:
    return Response(_PAGE, media_type=MediaType.HTML, headers=_HEADERS)


ROUTES: list[ControllerRouterHandler] = [console_page]
