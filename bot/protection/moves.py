"""Make before break: a stop is replaced by placing the new one first.

The old stop is cancelled only after the exchange acknowledged the new one,
and only if the position stays covered without it (the cancel guard). If the
new stop fails, nothing is cancelled: the old protection stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.domain import ConditionalOrder, Position
from bot.domain.errors import ExchangeError
from bot.protection.stops import Protector


@dataclass(frozen=True)
class MoveOutcome:
    new_stop: ConditionalOrder | None
    cancelled: tuple[ConditionalOrder, ...]
    kept: tuple[ConditionalOrder, ...]
    error: str = ""

    @property
    def moved(self) -> bool:
        return self.new_stop is not None


def move_stop(
    protector: Protector, position: Position, book: Sequence[ConditionalOrder],
    replace: Sequence[ConditionalOrder], new_trigger: Decimal, key: str,
) -> MoveOutcome:
    """Place a reduce-only stop for the whole position at ``new_trigger``, then drop ``replace``."""
    try:
        new = protector.place_replacement(position, new_trigger, key, book)
    except ExchangeError as exc:
        return MoveOutcome(None, (), tuple(replace), error=str(exc))
    current = [*book, new]
    cancelled: list[ConditionalOrder] = []
    kept: list[ConditionalOrder] = []
    for old in replace:
        if protector.cancel_if_safe(position, current, old, "replaced"):
            cancelled.append(old)
            current = [o for o in current if o.algo_id != old.algo_id]
        else:
            kept.append(old)
    return MoveOutcome(new, tuple(cancelled), tuple(kept))


def drop_superseded(protector: Protector, position: Position,
                    book: Sequence[ConditionalOrder],
                    candidates: Sequence[ConditionalOrder]) -> int:
    """Once a new stop is acknowledged, cancel the protective orders it made redundant.

    The one rule for "which old stops go", for the executor (a second entry outgrew
    the first stop) and the monitor (a repair replaced a partial or misplaced stop):
    only our protective orders (reduce-only or closePosition), each through the guard.
    """
    current = list(book)
    dropped = 0
    for old in candidates:
        if not (old.reduce_only or old.close_position) or old.algo_id not in {
                o.algo_id for o in current}:
            continue
        if protector.cancel_if_safe(position, current, old, "replaced"):
            current = [o for o in current if o.algo_id != old.algo_id]
            dropped += 1
    return dropped
