"""The ControlApi the dashboard uses: memory and database reads, audited controls.

Nothing here sends an exchange request: positions come from the monitor's
last cycle, candles from the cache the jobs filled.
"""

from __future__ import annotations

import logging
import threading
import time
from decimal import Decimal

from bot.domain import ChartView, ControlResult, EventKind, KillAction, RedFlagView, Snapshot
from bot.runtime.bot import Bot

log = logging.getLogger(__name__)

_FLAGS_TTL_S = 1.0


class BotControl:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot
        self._c = bot.c
        self._flags: tuple[float, tuple[RedFlagView, ...]] = (0.0, ())
        self._flags_lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        c, bot = self._c, self._bot
        kill = c.killswitch.record()
        return Snapshot(
            mode=c.settings.mode,
            status=bot.status,
            kill_state=kill.state,
            kill_reason=kill.reason,
            regime=c.regime.current,
            last_monitor_at=bot.last_cycle_at(),
            positions=bot.positions(),
            kpis=bot.kpis(),
            red_flags=self._red_flags(),
            rules=c.rulebook.views(),
            activity=c.logs.lines(200),
            equity_curve=tuple(c.store.equity_curve(limit=500)),
            regime_history=tuple(c.regime.history()[-200:]),
            taken_at=c.clock(),
        )

    def _red_flags(self) -> tuple[RedFlagView, ...]:
        with self._flags_lock:
            at, flags = self._flags
            if time.monotonic() - at < _FLAGS_TTL_S:
                return flags
        flags = tuple(self._c.store.red_flags(limit=50))
        with self._flags_lock:
            self._flags = (time.monotonic(), flags)
        return flags

    def chart(self, symbol: str) -> ChartView:
        c = self._c
        candles = tuple(c.candles.cached(symbol)[-200:])
        view = next((p for p in self._bot.positions() if p.symbol == symbol), None)
        fills = tuple(
            (int(e.at.timestamp() * 1000), Decimal(str(e.details["price"])), str(e.details.get(
                "direction", "")))
            for e in c.store.events(kinds=[EventKind.ENTRY_FILLED], symbol=symbol, limit=20,
                                    newest_first=True)
            if e.details.get("price") is not None
        )
        return ChartView(
            symbol=symbol, klines=candles,
            entry=view.entry_price if view else None,
            stop=view.stop_trigger if view else None,
            take_profit=view.take_profit if view else None,
            fills=fills,
        )

    def set_rule(self, name: str, enabled: bool | None, params: dict[str, str],
                 actor: str) -> ControlResult:
        errors = self._c.rulebook.set_rule(name, enabled, params, actor)
        if errors:
            return ControlResult(False, "not saved", tuple(errors))
        log.info("[RULES] %s changed %s (enabled=%s, %s)", actor, name, enabled, params)
        return ControlResult(True, f"{name} saved")

    def kill_switch(self, action: KillAction, actor: str, reason: str = "") -> ControlResult:
        result = self._c.killswitch.apply(action, actor, reason)
        if result.ok and action is KillAction.FLATTEN:
            self._bot.wake_monitor()
        return result

    def acknowledge(self, red_flag_id: int, actor: str) -> ControlResult:
        if not self._c.store.acknowledge(red_flag_id, actor):
            return ControlResult(False, errors=(f"no red flag with id {red_flag_id}",))
        with self._flags_lock:
            self._flags = (0.0, ())
        log.info("[ALERT] Red flag %s acknowledged by %s", red_flag_id, actor)
        return ControlResult(True, "acknowledged")
