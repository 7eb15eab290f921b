from tests.credentials.matrix_world import world
from tests.measurements.conftest import owner

__all__ = ["owner", "world"]
