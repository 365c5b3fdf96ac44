from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from bot.domain import Mode
from bot.settings import (
    DEFAULT_SYMBOLS,
    MASK,
    Settings,
    SettingsError,
    load_settings,
    mask_url,
)
from bot.settings.model import url_passwords

SECRET = "s3cr3t-Value-XYZ"


def refused(env: dict[str, str]) -> SettingsError:
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    return info.value


def test_defaults_when_env_empty() -> None:
    s = load_settings({})
    assert s.mode is Mode.PAPER and s.live_confirm is False
    assert s.db_url == "sqlite:///data/quantshield.db"
    assert s.symbols == DEFAULT_SYMBOLS
    assert (s.leverage, s.risk_per_trade) == (5, Decimal("0.0075"))
    assert (s.stop_mode, s.stop_atr_mult, s.stop_pct) == ("atr", Decimal("2.0"), Decimal("0.01"))
    assert s.retry_buffers == (Decimal("0.001"), Decimal("0.003"))
    assert s.trailing_enabled is False and s.trailing_callback_rate == Decimal("1.0")
    assert (s.max_positions_per_symbol, s.max_open_positions) == (2, 10)
    assert (s.monitor_interval_s, s.naked_grace_s) == (10.0, 15.0)
    assert (s.dash_host, s.dash_port, s.paper_host, s.paper_port) == (
        "127.0.0.1", 8050, "127.0.0.1", 8765)
    assert s.paper_api_key == "paper-key"
    assert s.paper_api_secret.get_secret_value() == "paper-secret"
    assert (s.paper_seed, s.paper_speed, s.paper_balance, s.paper_replay_dir) == (
        7, 1.0, Decimal("10000"), None)
    assert (s.regime_interval, s.regime_fast, s.regime_slow, s.regime_adx_min) == (
        "1h", 50, 200, Decimal("20"))
    assert s.short_exception_confidence == 0.85 and s.strategy_interval == "15m"
    assert s.daily_loss_limit == Decimal("0.03")
    assert (s.storm_emergency_closes, s.storm_window_s) == (3, 3600.0)
    assert s.loss_flag_pct == Decimal("0.01") and s.log_level == "INFO"
    assert s.webhook_token is None and s.api_key is None
    assert s.warnings == () and s.unknown_env == ()


def test_load_when_values_given_then_parsed_and_typed(tmp_path: Path) -> None:
    s = load_settings({
        "QT_SYMBOLS": " btcusdt, ETHUSDT ,btcusdt,1000pepeusdt", "QT_LEVERAGE": "20",
        "QT_RISK_PER_TRADE": "0.01", "QT_RETRY_BUFFERS": "0.002,0.004,0.01",
        "QT_TRAILING_ENABLED": "true", "QT_TRAILING_CALLBACK_RATE": "0.5",
        "QT_STOP_MODE": "PERCENT", "QT_PAPER_REPLAY_DIR": str(tmp_path), "QT_MODE": "Paper",
        "QT_LOG_LEVEL": "debug", "QT_WEBHOOK_TOKEN": SECRET, "QT_API_KEY": "",
    })
    assert s.symbols == ("BTCUSDT", "ETHUSDT", "1000PEPEUSDT")
    assert s.leverage == 20 and s.risk_per_trade == Decimal("0.01")
    assert s.retry_buffers == (Decimal("0.002"), Decimal("0.004"), Decimal("0.01"))
    assert s.trailing_enabled is True and s.trailing_callback_rate == Decimal("0.5")
    assert s.stop_mode == "percent" and s.paper_replay_dir == tmp_path
    assert s.log_level == "DEBUG" and s.api_key is None
    assert isinstance(s.webhook_token, SecretStr) and s.webhook_token.get_secret_value() == SECRET


def test_load_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QT_LEVERAGE", "7")
    monkeypatch.setenv("QT_NOT_A_SETTING", "1")
    s = load_settings()
    assert s.leverage == 7 and "QT_NOT_A_SETTING" in s.unknown_env


