"""The three credential verifiers of a process, and what a revocation here must drop from their caches."""

from __future__ import annotations

from dataclasses import dataclass

from sensorgate.credentials.oauth.tokens import TokenVerifier
from sensorgate.credentials.schemas import KeyOut
from sensorgate.credentials.signing import SignatureVerifier
from sensorgate.credentials.verify import KeyVerifier


@dataclass(frozen=True, slots=True)
class Verifiers:
    api_keys: KeyVerifier
    signed: SignatureVerifier
    access_tokens: TokenVerifier

    def forget(self, key: KeyOut, hashes: list[bytes]) -> None:
        """Drop a revoked key from this process's caches, whatever its kind; other processes follow within 1 s."""
        self.api_keys.forget(hashes)
        self.signed.forget(key.public_id)
        self.access_tokens.forget_client(key.id)
