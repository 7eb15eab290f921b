"""What the app holds for its whole life: settings, database, throttle, key verifier, usage counters.

Built once by create_app.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.di import NamedDependency

from sensorgate.accounts.throttle import LoginThrottle
from sensorgate.credentials.oauth.server import OAuthServer
from sensorgate.credentials.signing import SignatureVerifier
from sensorgate.credentials.verify import KeyVerifier
from sensorgate.db.engine import Database
from sensorgate.settings import Settings
from sensorgate.usage.limits import CredentialLimiter
from sensorgate.usage.recorder import UsageRecorder


@dataclass(frozen=True, slots=True)
class AppState:
    settings: Settings
    db: Database
    login_throttle: LoginThrottle
    keys: KeyVerifier
    signed: SignatureVerifier
    usage: UsageRecorder
    # OAuth2: issues tokens at /v1/oauth/token, and its `tokens` verifies them for the guard.
    oauth: OAuthServer
    # Per-credential rate limits, applied by the guard.
    limits: CredentialLimiter


# How a route or dependency asks for the app state.
AppStateDep = NamedDependency[AppState]
