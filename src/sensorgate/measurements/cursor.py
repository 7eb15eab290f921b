"""Opaque, signed keyset cursors for history.

A cursor carries the window fixed at the first page (so "last 6 hours" does not slide while a client walks)
and the key of the last point returned. Walking `next` returns every point of the window exactly once, also
while new points arrive: new points outside the fixed window are never reached, and points are keyed by
(series, time), so a replaced value keeps its place.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import msgspec

from sensorgate.kit.errors import BadRequest


class Cursor(msgspec.Struct, array_like=True):
    start: int  # window, epoch ms, inclusive
    end: int  # exclusive
    descending: bool
    series_id: int  # key of the last point returned
    t: int
    query: str  # digest of the series asked for: a cursor only continues its own query


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Cursor)


def query_digest(series_ids: list[int]) -> str:
    return hashlib.blake2b(",".join(map(str, sorted(series_ids))).encode(), digest_size=6).hexdigest()


def encode(cursor: Cursor, key: bytes) -> str:
    payload = _encoder.encode(cursor)
    tag = hmac.new(key, payload, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(payload + tag).decode().rstrip("=")


def decode(text: str, key: bytes) -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise BadRequest("cursor is not one this service issued") from None
    payload, tag = raw[:-12], raw[-12:]
    if len(raw) < 13 or not hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest()[:12], tag):
        raise BadRequest("cursor is not one this service issued")
    try:
        return _decoder.decode(payload)
    except msgspec.DecodeError:
        raise BadRequest("cursor is not one this service issued") from None


def cursor_key(secret_key: str) -> bytes:
    """A key of its own, derived from the secret key, so cursor tags reveal nothing about other uses."""
    return hmac.new(secret_key.encode(), b"sensorgate history cursor", hashlib.sha256).digest()
