"""The decisions package reads the project's real Settings object the same way app.py will."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.decisions.regime import RegimeParams
from bot.decisions.rules import RuleBook, RuleDefaults, default_rules
from bot.decisions.strategy import TrendParams
from bot.protection.stop_policy import StopPolicy
from bot.runtime.assembly import stop_policy
from bot.settings import Settings


@pytest.fixture
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("QT_"):
            monkeypatch.delenv(name)


def test_rule_defaults_follow_settings(clean_env, store):
    settings = Settings(max_positions_per_symbol=3, max_open_positions=150,
                        risk_per_trade=Decimal("0.01"), short_exception_confidence=0.9,
                        trailing_enabled=True, trailing_callback_rate="0.5")
    book = RuleBook(store, default_rules(RuleDefaults.from_settings(settings)))
    states = book.states()
    assert states["max_positions_per_symbol"].params["limit"] == 3
    assert states["max_open_positions"].params["limit"] == 150
    assert states["risk_per_trade"].params["risk"] == 0.01
    assert states["uptrend_short_block"].params["exception_confidence"] == 0.9
    assert states["trailing_stop"].enabled and states["trailing_stop"].params[
        "callback_rate"] == 0.5


def test_an_invalid_callback_rate_in_settings_leaves_trailing_off(clean_env, store):
    settings = Settings(trailing_enabled=True, trailing_callback_rate="7")
    states = RuleBook(store, default_rules(RuleDefaults.from_settings(settings))).states()
    assert states["trailing_stop"].enabled is False


def test_regime_stop_and_strategy_params_follow_settings(clean_env):
    settings = Settings(regime_interval="4h", regime_fast=20, regime_slow=100,
                        regime_adx_min=Decimal("25"), stop_mode="percent",
                        stop_pct=Decimal("0.015"), stop_atr_mult=Decimal("3"),
                        strategy_interval="5m")
    assert RegimeParams.from_settings(settings) == RegimeParams("4h", 20, 100, 25.0)
    assert stop_policy(settings) == StopPolicy("percent", Decimal("3"), Decimal("0.015"),
                                               atr_interval="5m")
    trend = TrendParams.from_settings(settings)
    assert (trend.interval, trend.atr_mult) == ("5m", 3.0)
