"""Logging for an operator: the seed's tagged lines, a ring buffer for the dashboard,
and a redaction filter so a secret can never reach a handler."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime

from bot.domain import ActivityLine

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class RingBufferHandler(logging.Handler):
    """Keeps the last N lines in memory; the dashboard's activity log reads them."""

    def __init__(self, capacity: int = 500) -> None:
        super().__init__(level=logging.INFO)
        self._lines: deque[ActivityLine] = deque(maxlen=capacity)
        self._lock_ = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a bad format string must not break logging
            text = str(record.msg)
        line = ActivityLine(
            at=datetime.fromtimestamp(record.created, UTC), level=record.levelname, text=text
        )
        with self._lock_:
            self._lines.append(line)

    def lines(self, limit: int = 200) -> tuple[ActivityLine, ...]:
        """Newest first."""
        with self._lock_:
            items = list(self._lines)[-limit:]
        return tuple(reversed(items))


class RedactSecrets(logging.Filter):
    """Replaces any configured secret value in a record's final text with ****."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        redacted = self._redact(text)
        if redacted != text:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:  # an exception's text can carry one too
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "****")
        return text


def configure_logging(level: str, secrets: Iterable[str], buffer: RingBufferHandler) -> None:
    """Root logging for the app process: console + ring buffer, both behind redaction."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    redact = RedactSecrets(secrets)
    console = next((h for h in root.handlers if getattr(h, "_qs_console", False)), None)
    if console is None:
        console = logging.StreamHandler()
        console._qs_console = True  # type: ignore[attr-defined]
        console.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(console)
    for handler in (console, buffer):
        for old in [f for f in handler.filters if isinstance(f, RedactSecrets)]:
            handler.removeFilter(old)
        handler.addFilter(redact)
    if buffer not in root.handlers:
        root.addHandler(buffer)
    for noisy in ("werkzeug", "apscheduler", "urllib3", "waitress", "apprise"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
