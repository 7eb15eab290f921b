"""What each endpoint answers, by media type, and a 406 for a request whose Accept allows none of it.

An endpoint answers JSON unless its handler says otherwise: a handler's own media type, or `opt["offers"]` where
it answers more than one (the key log: JSON and CSV) or whatever a file is (the static files).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from litestar import MediaType, Request
from litestar.datastructures import Accept
from litestar.datastructures.headers import MediaTypeHeader
from litestar.handlers import HTTPRouteHandler

from sensorgate.kit.errors import NotAcceptable

ANYTHING = "*/*"


def offered(handler: HTTPRouteHandler) -> list[str]:
    declared = handler.opt.get("offers")
    if declared:
        return [_text(media) for media in declared]
    media = _text(handler.media_type) or MediaType.JSON.value
    # A `+json` type (RFC 6839) is JSON to a client that asks for JSON, such as the OpenAPI document's.
    return [media, MediaType.JSON.value] if media.endswith("+json") else [media]


def acceptable(header: str | None, offers: list[str]) -> bool:
    if header is None or header.strip() in ("", ANYTHING):
        return True
    # Litestar's Accept ranks ranges by q but still matches a range of q=0, which RFC 9110 §12.4.2 makes "not
    # acceptable": those ranges are dropped first.
    ranges = [part for part in header.split(",") if MediaTypeHeader(part.strip()).priority[0] > 0]
    return bool(ranges) and Accept(",".join(ranges)).best_match(offers) is not None


async def refuse_unacceptable(request: Request[Any, Any, Any]) -> None:
    """The app's before_request hook: runs before the handler, its dependencies and its body."""
    offers = offered(request.route_handler)
    if not acceptable(request.headers.get("accept"), offers):
        raise NotAcceptable(f"this endpoint answers {', '.join(offers)}; the Accept header allows none of them")


def _text(media: object) -> str:
    return str(media.value if isinstance(media, Enum) else media)
