"""Keyed hashing of secrets that are only ever compared (session tokens now, API keys later)."""

from __future__ import annotations

import hashlib
import hmac


def keyed_hash(pepper: str, secret: str) -> bytes:
    """HMAC-SHA256 under the server pepper: a leaked table cannot be brute-forced without the pepper."""
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).digest()
