"""Settings for a replay: the bot's loader, fed only the command line."""

from __future__ import annotations

import pytest

from bot.replay.config import parse_assignment, parse_compare, replay_settings
from bot.replay.errors import ReplayInputError


def test_compare_when_a_value_has_commas_then_only_a_following_name_starts_a_new_one():
    assert parse_compare("QT_SYMBOLS=BTCUSDT,ETHUSDT,QT_LEVERAGE=3") == {
        "QT_SYMBOLS": "BTCUSDT,ETHUSDT", "QT_LEVERAGE": "3"}


@pytest.mark.parametrize("text", ["LEVERAGE=3", "QT_LEVERAGE", "=3", "qt leverage=3"])
def test_set_when_not_a_qt_assignment_then_it_is_refused(text):
    with pytest.raises(ReplayInputError, match="expected QT_NAME=value"):
        parse_assignment(text)


def test_settings_when_the_shell_has_qt_variables_then_the_replay_ignores_them(monkeypatch):
    monkeypatch.setenv("QT_DB_URL", "sqlite:///live.db")
    monkeypatch.setenv("QT_LEVERAGE", "20")
    settings = replay_settings({}, "sqlite://", ["BTCUSDT"])
    assert settings.db_url == "sqlite://" and settings.leverage == 5
    assert settings.mode.value == "paper" and not settings.stream_enabled


def test_settings_when_the_regime_refresh_is_not_given_then_it_is_once_a_regime_candle():
    assert replay_settings({}, "sqlite://", None).regime_refresh_s == 3600
    assert replay_settings({"QT_REGIME_INTERVAL": "15m"}, "sqlite://", None
                           ).regime_refresh_s == 900
    assert replay_settings({"QT_REGIME_REFRESH_S": "60"}, "sqlite://", None
                           ).regime_refresh_s == 60
