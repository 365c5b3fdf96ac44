"""One delivery channel: an apprise URL behind its own bounded queue and worker thread.

A channel that hangs (a mail server that never answers) or fails (a revoked
token) only ever delays itself: its queue fills and further messages to it are
counted as dropped, while the other channels and the bot carry on. Every send
has timeouts and a few retries with exponential backoff; what happened is kept
(last attempt, last error, counts) so a broken channel shows on the dashboard.
Error text comes from apprise's own log lines and is redacted before it is kept.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from bot.domain import Severity
from bot.domain.notify import ChannelStatus, DeliveryRecord
from bot.domain.ports import Clock
from bot.notify.message import Notice
from bot.settings.notify import channel_label, instantiate, load_apprise, secret_parts

log = logging.getLogger(__name__)

_MASK = "****"


@dataclass(frozen=True)
class DeliveryPolicy:
    attempts: int = 3
    backoff_s: float = 1.0       # then 2 s, 4 s, ... capped below
    max_backoff_s: float = 30.0
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0
    queue_size: int = 50


class Sender(Protocol):
    """What a channel sends through: apprise in production, a hand-written fake in unit tests."""

    def send(self, title: str, body: str, severity: Severity, silent: bool) -> tuple[bool, str]:
        """(delivered, error text); never raises."""


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text


class _LastError(logging.Handler):
    """apprise's warnings for the thread that is sending: the reason a send failed."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            try:
                self.messages.append(record.getMessage())
            except Exception:
                self.messages.append(str(record.msg))


class AppriseSender:
    """One apprise plugin instance; timeouts set from the policy unless the URL sets them."""

    def __init__(self, url: str, policy: DeliveryPolicy) -> None:
        self._apprise = load_apprise()
        plugin = instantiate(url)
        if plugin is None:  # the settings validated it; this is a bug, not a user error
            raise ValueError("an apprise URL the settings accepted could not be loaded")
        query = url.partition("?")[2]
        if "cto=" not in query:
            plugin.socket_connect_timeout = policy.connect_timeout_s
        if "rto=" not in query:
            plugin.socket_read_timeout = policy.read_timeout_s
        self._plugin = plugin
        self._secrets = secret_parts(url)
        self._types = {
            Severity.CRITICAL: self._apprise.NotifyType.FAILURE,
            Severity.WARNING: self._apprise.NotifyType.WARNING,
            Severity.INFO: self._apprise.NotifyType.INFO,
        }

    def send(self, title: str, body: str, severity: Severity, silent: bool) -> tuple[bool, str]:
        capture = _LastError()
        logger = logging.getLogger("apprise")
        logger.addHandler(capture)
        plugin = self._plugin
        had_silent = hasattr(plugin, "silent")
        before = getattr(plugin, "silent", None)
        try:
            if had_silent:
                plugin.silent = silent or bool(before)
            ok = bool(plugin.notify(body=body, title=title, notify_type=self._types[severity],
                                    body_format=self._apprise.NotifyFormat.TEXT))
            error = "" if ok else (capture.messages[-1] if capture.messages else "not delivered")
        except Exception as exc:  # a plugin bug must stay inside this channel
            ok, error = False, f"{type(exc).__name__}: {exc}"
        finally:
            if had_silent:
                plugin.silent = before
            logger.removeHandler(capture)
        return ok, redact(error, self._secrets)[:300]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Channel:
    """The worker for one URL; ``offer`` never blocks."""

    def __init__(self, label: str, sender: Sender, policy: DeliveryPolicy,
                 now: Clock = _utc_now, history_size: int = 100) -> None:
        self.label = label
        self._sender = sender
        self._policy = policy
        self._history: deque[DeliveryRecord] = deque(maxlen=history_size)
        self._now = now
        self._queue: queue.Queue = queue.Queue(maxsize=policy.queue_size)
        self._lock = threading.Lock()
        self._status = ChannelStatus(label=label)
        self._abort = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_url(cls, url: str, policy: DeliveryPolicy) -> Channel:
        return cls(channel_label(url), AppriseSender(url, policy), policy)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"notify {self.label}",
                                            daemon=True)
            self._thread.start()

    def offer(self, notice: Notice, silent: bool = False) -> bool:
        try:
            self._queue.put_nowait((notice, silent))
            return True
        except queue.Full:
            self._update(dropped=self._status.dropped + 1)
            return False

    def close(self) -> None:
        """Finish what is queued, then end (``join`` waits for it)."""
        self._closing.set()

    def join(self, timeout: float) -> None:
        """Wait up to ``timeout`` for the queue to drain; then give up (a daemon thread)."""
        if self._thread is None:
            return
        self._closing.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._abort.set()
            log.warning("[NOTIFY] %s still busy at shutdown; %d message(s) not sent",
                        self.label, self._queue.qsize())
        self._thread = None

    def status(self) -> ChannelStatus:
        with self._lock:
            return replace(self._status, queued=self._queue.qsize())

    def history(self) -> tuple[DeliveryRecord, ...]:
        """This channel's last deliveries, oldest first."""
        with self._lock:
            return tuple(self._history)

    def _update(self, **changes: object) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)  # type: ignore[arg-type]

    def _run(self) -> None:
        while not self._abort.is_set():
            try:
                notice, silent = self._queue.get(timeout=0.2)
            except queue.Empty:
                if self._closing.is_set():
                    return
                continue
            self._deliver(notice, silent)

    def _deliver(self, notice: Notice, silent: bool) -> None:
        policy = self._policy
        ok, error, attempts = False, "", 0
        for attempts in range(1, policy.attempts + 1):
            self._update(last_attempt_at=self._now())
            ok, error = self._sender.send(notice.title, notice.body, notice.severity, silent)
            if ok or attempts == policy.attempts:
                break
            delay = min(policy.backoff_s * 2 ** (attempts - 1), policy.max_backoff_s)
            if self._abort.wait(delay):
                break
        at = self._now()
        category = notice.category.value if notice.category else "test"
        record = DeliveryRecord(at=at, channel=self.label, title=notice.title,
                                category=category, ok=ok, attempts=attempts,
                                error="" if ok else error)
        with self._lock:
            s = self._status
            self._status = replace(s, sent=s.sent + 1, last_ok_at=at) if ok else replace(
                s, failed=s.failed + 1, last_error=error)
            self._history.append(record)
        if not ok:
            log.warning("[NOTIFY] %s: %r not delivered after %d attempt(s): %s", self.label,
                        notice.title, attempts, error)
