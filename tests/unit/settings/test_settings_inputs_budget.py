"""The settings of items that guard the inputs and the request budget: defaults and bounds."""

from __future__ import annotations

import pytest

from bot.decisions.context import InputLimits
from bot.decisions.regime import RegimeParams
from bot.settings import SettingsError, load_settings


def test_defaults_when_env_empty_then_documented_values():
    s = load_settings({})
    assert (s.regime_refresh_s, s.mark_max_age_s, s.kline_max_lag_s) == (60.0, 30.0, 120.0)
    assert (s.rate_reserve_share, s.filters_refresh_s) == (0.8, 3600.0)
    assert RegimeParams.from_settings(s).max_age_s == 120.0
    assert InputLimits.from_settings(s) == InputLimits(30.0, 120.0)


@pytest.mark.parametrize(("name", "value"), [
    ("QT_REGIME_REFRESH_S", "4"), ("QT_MARK_MAX_AGE_S", "0"), ("QT_KLINE_MAX_LAG_S", "-1"),
    ("QT_RATE_RESERVE_SHARE", "0.05"), ("QT_RATE_RESERVE_SHARE", "1.5"),
    ("QT_FILTERS_REFRESH_S", "59"),
])
def test_values_when_out_of_range_then_refused_naming_the_variable(name, value):
    with pytest.raises(SettingsError) as info:
        load_settings({name: value})
    assert name in str(info.value)


def test_values_when_given_then_reach_their_consumers():
    s = load_settings({"QT_REGIME_REFRESH_S": "30", "QT_MARK_MAX_AGE_S": "5",
                       "QT_KLINE_MAX_LAG_S": "0", "QT_RATE_RESERVE_SHARE": "0.5",
                       "QT_FILTERS_REFRESH_S": "600"})
    assert RegimeParams.from_settings(s).max_age_s == 60.0
    assert InputLimits.from_settings(s) == InputLimits(5.0, 0.0)
    assert (s.rate_reserve_share, s.filters_refresh_s) == (0.5, 600.0)
