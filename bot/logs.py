"""Logging that never carries what people wrote, nor the bot token.

Rasa's structlog debug events hold whole trackers (message text), HTTP clients log request URLs
(which contain the token), and TensorFlow is chatty on stderr: all are quietened here, before
any of them is imported, and a filter redacts the token from whatever still gets through.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import sys
import time
import warnings
from typing import IO

QUIET_LOGGERS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiohttp": logging.WARNING,  # the Bot API client (bot/http.py); its URLs hold the token
    "rasa": logging.WARNING,
    "tensorflow": logging.ERROR,
    "absl": logging.ERROR,
    "matplotlib": logging.WARNING,
    "apscheduler": logging.WARNING,
    "telegram": logging.INFO,
    "aiosqlite": logging.WARNING,
    "asyncio": logging.WARNING,
}


def quiet_environment() -> None:
    """Must run before rasa or tensorflow is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("LOG_LEVEL_LIBRARIES", "ERROR")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    # Rasa 3.6's dependency tree is old; its deprecation chatter tells a user nothing.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message=r".*ragged nested sequences.*")
    warnings.filterwarnings("ignore", message=r".*setParseAction|parseString|resetCache.*")
    quiet_structlog()


class RedactFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(_telegram_object(a) for a in record.args):
            # python-telegram-bot logs a whole update when it cannot build a context for it,
            # and an update holds what the person wrote: only its type goes to the log.
            record.args = tuple(
                f"<{type(a).__name__}>" if _telegram_object(a) else a for a in record.args
            )
        if self.secrets:
            message = record.getMessage()
            if any(s in message for s in self.secrets):
                for secret in self.secrets:
                    message = message.replace(secret, "[redacted]")
                record.msg, record.args = message, None
        return True


def _telegram_object(value: object) -> bool:
    return type(value).__module__.startswith("telegram")


def configure_logging(
    secrets: list[str] | None = None, level: int = logging.INFO, stream: IO[str] | None = None
) -> None:
    quiet_environment()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactFilter(secrets or []))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, logger_level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(logger_level)


def quiet_structlog() -> None:
    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.stdlib.LoggerFactory(),
        processors=[structlog.processors.add_log_level, structlog.processors.KeyValueRenderer()],
        cache_logger_on_first_use=True,
    )


# The key of the user tags: random until the store supplies this install's own (bot/store.py
# makes it once and keeps it), so tags are stable across restarts yet cannot be recomputed
# from a Telegram id without the database. (An unkeyed hash of an id was reversed at 1.4 million
# ids a second on one core.)
_tag_key = secrets.token_bytes(32)


def use_tag_key(key: bytes) -> None:
    global _tag_key
    _tag_key = key


def user_tag(user_id: int | str) -> str:
    """A short keyed hash, so logs can follow one conversation without naming the person."""
    return hmac.new(_tag_key, str(user_id).encode(), hashlib.sha256).hexdigest()[:10]


class Every:
    """At most one log line per `seconds` for one kind of event, so a flood of the same failure
    is a line now and then (with a count of the ones left out), not a log that fills the disk."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.skipped = 0  # left out before the line that `now()` just allowed
        self._last = float("-inf")
        self._count = 0

    def now(self) -> bool:
        at = time.monotonic()
        if at - self._last >= self.seconds:
            self._last, self.skipped, self._count = at, self._count, 0
            return True
        self._count += 1
        return False
