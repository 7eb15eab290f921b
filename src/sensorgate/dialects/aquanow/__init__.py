"""Aquanow's key API (`/users/v1/apiKey`, `/users/v1/apiKeyUsage`, signed with `x-api-key`, `x-nonce`,
`x-signature`): routes.py answers its paths over credentials/user_keys.py and usage/report.py, shapes.py is its
answers, errors.py its error body."""

from __future__ import annotations

from sensorgate.dialects.aquanow.routes import routes

__all__ = ["routes"]
