"""The credentials the guard accepts, as OpenAPI security schemes, and which of them a route takes.

Each route says what it accepts with `security=`: `callers(scope)` for the routes any credential or a session may
call, `sessions()` for the console's own, `API_KEYS` for renewal. Swagger UI's Authorize offers every scheme and
sends each one the user authorized that an operation lists, so authorize one credential at a time: two at once
are a 401 ("send one credential, in one header"). A signed request cannot be made from Swagger UI, which cannot
compute a signature; the schemes only document its headers.
"""

from __future__ import annotations

from litestar.openapi.spec import OAuthFlow, OAuthFlows, SecurityRequirement, SecurityScheme

from sensorgate.auth.guard import SESSION_COOKIE
from sensorgate.auth.scopes import CREDENTIAL_SCOPES, Scope

TOKEN_URL = "/v1/oauth/token"  # noqa: S105 (a URL, not a secret)

SCOPE_DESCRIPTIONS: dict[Scope, str] = {
    Scope.DATA_READ: "read sensors, measurements and alarms",
    Scope.DATA_WRITE: "backfill measurements",
    Scope.SENSORS_WRITE: "create and change sensors, device groups, assets and alarm rules",
    Scope.KEYS_READ: "read keys",
    Scope.KEYS_WRITE: "create and manage keys, never with more than the calling key holds",
    Scope.USAGE_READ: "read the usage report",
    Scope.AUDIT_READ: "read key logs",
}


def _header(name: str, description: str) -> SecurityScheme:
    return SecurityScheme(type="apiKey", name=name, security_scheme_in="header", description=description)


SCHEMES: dict[str, SecurityScheme] = {
    "apiKey": _header("X-API-Key", "An API key (`sgk_…`)."),
    "apiKeyHeader": _header("ApiKey", "An API key (`sgk_…`), in the `ApiKey` header."),
    "bearer": SecurityScheme(
        type="http",
        scheme="bearer",
        description="An API key (`sgk_…`), or an OAuth access token (a JWT from `POST /v1/oauth/token`).",
    ),
    "oauth2": SecurityScheme(
        type="oauth2",
        description="An OAuth client's id (`sgc_…`) and secret (`sgo_…`) get a token, sent as "
        "`Authorization: Bearer`. Leave every scope unticked for all of the client's.",
        flows=OAuthFlows(
            client_credentials=OAuthFlow(
                token_url=TOKEN_URL, scopes={str(s): SCOPE_DESCRIPTIONS[s] for s in CREDENTIAL_SCOPES}
            )
        ),
    ),
    "signedKeyId": _header("X-API-Key", "Signed request: the signing key's public id (`sgp_…`)."),
    "signedNonce": _header("X-Nonce", "Signed request: the epoch time in milliseconds, once per key."),
    "signedSignature": _header(
        "X-Signature",
        'Signed request: hex HMAC-SHA384 of `{"httpMethod":…,"path":…,"nonce":…}` with the secret (`sgs_…`); '
        "`X-Signature-Version: 2` adds the query and the body's SHA-256 (see docs/api.md).",
    ),
    "session": SecurityScheme(
        type="apiKey",
        name=SESSION_COOKIE,
        security_scheme_in="cookie",
        description="The console session, set by `POST /v1/auth/login`.",
    ),
    "csrf": _header("X-CSRF-Token", "With the session cookie, every unsafe request sends the `csrfToken` of login."),
    "oauthClient": SecurityScheme(
        type="http",
        scheme="basic",
        description="An OAuth client: its id (`sgc_…`) and a secret (`sgo_…`), or `client_id` and "
        "`client_secret` in the form instead.",
    ),
}

API_KEYS: list[SecurityRequirement] = [{"apiKey": []}, {"apiKeyHeader": []}, {"bearer": []}]
SIGNED: SecurityRequirement = {"signedKeyId": [], "signedNonce": [], "signedSignature": []}
OAUTH_CLIENT: list[SecurityRequirement] = [{"oauthClient": []}]


def sessions(*, unsafe: bool = False) -> list[SecurityRequirement]:
    """The session cookie; with `unsafe` (not GET, HEAD or OPTIONS), its CSRF token too."""
    return [{"session": [], "csrf": []} if unsafe else {"session": []}]


def callers(scope: Scope | None = None, *, unsafe: bool = False) -> list[SecurityRequirement]:
    """What the guard takes on a route that needs `scope` (None: any caller): every credential, or a session."""
    return [*API_KEYS, {"oauth2": [str(scope)] if scope else []}, SIGNED, *sessions(unsafe=unsafe)]
