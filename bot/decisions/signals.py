"""Turning an untrusted signal (webhook body, TradingView alert) into a ``Signal``.

Every problem is collected and reported at once, so whoever wrote the alert
template can fix it in one go; nothing half-valid ever reaches the filter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.domain import Direction, Signal

log = logging.getLogger(__name__)

MarkPrice = Callable[[str], Decimal]

_SIDES = {
    "BUY": Direction.LONG, "LONG": Direction.LONG,
    "SELL": Direction.SHORT, "SHORT": Direction.SHORT,
}
# No traded contract is priced near 1e9 USDT; bigger numbers are typos or attacks.
_Price = Annotated[Decimal, Field(gt=0, lt=Decimal("1e9"), allow_inf_nan=False)]


class SignalRejected(ValueError):
    """A signal that cannot be traded; ``problems`` lists every reason, one per item."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class WebhookSignal(BaseModel):
    """The body of ``POST /api/signals``, shaped like a TradingView alert message."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    symbol: Annotated[str, Field(min_length=1, max_length=40)]
    side: Annotated[str, Field(min_length=1, max_length=10)]
    confidence: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
    stop: _Price | None = None
    target: _Price | None = None
    price: _Price | None = None
    source: Annotated[str, Field(min_length=1, max_length=40)] = "webhook"

    @field_validator("confidence", "stop", "target", "price", mode="before")
    @classmethod
    def _no_booleans(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("must be a number, not true/false")
        return value

    @field_validator("side")
    @classmethod
    def _known_side(cls, value: str) -> str:
        if value.upper() not in _SIDES:
            raise ValueError(f"must be one of BUY, SELL, LONG, SHORT (got {value!r})")
        return value.upper()

    @field_validator("symbol")
    @classmethod
    def _upper_symbol(cls, value: str) -> str:
        """TradingView's ``{{ticker}}`` names a perpetual ``ATOMUSDT.P``, and its full
        form carries the venue (``BINANCE:ATOMUSDT.P``); both mean Binance's ATOMUSDT."""
        symbol = value.upper().rpartition(":")[2]
        return symbol.removesuffix(".P")


def validate_signal(
    payload: Mapping[str, Any], known_symbols: Collection[str], now: datetime,
    mark_price: MarkPrice | None = None, signal_id: str = "",
    min_stop_distance_pct: Decimal = Decimal(0),
) -> Signal:
    """Check a raw body and build the Signal, or raise SignalRejected with every problem.

    The reference price is the body's ``price``, else the mark; without either the stop's
    side and distance are left to the pipeline, which checks them with fresh context.
    ``min_stop_distance_pct`` (percent of the price, 0: no minimum) refuses a stop so close
    that sizing by risk would take a huge position.
    """
    if not isinstance(payload, Mapping):
        raise SignalRejected(["body must be a JSON object"])
    try:
        body = WebhookSignal.model_validate(dict(payload))
    except ValidationError as exc:
        raise SignalRejected([_describe(err) for err in exc.errors()]) from None
    direction = _SIDES[body.side]
    problems: list[str] = []
    if body.symbol not in known_symbols:
        problems.append(f"symbol: unknown symbol {body.symbol!r}")
    reference = body.price
    if reference is None and mark_price is not None and not problems:
        reference = _safe_mark(mark_price, body.symbol)
    problems.extend(price_side_problems(direction, reference, body.stop, body.target,
                                        min_stop_distance_pct))
    if problems:
        raise SignalRejected(problems)
    return Signal(
        symbol=body.symbol, direction=direction, confidence=body.confidence,
        source=body.source, created_at=now, stop_price=body.stop, target_price=body.target,
        id=signal_id,
    )


def price_side_problems(
    direction: Direction, reference: Decimal | None, stop: Decimal | None,
    target: Decimal | None, min_stop_distance_pct: Decimal = Decimal(0),
) -> list[str]:
    """A LONG's stop lies below the price and its target above; a SHORT the other way round;
    the stop at least ``min_stop_distance_pct`` percent of the price away (0: any distance)."""
    problems: list[str] = []
    long = direction is Direction.LONG
    if stop is not None and target is not None:
        if (long and target <= stop) or (not long and target >= stop):
            problems.append(f"target: {target} is on the wrong side of stop {stop} "
                            f"for a {direction.value}")
    if reference is None:
        return problems
    if stop is not None and ((long and stop >= reference) or (not long and stop <= reference)):
        where = "below" if long else "above"
        problems.append(f"stop: {stop} must be {where} the price {reference} "
                        f"for a {direction.value}")
    elif stop is not None:
        problems.extend(_distance_problems(stop, reference, min_stop_distance_pct))
    if target is not None and ((long and target <= reference)
                               or (not long and target >= reference)):
        where = "above" if long else "below"
        problems.append(f"target: {target} must be {where} the price {reference} "
                        f"for a {direction.value}")
    return problems


def _distance_problems(stop: Decimal, reference: Decimal, min_pct: Decimal) -> list[str]:
    if min_pct <= 0 or reference <= 0:
        return []
    distance = abs(reference - stop)
    pct = distance / reference * 100
    if pct >= min_pct:
        return []
    return [f"stop: {stop} is only {distance} ({_percent(pct)} %) from the price {reference}; "
            f"it must be at least {_percent(min_pct)} % "
            f"({(reference * min_pct / 100).normalize():f}) away"]


def _percent(value: Decimal) -> str:
    """Four decimals at most, no exponent and no trailing zeros: 0.0007, 0.1, 2."""
    text = f"{value.quantize(Decimal('0.0001')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _safe_mark(mark_price: MarkPrice, symbol: str) -> Decimal | None:
    try:
        return mark_price(symbol)
    except Exception as exc:  # the side check is re-done by the pipeline with fresh context
        log.warning("[SIGNAL] No mark price for %s (%s) - stop side checked later", symbol, exc)
        return None


def _describe(err: Mapping[str, Any]) -> str:
    field = ".".join(str(part) for part in err.get("loc", ())) or "body"
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return f"{field}: unknown field"
    if kind == "missing":
        return f"{field}: required field missing"
    message = str(err.get("msg", "invalid"))
    return f"{field}: {message.removeprefix('Value error, ')}"