# every range on both sides: (variable, lowest ok, highest ok, too low, too high)
RANGES = [
    ("QT_LEVERAGE", "1", "125", "0", "126"),
    ("QT_RISK_PER_TRADE", "0.0001", "0.05", "0", "0.051"),
    ("QT_STOP_ATR_MULT", "0.5", "10", "0.49", "10.01"),
    ("QT_STOP_PCT", "0.0001", "0.2", "0", "0.21"),
    ("QT_RETRY_BUFFERS", "0.0001", "0.05", "0", "0.06"),
    ("QT_MAX_POSITIONS_PER_SYMBOL", "1", "10", "0", "11"),
    ("QT_MAX_OPEN_POSITIONS", "1", "200", "0", "201"),
    ("QT_MONITOR_INTERVAL_S", "1", "300", "0.99", "301"),
    ("QT_NAKED_GRACE_S", "0", "600", "-1", "601"),
    ("QT_PAPER_SPEED", "0.001", "10000", "0", "10001"),
    ("QT_SHORT_EXCEPTION_CONFIDENCE", "0", "1", "-0.01", "1.01"),
    ("QT_DASH_PORT", "1", "65535", "0", "65536"),
    ("QT_DAILY_LOSS_LIMIT", "0.001", "1", "0", "1.5"),
]


@pytest.mark.parametrize(("var", "low", "high", "too_low", "too_high"), RANGES)
def test_ranges_when_at_bounds_then_accepted_and_outside_then_refused_naming_the_variable(
    var: str, low: str, high: str, too_low: str, too_high: str
) -> None:
    field = var.removeprefix("QT_").lower()
    for ok in (low, high):
        value = getattr(load_settings({var: ok}), field)
        shown = value[0] if isinstance(value, tuple) else value
        assert Decimal(str(shown)) == Decimal(ok)
    for bad in (too_low, too_high):
        err = refused({var: bad})
        assert len(err.problems) == 1 and err.problems[0].startswith(var + ":"), err.problems
        assert var in str(err)


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"QT_MODE": "demo"}, "QT_MODE"),
        ({"QT_LEVERAGE": "five"}, "QT_LEVERAGE"),
        ({"QT_SYMBOLS": "BTCUSDT,ETH-USD"}, "ETH-USD"),
        ({"QT_SYMBOLS": ","}, "QT_SYMBOLS"),
        ({"QT_RETRY_BUFFERS": "0.003,0.001"}, "ascending"),
        ({"QT_RETRY_BUFFERS": "0.001,0.002,0.003,0.004,0.005,0.006"}, "1 to 5"),
        ({"QT_STOP_MODE": "fixed"}, "QT_STOP_MODE"),
        ({"QT_REGIME_INTERVAL": "7m"}, "QT_REGIME_INTERVAL"),
        ({"QT_REGIME_FAST": "200", "QT_REGIME_SLOW": "50"}, "QT_REGIME_FAST"),
        ({"QT_LOG_LEVEL": "LOUD"}, "QT_LOG_LEVEL"),
        ({"QT_PAPER_REPLAY_DIR": "/nonexistent/replay"}, "QT_PAPER_REPLAY_DIR"),
    ],
)
def test_bad_values_refused_with_the_variable_named(env: dict[str, str], needle: str) -> None:
    assert needle in str(refused(env))


def test_several_bad_values_all_reported() -> None:
    err = refused({"QT_LEVERAGE": "0", "QT_STOP_PCT": "1", "QT_MODE": "x"})
    names = {p.split(":")[0] for p in err.problems}
    assert names == {"QT_LEVERAGE", "QT_STOP_PCT", "QT_MODE"}


