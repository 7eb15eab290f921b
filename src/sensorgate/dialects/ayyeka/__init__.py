"""Ayyeka's API (`POST /auth/token`, then `/v2.0/...` with an OAuth access token): routes.py answers its paths,
reads.py composes our services, shapes.py is its answers, errors.py its error body `{request_id, message}`."""

from __future__ import annotations

from sensorgate.dialects.ayyeka.routes import routes

__all__ = ["routes"]
