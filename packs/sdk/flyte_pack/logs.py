"""Console logging for packs run as programs."""

from __future__ import annotations

import logging
import os

# Level names of the Go packs (zerolog/logrus) mapped to Python's.
_LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "fatal": logging.CRITICAL,
    "panic": logging.CRITICAL,
    "critical": logging.CRITICAL,
}

FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"


def level_from_env(value: str | None, default: int = logging.INFO) -> int:
    """``LOGLEVEL`` (case-insensitive ``trace/debug/info/warn/error/fatal/panic``); invalid -> default."""
    if not value:
        return default
    return _LEVELS.get(value.strip().lower(), default)


def configure_logging(level: int | str | None = None) -> None:
    """Log to stderr with timestamps. ``level`` defaults to the ``LOGLEVEL`` variable, then INFO.

    Does nothing to handlers if the root logger already has some (the application configured
    logging itself); only the level of the ``flyte_pack`` logger is set then.
    """
    if level is None:
        level = level_from_env(os.environ.get("LOGLEVEL"))
    elif isinstance(level, str):
        level = level_from_env(level)
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format=FORMAT)
    else:
        logging.getLogger("flyte_pack").setLevel(level)
