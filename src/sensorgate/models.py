"""Every table module, imported once so the metadata is complete for Alembic."""

from sensorgate.accounts import models as accounts_models

__all__ = ["accounts_models"]
