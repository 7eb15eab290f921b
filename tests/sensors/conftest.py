"""The data-endpoint fixtures, shared with the measurements tests."""

from tests.measurements.conftest import owner

__all__ = ["owner"]
