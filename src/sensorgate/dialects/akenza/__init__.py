"""Akenza's API (`/v3/...`, key in `x-api-key`): routes.py answers its paths, reads.py, aggregations.py and
writes.py compose our services, shapes.py is its answers, errors.py adds its rate-limit headers to a 429."""

from __future__ import annotations

from sensorgate.dialects.akenza.routes import routes

__all__ = ["routes"]
