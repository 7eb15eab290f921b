"""Every table module, imported once so the metadata is complete (for Alembic, and for the migration tests)."""

from sensorgate.accounts import models as accounts_models
from sensorgate.alarms import models as alarms_models
from sensorgate.audit import models as audit_models
from sensorgate.credentials import models as credentials_models
from sensorgate.credentials.oauth import models as oauth_models
from sensorgate.jobs import models as jobs_models
from sensorgate.measurements import models as measurements_models
from sensorgate.sensors import models as sensors_models
from sensorgate.usage import models as usage_models

__all__ = [
    "accounts_models",
    "alarms_models",
    "audit_models",
    "credentials_models",
    "jobs_models",
    "measurements_models",
    "oauth_models",
    "sensors_models",
    "usage_models",
]
