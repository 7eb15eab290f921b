"""Where the `limits` library keeps its counters: in this process, or in Redis shared by every process."""

from __future__ import annotations

from limits.aio.storage import Storage
from limits.storage import storage_from_string


def redis_storage(redis_url: str, prefix: str) -> Storage:
    # Short timeouts: an unreachable Redis must cost a request half a second, not a hang.
    storage = storage_from_string(
        f"async+{redis_url}",
        implementation="redispy",
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        key_prefix=prefix,
    )
    assert isinstance(storage, Storage)
    return storage


def counter_storage(redis_url: str | None, prefix: str) -> Storage:
    """Redis when it is configured, else memory."""
    if redis_url:
        return redis_storage(redis_url, prefix)
    storage = storage_from_string("async+memory://")
    assert isinstance(storage, Storage)
    return storage
