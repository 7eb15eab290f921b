"""Wire structs of the OAuth endpoints. Their field names are the RFCs' (snake_case), not our camelCase."""

from __future__ import annotations

import msgspec


class TokenOut(msgspec.Struct):
    """RFC 6749 §5.1."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str


class IntrospectionOut(msgspec.Struct, omit_defaults=True):
    """RFC 7662 §2.2: an inactive token gets `{"active": false}` and nothing else."""

    active: bool
    scope: str | None = None
    client_id: str | None = None
    sub: str | None = None
    exp: int | None = None
    iat: int | None = None
    iss: str | None = None
    aud: str | None = None
    jti: str | None = None
    token_type: str | None = None


class Jwk(msgspec.Struct):
    kty: str
    crv: str
    x: str
    kid: str
    use: str
    alg: str


class Jwks(msgspec.Struct):
    keys: list[Jwk]
