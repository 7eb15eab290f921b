"""Keyed hashing of secrets that are only ever compared (session tokens now, API keys later)."""

from __future__ import annotations

import hashlib
import hmac


def keyed_hash(pepper: str, secret: str) -> bytes:
    """HMAC-SHA256 under the server pepper: a leaked table cannot be brute-forced without the pepper."""
    return hmac.new(pepper.encode(), secret.encode(), hashlib.sha256).digest()


class KeyedHasher:
    """keyed_hash for one pepper, for the hot path: copying a keyed HMAC costs half of keying a new one."""

    def __init__(self, pepper: str) -> None:
        self._keyed = hmac.new(pepper.encode(), digestmod=hashlib.sha256)

    def __call__(self, secret: str) -> bytes:
        mac = self._keyed.copy()
        mac.update(secret.encode())
        return mac.digest()
