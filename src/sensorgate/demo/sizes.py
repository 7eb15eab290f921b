"""How much demo data `demo seed` and `serve --demo` make, and the bounds of what may be asked for.

Apart from seed.py, which writes the data: the CLI's options read these without loading the app.
"""

from __future__ import annotations

DEFAULT_SENSORS = 20  # and the virtual dew point sensor, which is made with them: 21 in all
DEFAULT_DAYS = 7
DEFAULT_INTERVAL = 300
MAX_SENSORS = 1000
MAX_DAYS = 3650
MIN_INTERVAL = 10
MAX_INTERVAL = 86_400
# Past this a demo is no longer a demo: it takes many minutes and gigabytes.
MAX_POINTS = 50_000_000