def test_live_when_not_confirmed_then_refused() -> None:
    keys = {"QT_MODE": "live", "QT_API_KEY": "k", "QT_API_SECRET": SECRET}
    for confirm in (None, "no", "true", "1"):
        env = dict(keys) if confirm is None else {**keys, "QT_LIVE_CONFIRM": confirm}
        err = refused(env)
        assert any("QT_LIVE_CONFIRM=yes" in p for p in err.problems)
    s = load_settings({**keys, "QT_LIVE_CONFIRM": "yes"})
    assert s.mode is Mode.LIVE and s.live_confirm is True


@pytest.mark.parametrize("mode", ["testnet", "live"])
def test_exchange_modes_when_keys_missing_then_refused(mode: str) -> None:
    err = refused({"QT_MODE": mode, "QT_LIVE_CONFIRM": "yes", "QT_API_KEY": "k"})
    assert err.problems == (f"QT_API_SECRET is required when QT_MODE={mode}",)
    s = load_settings({"QT_MODE": mode, "QT_LIVE_CONFIRM": "yes", "QT_API_KEY": "k",
                       "QT_API_SECRET": SECRET})
    assert s.api_secret is not None and s.api_secret.get_secret_value() == SECRET


def test_paper_mode_needs_no_keys() -> None:
    assert load_settings({"QT_MODE": "paper"}).api_key is None


@pytest.mark.parametrize("rate", ["7", "0.05", "5.01", "abc", "nan", "-1"])
def test_callback_rate_when_invalid_then_trailing_disabled_with_warning_not_error(
    rate: str,
) -> None:
    s = load_settings({"QT_TRAILING_ENABLED": "true", "QT_TRAILING_CALLBACK_RATE": rate})
    assert s.trailing_enabled is False and s.trailing_usable is False
    assert s.trailing_callback_rate is None and s.trailing_callback_rate_raw == rate
    (warning,) = s.warnings
    assert warning.startswith(f"QT_TRAILING_CALLBACK_RATE={rate} ")
    assert "trailing stops disabled" in warning


def test_callback_rate_seven_message_matches_operator_wording() -> None:
    s = load_settings({"QT_TRAILING_CALLBACK_RATE": "7"})
    assert s.warnings == (
        "QT_TRAILING_CALLBACK_RATE=7 is outside [0.1, 5.0]: trailing stops disabled",)


@pytest.mark.parametrize("rate", ["0.1", "5.0", "1"])
def test_callback_rate_at_bounds_then_kept_as_is(rate: str) -> None:
    s = load_settings({"QT_TRAILING_ENABLED": "true", "QT_TRAILING_CALLBACK_RATE": rate})
    assert s.trailing_usable and s.trailing_callback_rate == Decimal(rate) and s.warnings == ()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.internal", "::"])
def test_dash_host_when_not_loopback_without_credentials_then_refused(host: str) -> None:
    err = refused({"QT_DASH_HOST": host})
    assert "QT_DASHBOARD_USER" in str(err) and "QT_DASHBOARD_PASSWORD" in str(err)
    assert refused({"QT_DASH_HOST": host, "QT_DASHBOARD_USER": "ops"})
    s = load_settings({"QT_DASH_HOST": host, "QT_DASHBOARD_USER": "ops",
                       "QT_DASHBOARD_PASSWORD": SECRET})
    assert s.dash_host == host


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_dash_host_when_loopback_then_no_credentials_needed(host: str) -> None:
    assert load_settings({"QT_DASH_HOST": host}).dash_host == host


def test_unknown_qt_names_reported_not_fatal() -> None:
    s = load_settings({"QT_LEVERGAE": "3", "QT_ZZZ": "1", "QT_TESTNET_API_KEY": "k",
                       "PATH": "/bin", "QT_WARNINGS": "x"})
    assert s.unknown_env == ("QT_LEVERGAE", "QT_WARNINGS", "QT_ZZZ")
    assert "unknown setting QT_LEVERGAE ignored" in s.warnings
    assert s.leverage == 5


