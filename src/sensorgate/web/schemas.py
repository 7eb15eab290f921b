"""Wire structs of the service endpoints."""

from __future__ import annotations

import msgspec


class HealthOut(msgspec.Struct, omit_defaults=True):
    status: str  # "ok" whenever the database answers, Redis or not (docs/api.md pins it)
    redis: str | None = None  # "ok" or "unavailable"; absent when SENSORGATE_REDIS_URL is not set
