"""Logging as one JSON object per line: application logs on stderr, the access log on stdout."""

from __future__ import annotations

import logging
import sys
from typing import Any

import msgspec

from sensorgate.kit.timeutil import iso, utcnow

ACCESS_LOGGER = "sensorgate.access"
_encoder = msgspec.json.Encoder()
# LogRecord attributes that are not extra fields.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": iso(utcnow()),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _encoder.encode(entry).decode()


class AccessFormatter(logging.Formatter):
    """The access middleware builds the whole line; this only prints it."""

    def format(self, record: logging.LogRecord) -> str:
        return str(record.msg)


def configure_logging(level: str, access_log: bool) -> None:
    root = logging.getLogger("sensorgate")
    if not any(getattr(h, "_sensorgate", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._sensorgate = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.propagate = False
    root.setLevel(level.upper())
    access = logging.getLogger(ACCESS_LOGGER)
    if not any(getattr(h, "_sensorgate", False) for h in access.handlers):
        access_handler = logging.StreamHandler(sys.stdout)
        access_handler.setFormatter(AccessFormatter())
        access_handler._sensorgate = True  # type: ignore[attr-defined]
        access.addHandler(access_handler)
        access.propagate = False
    access.disabled = not access_log
    access.setLevel(logging.INFO)
