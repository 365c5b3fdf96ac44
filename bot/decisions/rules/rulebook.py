"""The ordered trade-opportunity filter, with its states and parameters in the store.

Nothing is cached: each evaluation reads the rule settings afresh (one query),
so a change made on the dashboard applies to the very next signal, in this
process or any other, without a restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.decisions.ports import SettingsStore
from bot.decisions.rules.base import ParamValue, Rule, RuleContext, Stage, Verdict
from bot.decisions.rules.config_rules import (
    CALLBACK_MAX,
    CALLBACK_MIN,
    RiskPerTrade,
    TrailingStop,
)
from bot.decisions.rules.kill_switch import KillSwitchRule
from bot.decisions.rules.max_open_positions import MaxOpenPositions
from bot.decisions.rules.max_positions_per_symbol import MaxPositionsPerSymbol
from bot.decisions.rules.min_notional import MinNotional
from bot.decisions.rules.opposite_position import OppositePositionBlock
from bot.decisions.rules.stop_failure_cooldown import StopFailureCooldown
from bot.decisions.rules.uptrend_short_block import UptrendShortBlock
from bot.domain import Event, EventKind, RuleView
from bot.domain.ports import Clock, EventSink
from bot.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "rule."


class RuleStore(SettingsStore, EventSink, Protocol):
    """Settings with audit for the values, events for RULE_CHANGED."""


@dataclass(frozen=True)
class RuleDefaults:
    """Start-up values from settings; the store overrides them once the operator changes one."""

    risk_per_trade: float = 0.0075
    max_positions_per_symbol: int = 2
    max_open_positions: int = 10
    short_exception_confidence: float = 0.85
    trailing_enabled: bool = False
    trailing_callback_rate: float = 1.0
    stop_failure_cooldown_min: int = 60
    min_notional_floor: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RuleDefaults:
        """Read what exists on the settings object; a bad trailing rate turns trailing off."""
        base = cls()
        values: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            default = getattr(base, name)
            value = getattr(settings, name, default)
            values[name] = value if isinstance(default, bool) else _as(type(default), value)
        rate = values["trailing_callback_rate"]
        if rate is None or not CALLBACK_MIN <= rate <= CALLBACK_MAX:
            log.warning("[RULES] Trailing callback rate %r outside [%s, %s] - trailing OFF, "
                        "fixed stops only", rate, CALLBACK_MIN, CALLBACK_MAX)
            values["trailing_enabled"] = False
            values["trailing_callback_rate"] = base.trailing_callback_rate
        return cls(**values)


def default_rules(defaults: RuleDefaults | None = None) -> list[Rule]:
    """The filter in evaluation order: the cheapest and most absolute reasons first."""
    d = defaults or RuleDefaults()
    return [
        KillSwitchRule(),
        StopFailureCooldown(minutes=d.stop_failure_cooldown_min),
        OppositePositionBlock(),
        UptrendShortBlock(exception_confidence=d.short_exception_confidence),
        MaxPositionsPerSymbol(limit=d.max_positions_per_symbol),
        MaxOpenPositions(limit=d.max_open_positions),
        MinNotional(floor_usdt=d.min_notional_floor),
        RiskPerTrade(risk=d.risk_per_trade),
        TrailingStop(enabled=d.trailing_enabled, callback_rate=d.trailing_callback_rate),
    ]


@dataclass(frozen=True)
class RuleState:
    enabled: bool
    params: dict[str, ParamValue]


class RuleBook:
    def __init__(
        self, store: RuleStore, rules: Sequence[Rule] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._store = store
        self._rules = list(rules) if rules is not None else default_rules()
        names = [r.name for r in self._rules]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate rule names in {names}")
        self._by_name = {r.name: r for r in self._rules}
        self._clock = clock or (lambda: datetime.now(UTC))
        self._write_lock = threading.Lock()

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(self._rules)

    def states(self) -> dict[str, RuleState]:
        """Current on/off and parameters of every rule: store values over defaults."""
        stored = self._store.settings_with_prefix(PREFIX)
        return {rule.name: self._state(rule, stored) for rule in self._rules}

    def evaluate(
        self, ctx: RuleContext, stage: Stage = "market",
        states: Mapping[str, RuleState] | None = None,
    ) -> Verdict:
        """First denial among the enabled rules of this stage, else an allow."""
        current = states or self.states()
        checked = 0
        for rule in self._rules:
            state = current[rule.name]
            if rule.stage != stage or not state.enabled:
                continue
            verdict = rule.evaluate(ctx, state.params)
            checked += 1
            if not verdict.allowed:
                return verdict
        return Verdict.allow("filter", f"{checked} rules passed")

    def set_rule(
        self, name: str, enabled: bool | None, params: Mapping[str, object] | None,
        actor: str, reason: str = "",
    ) -> list[str]:
        """Validate everything, then save with audit (who, why, and the value it replaced,
        a default included); any error saves nothing."""
        rule = self._by_name.get(name)
        if rule is None:
            return [f"unknown rule {name!r} (known: {', '.join(self._by_name)})"]
        errors: list[str] = []
        if not actor or not actor.strip():
            errors.append("actor: who made the change is required")
        if enabled is not None and not isinstance(enabled, bool):
            errors.append(f"{name}: enabled must be true or false, got {enabled!r}")
        elif enabled is False and not rule.toggleable:
            errors.append(f"{name}: cannot be switched off")
        parsed: dict[str, ParamValue] = {}
        for key, raw in (params or {}).items():
            spec = rule.spec(key)
            if spec is None:
                errors.append(f"{key}: unknown parameter of {name}")
                continue
            try:
                parsed[key] = spec.parse(raw)
            except ValueError as exc:
                errors.append(str(exc))
        if errors:
            log.warning("[RULES] Change to %s refused: %s", name, "; ".join(errors))
            return errors
        with self._write_lock:
            self._save(rule, enabled, parsed, actor, reason)
        return []

    def views(self) -> tuple[RuleView, ...]:
        current = self.states()
        return tuple(
            RuleView(rule.name, rule.title, current[rule.name].enabled, rule.toggleable,
                     tuple(spec.view(current[rule.name].params[spec.name])
                           for spec in rule.params),
                     rule.description)
            for rule in self._rules
        )

    def _save(self, rule: Rule, enabled: bool | None, parsed: dict[str, ParamValue],
              actor: str, reason: str) -> None:
        before = self._state(rule, self._store.settings_with_prefix(PREFIX))
        changes: dict[str, dict[str, str]] = {}
        if enabled is not None and rule.toggleable and enabled != before.enabled:
            changes["enabled"] = {"old": _text(before.enabled), "new": _text(enabled)}
        for key, value in parsed.items():
            if value != before.params[key]:
                changes[key] = {"old": _text(before.params[key]), "new": _text(value)}
        for key, change in changes.items():
            self._store.set_setting(f"{PREFIX}{rule.name}.{key}", change["new"], actor,
                                    previous=change["old"], note=reason)
        if not changes:
            return
        summary = ", ".join(f"{k} {c['old']} -> {c['new']}" for k, c in changes.items())
        log.info("[RULES] %s changed by %s: %s", rule.name, actor, summary)
        self._store.append(Event(EventKind.RULE_CHANGED, self._clock(), message=summary,
                                 details={"rule": rule.name, "actor": actor,
                                          "changes": changes, "reason": reason}))

    @staticmethod
    def _state(rule: Rule, stored: Mapping[str, str]) -> RuleState:
        enabled = rule.default_enabled
        raw_enabled = stored.get(f"{PREFIX}{rule.name}.enabled")
        if rule.toggleable and raw_enabled is not None:
            enabled = raw_enabled.strip().lower() == "true"
        params = dict(rule.defaults)
        for spec in rule.params:
            raw = stored.get(f"{PREFIX}{rule.name}.{spec.name}")
            if raw is None:
                continue
            try:
                params[spec.name] = spec.parse(raw)
            except ValueError as exc:
                log.warning("[RULES] Stored %s.%s ignored (%s) - using %s", rule.name,
                            spec.name, exc, params[spec.name])
        return RuleState(enabled, params)


def _as(kind: type, value: Any) -> Any:
    """Settings carry Decimals and strings; None marks a value that cannot be used."""
    try:
        return kind(value)
    except (TypeError, ValueError, ArithmeticError):
        return None


def _text(value: ParamValue) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
