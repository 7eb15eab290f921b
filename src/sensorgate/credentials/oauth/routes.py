"""HTTP routes for OAuth2: token, revocation, introspection and the JWKS. Thin: read the form, call the rules.

These routes authenticate the client themselves (RFC 6749 §2.3), not through the guard: the caller is a client
proving who it is with its secret, not a credential presenting an access token.
"""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Schema
from litestar.types import ControllerRouterHandler

from sensorgate.auth.openapi import OAUTH_CLIENT
from sensorgate.credentials.oauth.requests import FORM, parse_form
from sensorgate.credentials.oauth.schemas import IntrospectionOut, Jwks, TokenOut
from sensorgate.credentials.oauth.server import OAuthServer
from sensorgate.credentials.routes import origin
from sensorgate.kit.openapi import errors, with_content
from sensorgate.kit.times import utcnow
from sensorgate.settings import Settings


class OAuthState:
    """What the OAuth routes use of the app's state, which they ask for as the `app_state` dependency.

    web.state.AppState is one; naming only what is used here keeps these routes from importing anything above
    their own package.
    """

    __slots__ = ()
    settings: Settings
    oauth: OAuthServer


OAuthStateDep = NamedDependency[OAuthState]

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# The next key is published a day before it signs, so a JWKS a few minutes old is always good enough.
JWKS_CACHE = {"Cache-Control": "public, max-age=300"}
FORM_BYTES = 4096


def _form_body(fields: dict[str, str], required: list[str]) -> type[Operation]:
    """Documents a form body: the handlers read the raw body, so Litestar cannot infer it."""
    properties: dict[str, Any] = {name: Schema(type=OpenAPIType.STRING, description=d) for name, d in fields.items()}
    schema = Schema(type=OpenAPIType.OBJECT, properties=properties, required=required)
    return with_content(request={FORM: OpenAPIMediaType(schema=schema)})


OAUTH_ERRORS = {
    400: "`error` is the RFC 6749 code: invalid_request, invalid_grant, unauthorized_client, "
    "unsupported_grant_type or invalid_scope, with `error_description`.",
    401: "invalid_client: no or wrong client credentials, a revoked client, or an expired or revoked secret.",
}


CLIENT_FIELDS = {
    "client_id": "client_secret_post: the client id (sgc_...), unless sent with HTTP Basic",
    "client_secret": "client_secret_post: a client secret (sgo_...), unless sent with HTTP Basic",
}
TOKEN_FIELDS = {
    "grant_type": "client_credentials",
    "scope": "optional: space-separated scopes, a subset of the client's, to narrow the token",
    **CLIENT_FIELDS,
}
TOKEN_ARGUMENT_FIELDS = {
    "token": "the access token",
    "token_type_hint": "optional; ignored, as access tokens are the only kind",
    **CLIENT_FIELDS,
}


async def _form(request: Request[Any, Any, Any]) -> dict[str, str]:
    return parse_form(await request.body(), request.headers.get("content-type"))


@post(
    "/v1/oauth/token",
    tags=["oauth"],
    status_code=200,
    request_max_body_size=FORM_BYTES,
    operation_class=_form_body(TOKEN_FIELDS, ["grant_type"]),
    security=OAUTH_CLIENT,
    responses=errors(400, 401, 413, 429, guarded=False, why=OAUTH_ERRORS),
)
async def token(request: Request[Any, Any, Any], app_state: OAuthStateDep) -> Response[TokenOut]:
    """An access token for an OAuth client (RFC 6749 §4.4): `grant_type=client_credentials`, with the client's
    id and secret in HTTP Basic or in the form (client_secret_post), and an optional `scope` that narrows the
    client's. The token is a JWT (RFC 9068) signed with a key from /.well-known/jwks.json; send it as
    `Authorization: Bearer`. It lives 3600 s (a setting), never longer than the client secret that obtained it.

    Errors follow RFC 6749 §5.2 (`error` is invalid_request, invalid_client, invalid_grant, unauthorized_client,
    unsupported_grant_type or invalid_scope, with `error_description`). At most the plan's `tokens` (15 by default)
    per 15 minutes per client; the next gets 429 with Retry-After.
    """
    form = await _form(request)
    issued, rate = await app_state.oauth.token(
        form, request.headers.get("authorization"), origin(request, app_state.settings)
    )
    return Response(issued, media_type=MediaType.JSON, headers={**NO_STORE, **(rate.headers() if rate else {})})


@post(
    "/v1/oauth/revoke",
    tags=["oauth"],
    status_code=200,
    media_type=MediaType.TEXT,
    request_max_body_size=FORM_BYTES,
    operation_class=_form_body(TOKEN_ARGUMENT_FIELDS, ["token"]),
    security=OAUTH_CLIENT,
    responses=errors(400, 401, 413, guarded=False, why=OAUTH_ERRORS),
)
async def revoke(request: Request[Any, Any, Any], app_state: OAuthStateDep) -> Response[bytes]:
    """Revoke one of the client's own access tokens (RFC 7009), with the same client authentication as the token
    endpoint. Refused everywhere within a second. An unknown, malformed or expired token also gets 200."""
    form = await _form(request)
    await app_state.oauth.revoke(form, request.headers.get("authorization"), origin(request, app_state.settings))
    return Response(b"", media_type=MediaType.TEXT, headers=NO_STORE)


@post(
    "/v1/oauth/introspect",
    tags=["oauth"],
    status_code=200,
    request_max_body_size=FORM_BYTES,
    operation_class=_form_body(TOKEN_ARGUMENT_FIELDS, ["token"]),
    security=OAUTH_CLIENT,
    responses=errors(400, 401, 413, guarded=False, why=OAUTH_ERRORS),
)
async def introspect(request: Request[Any, Any, Any], app_state: OAuthStateDep) -> Response[IntrospectionOut]:
    """Whether one of the client's own access tokens is active (RFC 7662), with its claims when it is.
    Another client's token, or one that is expired, revoked or not ours, is `{"active": false}`."""
    form = await _form(request)
    found = await app_state.oauth.introspect(
        form, request.headers.get("authorization"), origin(request, app_state.settings)
    )
    return Response(found, media_type=MediaType.JSON, headers=NO_STORE)


@get("/.well-known/jwks.json", tags=["oauth"], responses=errors(guarded=False))
async def jwks(app_state: OAuthStateDep) -> Response[Jwks]:
    """The public keys (RFC 7517) that verify access tokens: the signing key, its successor once it is due, and
    retired keys until the last token they signed has expired. Public keys only."""
    return Response(await app_state.oauth.keys.jwks(utcnow()), media_type=MediaType.JSON, headers=JWKS_CACHE)


ROUTES: list[ControllerRouterHandler] = [token, revoke, introspect, jwks]
