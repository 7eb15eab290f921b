"""The hot path's keyed hasher must give exactly the stored hash, or every key would be unknown."""

from __future__ import annotations

from sensorgate.kit import keys
from sensorgate.kit.crypto import KeyedHasher, keyed_hash


def test_the_keyed_hasher_matches_keyed_hash_every_time() -> None:
    hasher = KeyedHasher("p" * 40)
    secrets = [keys.new_key() for _ in range(50)]
    # Twice over: a copy must never carry state from the previous secret into the next.
    assert [hasher(s) for s in secrets * 2] == [keyed_hash("p" * 40, s) for s in secrets * 2]
    assert KeyedHasher("q" * 40)(secrets[0]) != hasher(secrets[0])
