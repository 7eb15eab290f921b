"""The vendors' API dialects: each answers one vendor's paths in that vendor's shapes, so that a client written
for that vendor works against sensorgate unchanged (docs/dialects.md).

A dialect is a face, like the console: it authenticates through the same guard (the `principal` dependency), reads
and writes through the same services, and is counted, limited and logged like /v1. It adds no rules of its own;
it translates names, ids, shapes and errors.
"""

from __future__ import annotations

from collections.abc import Callable

from litestar.types import ControllerRouterHandler


def routes(enabled: frozenset[str]) -> list[ControllerRouterHandler]:
    """The route handlers of the enabled dialects (SENSORGATE_DIALECTS)."""
    from sensorgate.dialects import akenza, aquanow, aranet, ardexa

    registry: dict[str, Callable[[], list[ControllerRouterHandler]]] = {
        "aranet": aranet.routes,
        "akenza": akenza.routes,
        "ardexa": ardexa.routes,
        "aquanow": aquanow.routes,
    }
    return [handler for name, make in registry.items() if name in enabled for handler in make()]
