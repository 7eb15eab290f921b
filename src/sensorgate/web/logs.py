"""Application logs as one JSON object per line on stderr. The access log is in access_log.py."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import msgspec

from sensorgate.kit.times import iso, utcnow

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


def configure_logging(level: str) -> None:
    """Idempotent: create_app may run several times in one process (tests, workers)."""
    _attach(logging.getLogger("sensorgate"), sys.stderr, JsonFormatter(), level.upper())


def _attach(logger: logging.Logger, stream: TextIO, formatter: logging.Formatter, level: str) -> logging.Logger:
    if not any(getattr(h, "_sensorgate", False) for h in logger.handlers):
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        handler._sensorgate = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level)
    return logger
