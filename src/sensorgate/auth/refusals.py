"""Why a credential was refused: one set of reasons for the verifiers, the usage counters and /metrics.

A verifier raises CredentialRefused; the guard (or the OAuth token endpoint) counts it, in /metrics always and in
the credential's usage when the credential is known, then answers with the error it carries.
"""

from __future__ import annotations

from enum import StrEnum

from sensorgate.kit.errors import ApiError


class Refusal(StrEnum):
    MALFORMED = "malformed"  # not a key of ours by its form or checksum (no credential to charge)
    UNKNOWN = "unknown"  # well formed, but no such credential
    REVOKED = "revoked"
    EXPIRED = "expired"
    ADDRESS = "address"  # outside the credential's IP allowlist
    SCOPE = "scope"  # the route needs a scope the credential lacks
    LIMIT = "limit"  # its rate limit or daily quota is used up
    SIGNATURE = "signature"  # an access token or a signed request whose signature does not verify
    STALE = "stale nonce"  # a signed request whose X-Nonce is outside the time window
    REPLAYED = "replayed"  # a signed request's nonce, seen before
    SECRET = "secret"  # noqa: S105 (a reason, not a password): a wrong client secret at the token endpoint


class CredentialRefused(Exception):
    """A refusal on its way out: the error to answer, its reason, and the credential to charge (None: unknown)."""

    def __init__(self, error: ApiError, reason: Refusal, credential_id: int | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.reason = reason
        self.credential_id = credential_id
