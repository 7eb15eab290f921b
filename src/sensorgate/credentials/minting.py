"""The secret of each credential kind, and what is stored of it.

- api_key: the secret is the key; only its keyed hash is stored.
- signing_key: a public id (`sgp_`, sent in X-API-Key) names the credential; the secret (`sgs_`) keys the
  request's HMAC, so the server must read it back: it is stored sealed with the master key (and hashed, like
  every secret, so that the purge has one column to erase).
- oauth_client: a client id (`sgc_`) and a client secret (`sgo_`), which is only compared: keyed hash only.
"""

from __future__ import annotations

from typing import Any

from sensorgate.kit import keys
from sensorgate.kit.crypto import keyed_hash
from sensorgate.kit.sealing import seal

SIGNING_PURPOSE = "sensorgate signing secret"
SECRET_FORMATS = {
    "api_key": (keys.PREFIX, keys.RANDOM_LENGTH),
    "signing_key": ("sgs_", 43),
    "oauth_client": ("sgo_", 22),
}
PUBLIC_FORMATS = {"signing_key": ("sgp_", 22), "oauth_client": ("sgc_", 22)}


def new_public_id(kind: str) -> str | None:
    """The non-secret identifier of a signing key or an OAuth client; API keys have none."""
    if kind not in PUBLIC_FORMATS:
        return None
    return keys.new_key(*PUBLIC_FORMATS[kind])


def mint(kind: str, pepper: str, master_key: bytes) -> tuple[str, dict[str, Any]]:
    """A new secret of that kind, and the columns of its credential_secrets row that depend on it."""
    secret = keys.new_key(*SECRET_FORMATS[kind])
    sealed = None
    if kind == "signing_key":
        if len(master_key) != 32:
            raise RuntimeError("signing keys need the 32-byte master key (SENSORGATE_MASTER_KEY)")
        sealed = seal(master_key, SIGNING_PURPOSE, secret.encode())
    return secret, {
        "prefix": keys.display_prefix(secret),
        "secret_hash": keyed_hash(pepper, secret),
        "sealed_secret": sealed,
    }
