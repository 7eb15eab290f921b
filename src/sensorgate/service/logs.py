"""Logging as one JSON object per line: application logs on stderr, the access log on stdout."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

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


def configure_logging(level: str) -> None:
    """Idempotent: create_app may run several times in one process (tests, workers)."""
    _attach(logging.getLogger("sensorgate"), sys.stderr, JsonFormatter(), level.upper())
    _attach(logging.getLogger(ACCESS_LOGGER), sys.stdout, AccessFormatter(), "INFO")


def _attach(logger: logging.Logger, stream: TextIO, formatter: logging.Formatter, level: str) -> logging.Logger:
    if not any(getattr(h, "_sensorgate", False) for h in logger.handlers):
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        handler._sensorgate = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level)
    return logger
