"""What the app holds for its whole life, built once by create_app: settings, database, verifiers, limits, usage.

Routes ask for the parts they need by name (`db`, `settings`, `usage`, ...; see app.py), never for the whole,
so that a domain's routes depend on that domain and the layers below it only.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.di import NamedDependency

from sensorgate.accounts.routes import AccountsState
from sensorgate.accounts.throttle import LoginThrottle
from sensorgate.alarms.routes import AlarmsState
from sensorgate.auth.guard import Guard
from sensorgate.credentials.oauth.routes import OAuthState
from sensorgate.credentials.oauth.server import OAuthServer
from sensorgate.credentials.routes import KeysState
from sensorgate.credentials.verifiers import Verifiers
from sensorgate.db.engine import Database
from sensorgate.measurements.routes import MeasurementsState
from sensorgate.sensors.routes import SensorsState
from sensorgate.settings import Settings
from sensorgate.usage.limits import CredentialLimiter
from sensorgate.usage.recorder import UsageRecorder
from sensorgate.usage.routes import UsageState


@dataclass(frozen=True, slots=True)
class AppState(AccountsState, SensorsState, AlarmsState, MeasurementsState, KeysState, OAuthState, UsageState):
    settings: Settings
    db: Database
    guard: Guard
    login_throttle: LoginThrottle
    verifiers: Verifiers
    usage: UsageRecorder
    # OAuth2: issues tokens at /v1/oauth/token; its `tokens` verifies them for the guard.
    oauth: OAuthServer
    # Per-credential rate limits, applied by the guard.
    limits: CredentialLimiter


# How a web route asks for the whole state (health, metrics).
AppStateDep = NamedDependency[AppState]
