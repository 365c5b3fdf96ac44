"""The kill switch: a persisted state machine, nothing more.

RUNNING -HALT-> HALTED -FLATTEN-> FLATTENING -(flat)-> HALTED -RESUME-> RUNNING
(FLATTEN also works from RUNNING). The state lives in the store, so a restart
comes back engaged; every change is audited and announced as a KILL_SWITCH
event. Closing positions and cancelling stops belongs to the executor, which
reads ``state`` and calls ``flatten_done()`` once nothing is open.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from bot.decisions.ports import EventCounter, KillRecordLike, KillStore, SettingsStore
from bot.domain import ControlResult, Event, EventKind, KillAction, KillState, entry_denial
from bot.domain.ports import Clock

log = logging.getLogger(__name__)

SYSTEM = "system"
DAILY_LOSS = "daily_loss"
STORM = "red_flag_storm"
_RESUMED_AFTER_LOSS_KEY = "killswitch.daily_loss_resumed_on"

_NEXT: dict[tuple[KillState, KillAction], KillState] = {
    (KillState.RUNNING, KillAction.HALT): KillState.HALTED,
    (KillState.RUNNING, KillAction.FLATTEN): KillState.FLATTENING,
    (KillState.HALTED, KillAction.FLATTEN): KillState.FLATTENING,
    (KillState.HALTED, KillAction.RESUME): KillState.RUNNING,
}
_ALREADY: dict[tuple[KillState, KillAction], str] = {
    (KillState.RUNNING, KillAction.RESUME): "already RUNNING",
    (KillState.HALTED, KillAction.HALT): "already HALTED",
    (KillState.FLATTENING, KillAction.HALT): "already FLATTENING (entries halted)",
    (KillState.FLATTENING, KillAction.FLATTEN): "already FLATTENING",
}


class KillSwitchStore(KillStore, EventCounter, SettingsStore, Protocol):
    """State, its audit, and the event log for trips and storms."""


class KillSwitch:
    def __init__(self, store: KillSwitchStore, clock: Clock | None = None) -> None:
        self._store = store
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()

    @property
    def state(self) -> KillState:
        return KillState(self.record().state)

    @property
    def reason(self) -> str:
        return self.record().reason

    def record(self) -> KillRecordLike:
        return self._store.kill_state()

    def entry_denial(self) -> str | None:
        """The entry gate: one read of the switch, the one reason; unreadable fails closed."""
        try:
            state = self.state
        except Exception as exc:
            log.error("[KILL] Kill switch unreadable (%s) - refusing entries", exc)
            return f"kill switch unreadable ({type(exc).__name__}): no new entries"
        return entry_denial(state)

    @property
    def entries_allowed(self) -> bool:
        return self.entry_denial() is None

    def apply(self, action: KillAction | str, actor: str, reason: str = "") -> ControlResult:
        """An operator's HALT / FLATTEN / RESUME; an illegal move changes nothing."""
        try:
            action = KillAction(action)
        except ValueError:
            return ControlResult(False, errors=(f"unknown kill-switch action {action!r}",))
        if not actor or not actor.strip():
            return ControlResult(False, errors=("actor: who engaged the switch is required",))
        with self._lock:
            return self._move(action, actor, reason or f"{action.value} by {actor}", "manual")

    def halt(self, actor: str, reason: str = "") -> ControlResult:
        return self.apply(KillAction.HALT, actor, reason)

    def flatten(self, actor: str, reason: str = "") -> ControlResult:
        return self.apply(KillAction.FLATTEN, actor, reason)

    def resume(self, actor: str, reason: str = "") -> ControlResult:
        return self.apply(KillAction.RESUME, actor, reason)

    def flatten_done(self, actor: str = SYSTEM) -> ControlResult:
        """The executor reports every position closed: FLATTENING settles in HALTED."""
        with self._lock:
            current = self.record()
            if current.state != KillState.FLATTENING:
                return ControlResult(False, errors=(f"not flattening (state {current.state})",))
            self._write(current, KillState.HALTED, actor, "flat: all positions closed", "flat")
            return ControlResult(True, "flat: HALTED")

    def check_daily_loss(self, realized_pnl_today: Decimal, equity: Decimal,
                         limit: Decimal) -> bool:
        """Trip to HALTED when today's realized loss reaches ``limit`` x the equity the day
        started with (``equity`` now, less today's realized PnL); True if tripped.

        The day's start, not the equity left, is the base (as prop desks count a daily
        loss): measured against what is left, every loss would tighten the limit, and 100 %
        would trip once half the account was gone. After an operator RESUMEs a daily-loss
        halt, the same day does not trip again: the resume is their explicit decision to
        keep trading today.
        """
        start = equity - realized_pnl_today
        if limit <= 0 or start <= 0 or realized_pnl_today > -limit * start:
            return False
        with self._lock:
            current = self.record()
            today = self._clock().date().isoformat()
            if current.state != KillState.RUNNING:
                return False
            if self._store.get_setting(_RESUMED_AFTER_LOSS_KEY) == today:
                return False
            reason = (f"auto: daily loss limit - realized {realized_pnl_today:.2f} USDT <= "
                      f"-{limit:.2%} of the day's starting equity {start:.2f}")
            self._write(current, KillState.HALTED, SYSTEM, reason, DAILY_LOSS)
            return True

    def check_storm(self, threshold: int, window_s: int) -> bool:
        """Trip to HALTED on ``threshold`` emergency closes within ``window_s`` seconds.

        Only closes since the bot last went RUNNING count, so a RESUME is not undone
        by the same storm on the next check.
        """
        if threshold < 1 or window_s <= 0:
            return False
        with self._lock:
            current = self.record()
            if current.state != KillState.RUNNING:
                return False
            now = self._clock()
            since = now - timedelta(seconds=window_s)
            if current.at is not None and _aware(current.at) > since:
                since = _aware(current.at)
            closes = self._store.count(EventKind.EMERGENCY_CLOSE, since=since)
            if closes < threshold:
                return False
            reason = (f"auto: red-flag storm - {closes} emergency closes within "
                      f"{window_s // 60} min (limit {threshold})")
            self._write(current, KillState.HALTED, SYSTEM, reason, STORM)
            return True

    def check_trips(self, realized_pnl_today: Decimal, equity: Decimal,
                    daily_loss_limit: Decimal, storm_closes: int, storm_window_s: float
                    ) -> str | None:
        """Both automatic trips in one scheduled call; returns the trigger that fired."""
        if self.check_daily_loss(realized_pnl_today, equity, daily_loss_limit):
            return DAILY_LOSS
        if self.check_storm(storm_closes, int(storm_window_s)):
            return STORM
        return None

    def _move(self, action: KillAction, actor: str, reason: str, trigger: str) -> ControlResult:
        current = self.record()
        if (current.state, action) in _ALREADY:
            return ControlResult(True, _ALREADY[(current.state, action)])
        target = _NEXT.get((current.state, action))
        if target is None:
            return ControlResult(False, errors=(
                f"cannot {action.value} while {current.state}: wait until flat",))
        if action is KillAction.RESUME and current.reason.startswith("auto: daily loss"):
            self._store.set_setting(_RESUMED_AFTER_LOSS_KEY, self._clock().date().isoformat(),
                                    actor)
        self._write(current, target, actor, reason, trigger)
        return ControlResult(True, f"{current.state} -> {target}")

    def _write(self, current: KillRecordLike, target: str, actor: str, reason: str,
               trigger: str) -> None:
        self._store.set_kill_state(target, actor, reason)
        tag = "[KILL]" if target != KillState.RUNNING else "[RESUME]"
        log.warning("%s Kill switch %s -> %s by %s: %s", tag, current.state, target, actor,
                    reason)
        self._store.append(Event(EventKind.KILL_SWITCH, self._clock(), message=reason,
                                 details={"state": target, "previous": current.state,
                                          "actor": actor, "reason": reason,
                                          "trigger": trigger}))


def realized_pnl_since(trades: Iterable[Any], since: datetime) -> Decimal:
    """Sum of realized PnL (USDT) of trades closed at or after ``since`` (e.g. UTC midnight)."""
    return sum((t.pnl_usdt for t in trades
                if t.closed_at is not None and t.pnl_usdt is not None
                and _aware(t.closed_at) >= since), Decimal(0))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
