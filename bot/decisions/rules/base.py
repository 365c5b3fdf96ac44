"""What every trade-filter rule is: a name, an on/off state, typed parameters, a verdict.

Denials are values (``Verdict``), never exceptions, so the pipeline can record
each one with its reason and the dashboard can count them per rule.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Literal

from bot.domain import Direction, KillState, Regime, RuleParam, Signal

ParamValue = int | float | bool
Stage = Literal["gate", "market", "sized"]
"""When a rule runs: "gate" before any exchange read (the signal alone and the kill
switch), "market" with the account/regime context, "sized" once the quantity is known."""


@dataclass(frozen=True)
class ParamSpec:
    """One tunable number of a rule, with the range the operator may set it to."""

    name: str
    kind: type[int] | type[float] | type[bool]
    default: ParamValue
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""

    def parse(self, raw: object) -> ParamValue:
        """Parse text from the store or the dashboard form; ValueError says what is wrong."""
        text = str(raw).strip()
        if self.kind is bool:
            lowered = text.lower()
            if lowered in ("true", "1", "on", "yes"):
                return True
            if lowered in ("false", "0", "off", "no"):
                return False
            raise ValueError(f"{self.name}: expected true or false, got {text!r}")
        try:
            value: ParamValue = int(text) if self.kind is int else float(text)
        except ValueError:
            noun = "a whole number" if self.kind is int else "a number"
            raise ValueError(f"{self.name}: expected {noun}, got {text!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{self.name}: expected a finite number, got {text!r}")
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"[{_fmt(low, '-inf')}, {_fmt(high, 'inf')}]"
            raise ValueError(f"{self.name}: {text} is out of range {bounds}")
        return value

    def view(self, value: ParamValue) -> RuleParam:
        kind = {int: "int", float: "float", bool: "bool"}[self.kind]
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return RuleParam(self.name, text, kind, self.minimum, self.maximum, self.help)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    rule: str
    reason: str

    @classmethod
    def allow(cls, rule: str, reason: str = "ok") -> Verdict:
        return cls(True, rule, reason)

    @classmethod
    def deny(cls, rule: str, reason: str) -> Verdict:
        return cls(False, rule, reason)


@dataclass(frozen=True)
class RuleContext:
    """Everything a rule may look at; built once per signal so rules stay pure."""

    signal: Signal
    now: datetime
    kill_state: KillState = KillState.RUNNING
    global_regime: Regime | None = None
    local_trend: Regime | None = None
    open_positions: int = 0
    symbol_has_position: bool = False
    position_direction: Direction | None = None
    entries_on_symbol: int = 0
    last_stop_failure_at: datetime | None = None
    quantity: Decimal | None = None
    entry_price: Decimal | None = None
    exchange_min_notional: Decimal | None = None

    @property
    def direction(self) -> Direction:
        return self.signal.direction


class Rule(ABC):
    """Base of every rule module; subclasses set the class attributes and ``evaluate``."""

    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str] = ""
    toggleable: ClassVar[bool] = True
    enabled_by_default: ClassVar[bool] = True
    stage: ClassVar[Stage] = "market"
    params: ClassVar[tuple[ParamSpec, ...]] = ()

    def __init__(self, enabled: bool | None = None, **defaults: ParamValue) -> None:
        """``enabled`` and ``defaults`` override the class defaults (from settings);
        validated like any operator input, so a bad setting fails at start, loudly."""
        self.default_enabled = self.enabled_by_default if enabled is None else enabled
        if not self.toggleable:
            self.default_enabled = True
        known = {spec.name: spec for spec in self.params}
        unknown = set(defaults) - set(known)
        if unknown:
            raise ValueError(f"{self.name}: unknown parameter(s) {sorted(unknown)}")
        self.defaults = {spec.name: spec.default for spec in self.params}
        for key, value in defaults.items():
            self.defaults[key] = known[key].parse(value)

    def spec(self, param: str) -> ParamSpec | None:
        return next((s for s in self.params if s.name == param), None)

    @abstractmethod
    def evaluate(self, ctx: RuleContext, params: dict[str, ParamValue]) -> Verdict:
        """Allow or deny this one signal; ``params`` are the rule's current parameter values."""

    def allow(self, reason: str = "ok") -> Verdict:
        return Verdict.allow(self.name, reason)

    def deny(self, reason: str) -> Verdict:
        return Verdict.deny(self.name, reason)


def _fmt(bound: float | None, unbounded: str) -> str:
    if bound is None:
        return unbounded
    return str(int(bound)) if float(bound).is_integer() else str(bound)
