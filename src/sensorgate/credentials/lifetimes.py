"""How long a new key lives: a preset (7d 14d 1m 2m 3m 6m 1y) or Nd for N days, 1 to 3650.

One parser for the API's `expiresIn` and the CLI's `--expires`, so that both take the same words. It imports
only the standard library: `sensorgate keys create --help` lists the presets without loading the app.
"""

from __future__ import annotations

import re

# The named lifetimes (Ardexa's presets), in days; 3 months unless said otherwise.
EXPIRY_PRESETS = {"7d": 7, "14d": 14, "1m": 30, "2m": 60, "3m": 90, "6m": 180, "1y": 365}
DEFAULT_EXPIRY = "3m"
# Ten years: the longest lifetime an organization may allow, and the largest Nd.
MAX_LIFETIME_DAYS = 3650
LIFETIMES = f"{', '.join(EXPIRY_PRESETS)}, or Nd for N days (1 to {MAX_LIFETIME_DAYS})"
_DAYS = re.compile(r"[1-9][0-9]{0,3}d")


def lifetime_days(text: str, field: str = "expiresIn") -> int:
    """The days a lifetime names; ValueError, naming `field` and the accepted forms, for anything else."""
    if text in EXPIRY_PRESETS:
        return EXPIRY_PRESETS[text]
    if _DAYS.fullmatch(text) and int(text[:-1]) <= MAX_LIFETIME_DAYS:
        return int(text[:-1])
    raise ValueError(f"{field} is {LIFETIMES}; not {text[:20]!r}")
