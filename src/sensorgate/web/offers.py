"""What each endpoint answers, by media type, and a 406 for a request whose Accept allows none of it.

An endpoint answers JSON unless its handler says otherwise: a handler's own media type, or `opt["offers"]` where
it answers more than one (the key log: JSON and CSV) or whatever a file is (the static files).
"""

from __future__ import annotations

from enum import Enum
from functools import lru_cache
from typing import Any

from litestar import MediaType, Request
from litestar.datastructures import Accept
from litestar.datastructures.headers import MediaTypeHeader
from litestar.handlers import HTTPRouteHandler

from sensorgate.kit.errors import NotAcceptable

ANYTHING = "*/*"
# Real clients send a handful of ranges; reading more would let one header cost milliseconds.
MAX_RANGES = 32


def offered(handler: HTTPRouteHandler) -> tuple[str, ...]:
    declared = handler.opt.get("offers")
    if declared:
        return tuple(_text(media) for media in declared)
    media = _text(handler.media_type) or MediaType.JSON.value
    # A `+json` type (RFC 6839) is JSON to a client that asks for JSON, such as the OpenAPI document's.
    return (media, MediaType.JSON.value) if media.endswith("+json") else (media,)


# A client sends the same Accept on every request: parsing it costs tens of microseconds, a cache hit almost none.
@lru_cache(maxsize=1024)
def acceptable(header: str, offers: tuple[str, ...]) -> bool:
    if header.strip() in ("", ANYTHING):
        return True
    # Litestar's Accept ranks ranges by q but still matches a range of q=0, which RFC 9110 §12.4.2 makes "not
    # acceptable": those ranges are dropped first.
    parts = header.split(",", MAX_RANGES)[:MAX_RANGES]
    ranges = [part for part in parts if MediaTypeHeader(part.strip()).priority[0] > 0]
    return bool(ranges) and Accept(",".join(ranges)).best_match(list(offers)) is not None


async def refuse_unacceptable(request: Request[Any, Any, Any]) -> None:
    """The app's before_request hook: runs before the handler, its dependencies and its body."""
    header = request.headers.get("accept")
    if header is None:
        return
    offers = offered(request.route_handler)
    if not acceptable(header, offers):
        raise NotAcceptable(f"this endpoint answers {', '.join(offers)}; the Accept header allows none of them")


def _text(media: object) -> str:
    return str(media.value if isinstance(media, Enum) else media)
