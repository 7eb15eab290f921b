"""create_app(settings) -> Litestar: the whole HTTP service, wired once."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TextIO

from litestar import Litestar, Request
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler
from swagger_ui_bundle import swagger_ui_path

from sensorgate import __version__, dialects
from sensorgate.accounts import routes as accounts_routes
from sensorgate.accounts.sessions import SessionVerifier
from sensorgate.accounts.throttle import LoginThrottle
from sensorgate.alarms import routes as alarms_routes
from sensorgate.auth import openapi as auth_openapi
from sensorgate.auth.guard import Guard
from sensorgate.auth.principal import Principal
from sensorgate.console import routes as console_routes
from sensorgate.credentials import routes as credentials_routes
from sensorgate.credentials.nonces import NonceStore
from sensorgate.credentials.oauth import routes as oauth_routes
from sensorgate.credentials.oauth.server import OAuthServer
from sensorgate.credentials.signing import SignatureVerifier
from sensorgate.credentials.verifiers import Verifiers
from sensorgate.credentials.verify import KeyVerifier
from sensorgate.db.engine import Database, create_engine
from sensorgate.jobs import scheduler
from sensorgate.kit import metrics
from sensorgate.kit.openapi import StrictStructSchemaPlugin, operation_id
from sensorgate.kit.proxies import parse_networks
from sensorgate.measurements import routes as measurements_routes
from sensorgate.sensors import routes as sensors_routes
from sensorgate.settings import Settings, load_settings
from sensorgate.usage import routes as usage_routes
from sensorgate.usage.limits import CredentialLimiter
from sensorgate.usage.recorder import UsageRecorder
from sensorgate.web import routes as service_routes
from sensorgate.web.access_log import AccessLog
from sensorgate.web.error_handler import render_error
from sensorgate.web.logs import configure_logging
from sensorgate.web.middleware import RequestMiddleware, allowed_methods
from sensorgate.web.offers import ANYTHING, refuse_unacceptable
from sensorgate.web.request import ApiRequest
from sensorgate.web.state import AppState, AppStateDep

SWAGGER_ASSETS = "/docs/assets"
ROUTES: list[ControllerRouterHandler] = [
    *service_routes.ROUTES,
    *accounts_routes.ROUTES,
    *sensors_routes.ROUTES,
    *measurements_routes.ROUTES,
    *alarms_routes.ROUTES,
    *credentials_routes.ROUTES,
    *usage_routes.ROUTES,
    *oauth_routes.ROUTES,
    *console_routes.ROUTES,
]


def build_state(settings: Settings) -> AppState:
    """Every long-lived part of the service, wired once: the guard gets the verifiers, limits and usage."""
    db = Database(create_engine(settings.sqlalchemy_url))
    usage = UsageRecorder()
    limits = CredentialLimiter(db, settings.redis_url, prefix=settings.redis_prefix, enabled=settings.rate_limits)
    oauth = OAuthServer(settings, db, usage, limits.token_limit)
    verifiers = Verifiers(
        api_keys=KeyVerifier(db, settings.hash_pepper),
        signed=SignatureVerifier(db, settings.master_key_bytes, NonceStore(settings.redis_url, settings.redis_prefix)),
        access_tokens=oauth.tokens,
    )
    guard = Guard(
        sessions=SessionVerifier(db, settings.hash_pepper),
        api_keys=verifiers.api_keys,
        access_tokens=verifiers.access_tokens,
        signed=verifiers.signed,
        limits=limits,
        usage=usage,
    )
    throttle = LoginThrottle(
        settings.redis_url,
        settings.redis_prefix,
        per_email=settings.login_attempts_per_email,
        per_address=settings.login_attempts_per_address,
    )
    return AppState(
        settings=settings,
        db=db,
        guard=guard,
        login_throttle=throttle,
        verifiers=verifiers,
        usage=usage,
        oauth=oauth,
        limits=limits,
    )


def create_app(settings: Settings, *, access_stream: TextIO | None = None) -> Litestar:
    """The whole service. `access_stream` receives the access log (default: stdout), when it is on."""
    configure_logging(settings.log_level)
    state = build_state(settings)
    db, usage = state.db, state.usage

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        # Everything made at start-up lives as long as the process: keep it out of every future collection.
        gc.collect()
        gc.freeze()
        try:
            async with usage.running(db, settings.usage_flush_seconds):
                if settings.scheduler:
                    async with scheduler.running(db):
                        yield
                else:
                    yield
        finally:
            await state.verifiers.signed.nonces.close()
            db.dispose()

    app = Litestar(
        route_handlers=[
            *ROUTES,
            *dialects.routes(settings.dialect_names),
            create_static_files_router(
                path=SWAGGER_ASSETS,
                directories=[swagger_ui_path],
                include_in_schema=False,
                send_as_attachment=False,
                opt={"offers": [ANYTHING]},
            ),
        ],
        dependencies=_dependencies(state),
        exception_handlers={Exception: render_error},
        before_request=refuse_unacceptable,
        request_class=ApiRequest,
        template_config=TemplateConfig(directory=console_routes.TEMPLATES, engine=JinjaTemplateEngine),
        openapi_config=_openapi_config(),
        plugins=[StrictStructSchemaPlugin()],
        request_max_body_size=settings.max_body_bytes,
        lifespan=[lifespan],
        # Our own JSON logging (web/logs.py) is the only logging setup; Litestar's would replace it.
        logging_config=None,
        debug=False,
    )
    app.state.sensorgate = state
    # Wrap the routing step itself, so that 404 and 405 are logged and counted like everything else.
    access_log = AccessLog(access_stream or sys.stdout) if settings.access_log else None
    app.asgi_handler = RequestMiddleware(
        app.asgi_handler,
        access_log=access_log,
        usage=usage,
        trusted_proxies=parse_networks(settings.trusted_proxies),
        allowed_methods=allowed_methods(app.routes),
    )  # type: ignore[assignment]
    return app


def _dependencies(state: AppState) -> dict[str, Provide]:
    """What a route may ask for: `app_state`, the one long-lived state, and `principal`, the caller."""

    def provide_state() -> AppState:
        return state

    async def provide_principal(request: Request[Any, Any, Any], app_state: AppStateDep) -> Principal:
        # It takes app_state, which it does not use, so that Litestar resolves the two one after the other: two
        # dependencies without a link between them are resolved in a task group, which costs about a third of a
        # short request. Every route asks for these two only.
        return await app_state.guard.principal(request)

    return {
        "app_state": Provide(provide_state, sync_to_thread=False, use_cache=True),
        "principal": Provide(provide_principal),
    }


def _openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="sensorgate",
        version=__version__,
        description=(
            "Self-hosted sensor-data API with first-class API credentials.\n\n"
            "**Authorize** with one credential at a time: an API key (`apiKey`, `apiKeyHeader` or `bearer`), or an "
            "OAuth client's id and secret (`oauth2`, client credentials), whose token Swagger UI then sends as "
            "`Authorization: Bearer`. A console session (log in with `POST /v1/auth/login`) needs `csrf` for "
            "unsafe requests. Signed requests cannot be made from this page. Every error is `ErrorBody`."
        ),
        path="/docs",
        use_handler_docstrings=True,
        operation_id_creator=operation_id,
        components=Components(security_schemes=dict(auth_openapi.SCHEMES)),
        render_plugins=[
            SwaggerRenderPlugin(
                path="/",
                js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
                css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{SWAGGER_ASSETS}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' type='image/png' href='{SWAGGER_ASSETS}/favicon-32x32.png'>",
            )
        ],
    )


def app_from_env() -> Litestar:
    """The factory granian workers call: every setting comes from SENSORGATE_* variables."""
    metrics.pick_value_store()
    return create_app(load_settings())
