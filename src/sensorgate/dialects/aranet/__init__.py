"""Aranet Cloud's API (`/api/v1/...`): routes.py answers its paths, reads.py composes our services, catalogue.py
numbers our metrics and units as Aranet does, shapes.py and errors.py are its answers."""

from __future__ import annotations

from sensorgate.dialects.aranet.routes import routes

__all__ = ["routes"]
