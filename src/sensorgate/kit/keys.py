"""API key secrets: `sgk_`, 22 random base62 characters, then a 6-character base62 CRC32 of what precedes it.

32 characters in all (docs/api.md). The checksum lets a mistyped or truncated key be refused without touching the
database, and lets secret scanners recognise leaked keys. The other credential kinds use the same shape with
their own prefixes: a signing key's public id `sgp_` and secret `sgs_`, an OAuth client's id `sgc_` and secret
`sgo_`. Signing secrets are longer (43 random characters, 256 bits), since they key an HMAC-SHA384.
"""

from __future__ import annotations

import secrets
import zlib

PREFIX = "sgk_"
RANDOM_LENGTH = 22  # log2(62**22) = 131 bits
CHECK_LENGTH = 6  # 62**6 > 2**32: any CRC32 fits
LENGTH = len(PREFIX) + RANDOM_LENGTH + CHECK_LENGTH
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DISPLAY_LENGTH = 8  # "sgk_AbCd": shown in lists and logs to tell keys apart; reveals 4 random characters


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECK_LENGTH)


def new_key(prefix: str = PREFIX, random_length: int = RANDOM_LENGTH) -> str:
    body = prefix + "".join(secrets.choice(ALPHABET) for _ in range(random_length))
    return body + checksum(body)


def well_formed(secret: str, prefix: str = PREFIX, random_length: int = RANDOM_LENGTH) -> bool:
    """Prefix, length, alphabet and checksum: everything that can be checked without the database."""
    if len(secret) != len(prefix) + random_length + CHECK_LENGTH or not secret.startswith(prefix):
        return False
    rest = secret[len(prefix) :]
    # Base62 is exactly the ASCII letters and digits; two C-level checks beat a loop over the alphabet 10 times.
    if not (rest.isascii() and rest.isalnum()):
        return False
    return checksum(secret[:-CHECK_LENGTH]) == secret[-CHECK_LENGTH:]


def display_prefix(secret: str) -> str:
    return secret[:DISPLAY_LENGTH]
