"""The pinned secret format: sgk_ + 22 base62 + a 6-character base62 CRC32."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from sensorgate.kit import keys


def test_new_keys_have_the_pinned_format_and_differ() -> None:
    made = {keys.new_key() for _ in range(200)}
    assert len(made) == 200
    for key in made:
        assert re.fullmatch(r"sgk_[0-9A-Za-z]{28}", key) and len(key) == 32
        assert keys.well_formed(key)


@given(position=st.integers(min_value=4, max_value=31), replacement=st.sampled_from(keys.ALPHABET))
def test_any_changed_character_fails_the_checksum(position: int, replacement: str) -> None:
    key = keys.new_key()
    changed = key[:position] + replacement + key[position + 1 :]
    assert keys.well_formed(changed) == (changed == key)


def test_wrong_prefix_length_or_alphabet_is_malformed() -> None:
    key = keys.new_key()
    for bad in ("", key[:-1], key + "0", "sgx_" + key[4:], key[:10] + "-" + key[11:], key.lower()):
        assert not keys.well_formed(bad) or bad == key
