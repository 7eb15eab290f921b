from tests.measurements.conftest import owner

__all__ = ["owner"]
