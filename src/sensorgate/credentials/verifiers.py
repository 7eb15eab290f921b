"""The three credential verifiers of a process, and what a revocation here must drop from their caches."""

from __future__ import annotations

from dataclasses import dataclass

from sensorgate.credentials.oauth.tokens import TokenVerifier
from sensorgate.credentials.service import Revoked
from sensorgate.credentials.signing import SignatureVerifier
from sensorgate.credentials.verify import KeyVerifier


@dataclass(frozen=True, slots=True)
class Verifiers:
    api_keys: KeyVerifier
    signed: SignatureVerifier
    access_tokens: TokenVerifier

    def forget(self, revoked: Revoked) -> None:
        """Drop revoked keys from this process's caches, whatever their kind; other processes follow within 1 s."""
        self.api_keys.forget(revoked.hashes)
        for credential_id, public_id in revoked.cut_off:
            self.signed.forget(public_id)
            self.access_tokens.forget_client(credential_id)
