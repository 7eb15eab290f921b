"""The base of every wire input struct: camelCase names, keyword fields, and unknown fields refused (a typo is
a 400 that names it, not a field silently ignored)."""

from __future__ import annotations

import msgspec


class Input(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    pass
