"""A small in-process cache whose entries go stale after a fixed time, for the credential verifiers.

Each process may cache what the database said about a credential for a second at most, so that a revocation
reaches every process within that second without any message between them. The cache is bounded: when it is
full it is cleared whole, which costs one database read per live credential and keeps a flood of made-up
credentials from growing it without end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from enum import Enum
from typing import Final, Generic, Literal, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Missing(Enum):
    MISSING = "missing"


# What get() returns for a key that is absent or stale. A cached value may itself be None ("no such key").
MISSING: Final[Literal[_Missing.MISSING]] = _Missing.MISSING


class TTLCache(Generic[K, V]):
    def __init__(self, seconds: float, max_entries: int = 100_000) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K, now: float | None = None) -> V | Literal[_Missing.MISSING]:
        """The value, or MISSING when absent or older than `seconds`. `now` is time.monotonic()."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= (time.monotonic() if now is None else now):
            return MISSING
        return entry[1]

    def put(self, key: K, value: V, now: float | None = None) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = ((time.monotonic() if now is None else now) + self.seconds, value)

    def pop(self, key: K) -> None:
        self._entries.pop(key, None)

    def pop_where(self, stale: Callable[[V], bool]) -> None:
        """Drop every entry whose value matches: for a revocation that names a credential, not a key."""
        self._entries = {k: entry for k, entry in self._entries.items() if not stale(entry[1])}

    def __len__(self) -> int:
        return len(self._entries)