def _everything_secret() -> dict[str, str]:
    return {
        "QT_MODE": "testnet", "QT_API_KEY": SECRET + "k", "QT_API_SECRET": SECRET,
        "QT_WEBHOOK_TOKEN": SECRET + "w", "QT_DASH_HOST": "0.0.0.0",
        "QT_DASHBOARD_USER": "ops", "QT_DASHBOARD_PASSWORD": SECRET + "p",
        "QT_PAPER_API_SECRET": SECRET + "pp",
        "QT_DB_URL": f"postgresql://bot:{SECRET}db@localhost/quantshield",
    }


def test_secrets_never_in_repr_str_or_dump() -> None:
    s = load_settings(_everything_secret())
    dump = s.dump()
    for text in (repr(s), str(s), str(dump), repr(s.api_secret), str(s.api_secret)):
        assert SECRET not in text
    for name in ("api_key", "api_secret", "webhook_token", "dashboard_password",
                 "paper_api_secret"):
        assert dump[name] == MASK
    assert dump["db_url"] == f"postgresql://bot:{MASK}@localhost/quantshield"
    assert dump["dashboard_user"] == "ops" and dump["mode"] == "testnet"
    assert s.api_secret is not None and s.api_secret.get_secret_value() == SECRET


def test_db_password_in_the_url_query_is_masked_in_repr_str_and_dump() -> None:
    url = f"postgresql+psycopg://bot@db.internal:5432/qs?password={SECRET}&sslmode=require"
    s = load_settings({"QT_DB_URL": url})
    assert s.db_url == url  # kept whole for the store
    for text in (repr(s), str(s), str(s.dump())):
        assert SECRET not in text
    assert s.dump()["db_url"] == (
        f"postgresql+psycopg://bot@db.internal:5432/qs?password={MASK}&sslmode=require")


@pytest.mark.parametrize(("url", "masked", "passwords"), [
    ("postgresql://bot:pw1@h/db?password=pw2&sslmode=require",
     f"postgresql://bot:{MASK}@h/db?password={MASK}&sslmode=require", ["pw1", "pw2"]),
    ("postgresql://bot:p%40ss+1@h/db", f"postgresql://bot:{MASK}@h/db",
     ["p%40ss+1", "p@ss+1", "p@ss 1"]),
    ("postgresql://h/db?sslmode=require&PASSWORD=pw3&pass%77ord=pw4",
     f"postgresql://h/db?sslmode=require&PASSWORD={MASK}&pass%77ord={MASK}", ["pw3", "pw4"]),
    ("postgresql://bot:p?q@h/db?password=a?b", f"postgresql://bot:{MASK}@h/db?password={MASK}",
     ["p?q", "a?b"]),
    ("postgresql://bot:a?password=b@h/db", "postgresql://bot:****",  # overlapping: one mask
     ["a?password=b", "b@h/db"]),
    ("sqlite:///data/quantshield.db", "sqlite:///data/quantshield.db", []),
])
def test_mask_url_and_url_passwords_find_every_password_sqlalchemy_would_use(
        url: str, masked: str, passwords: list[str]) -> None:
    assert mask_url(url) == masked
    assert url_passwords(url) == passwords


def test_secret_not_echoed_in_validation_errors() -> None:
    env = {**_everything_secret(), "QT_API_SECRET": SECRET, "QT_DASHBOARD_PASSWORD": "",
           "QT_LEVERAGE": "0"}
    err = refused(env)
    assert SECRET not in str(err)


def test_dump_has_every_setting_as_text() -> None:
    s = load_settings({})
    dump = s.dump()
    assert set(dump) == set(Settings.model_fields) - {"warnings", "unknown_env"}
    assert all(isinstance(v, str) for v in dump.values())
    assert dump["retry_buffers"] == "0.001,0.003" and dump["trailing_enabled"] == "false"


def test_settings_are_frozen() -> None:
    s = load_settings({})
    with pytest.raises(ValidationError):
        s.leverage = 50  # type: ignore[misc]
    assert s.leverage == 5
