"""From ledger entries to user-data stream events.

The feed is a ledger listener: it runs inside the engine's lock at the moment a
change is recorded, so it reads the order, the algo order and the account
exactly as that change left them (a later fill cannot leak into an earlier
event) and produces events in the order the changes happened. It only reads
the engine's public records (``orders``, ``algos``, ``account``, ``mark``,
``trades``, ``taker_fee``); it never calls into the engine.

Mapping (one ledger entry → events):
- ordinary book, no fill (PLACED, CANCELED, EXPIRED, ...): ORDER_TRADE_UPDATE, ``x`` = ``X``;
- ordinary book, a fill: ORDER_TRADE_UPDATE ``x=TRADE`` (``CALCULATED`` for a
  liquidation) then ACCOUNT_UPDATE ``m=ORDER`` for the wallet and that symbol;
- algo book: ALGO_UPDATE whenever the algo order's status differs from the last one sent;
- account book (leverage, the liquidation marker): nothing of its own;
- the control surface's ``silent_cancel`` (a cancel from outside the bot: the app, another
  program): ALGO_UPDATE CANCELED, as Binance pushes every change of the account; the
  bot's REST calls were not told, the stream is. ``stream_fault("lose")`` models a
  lost event.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.paper.model import LedgerEntry
from bot.paper.stream_events import (
    FillInfo,
    PositionSnapshot,
    account_update,
    algo_update,
    breakeven_price,
    is_liquidation,
    order_trade_update,
)

_REASONS = {-2019: "Margin is insufficient.", -2022: "Reduce Only reject"}


def _position_side(record: Any) -> str:
    side = getattr(record, "position_side", None)  # hedge mode, where the engine has it
    return str(getattr(side, "value", side) or "BOTH")


def _reason(details: dict) -> str:
    for name in ("rm", "msg", "reason"):
        if details.get(name):
            return str(details[name])
    code = details.get("code")
    if code is None:
        return ""
    return _REASONS.get(int(code), f"code {code}")


class EventFeed:
    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self._algo_status: dict[int, str] = {}

    def reset(self) -> None:
        self._algo_status.clear()

    def events(self, entry: LedgerEntry, event_ms: int) -> list[dict]:
        if entry.book == "order":
            return self._order_events(entry, event_ms)
        if entry.book == "algo":
            return self._algo_events(entry, event_ms)
        return []

    def _order_events(self, entry: LedgerEntry, event_ms: int) -> list[dict]:
        order = self.engine.orders.get(entry.order_id)
        if order is None:
            return []
        fill = self._fill(entry)
        status = entry.status or order.status.value
        if fill is None:
            execution = status
        else:
            execution = "CALCULATED" if is_liquidation(order) else "TRADE"
        side = _position_side(order)
        events = [order_trade_update(order, execution=execution, status=status, fill=fill,
                                     event_ms=event_ms, transaction_ms=entry.time_ms,
                                     position_side=side)]
        if fill is not None:
            events.append(account_update("ORDER", self.engine.account.wallet,
                                         [self._position(order.symbol, side)],
                                         event_ms=event_ms, transaction_ms=entry.time_ms))
        return events

    def _fill(self, entry: LedgerEntry) -> FillInfo | None:
        details = entry.details
        if "lastQty" not in details or entry.price is None:
            return None
        trade_id = int(details.get("tradeId") or 0)
        return FillInfo(qty=Decimal(details["lastQty"]), price=Decimal(entry.price),
                        commission=Decimal(details.get("fee", "0")),
                        realized_pnl=Decimal(details.get("realizedPnl", "0")),
                        trade_id=trade_id, maker=self._maker(trade_id))

    def _maker(self, trade_id: int) -> bool:
        trades = getattr(self.engine, "trades", None)
        if trades is None or not trade_id:
            return False
        for trade in reversed(trades.all()):  # the fill just booked is the last row
            if trade.trade_id == trade_id:
                return bool(trade.maker)
        return False

    def _position(self, symbol: str, side: str) -> PositionSnapshot:
        engine = self.engine
        pos = engine.account.positions.get(symbol)
        amount = pos.amount if pos else Decimal(0)
        entry_price = pos.entry_price if pos else Decimal(0)
        return PositionSnapshot(
            symbol=symbol, amount=amount, entry_price=entry_price,
            breakeven_price=breakeven_price(amount, entry_price, engine.taker_fee),
            realized_pnl=pos.realized_pnl if pos else Decimal(0),
            unrealized_pnl=engine.account.unrealized(symbol, engine.mark[symbol]),
            position_side=side)

    def _algo_events(self, entry: LedgerEntry, event_ms: int) -> list[dict]:
        algo = self.engine.algos.get(entry.algo_id)
        status = entry.status
        if algo is None or status is None or self._algo_status.get(algo.algo_id) == status:
            return []
        self._algo_status[algo.algo_id] = status
        child = (self.engine.orders.get(algo.actual_order_id)
                 if algo.actual_order_id is not None else None)
        reason = _reason(entry.details)
        if not reason and status == "REJECTED":
            reason = str(getattr(algo, "reject_reason", "") or "")
        return [algo_update(algo, status=status, child=child, reason=reason,
                            event_ms=event_ms, transaction_ms=entry.time_ms,
                            position_side=_position_side(algo))]
