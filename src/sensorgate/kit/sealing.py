"""Secrets the server must read back (signing secrets, JWT private keys), sealed with AES-GCM.

The key is the 32-byte SENSORGATE_MASTER_KEY. Each sealed value is a fresh 12-byte nonce followed by the
ciphertext and its tag; the purpose goes in as associated data, so a value sealed for one use cannot be
opened as another.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


def seal(master_key: bytes, purpose: str, plaintext: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master_key).encrypt(nonce, plaintext, purpose.encode())


def unseal(master_key: bytes, purpose: str, sealed: bytes) -> bytes:
    """The plaintext; raises cryptography's InvalidTag when the key, the purpose or the bytes are wrong."""
    return AESGCM(master_key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], purpose.encode())
