"""``load_settings`` under random ``QT_*`` values for every numeric setting.

Promise checked: the result is either a valid Settings whose numbers are finite,
within their declared bounds and usable in ordinary Decimal arithmetic, or a
SettingsError whose problems name the offending variable; never another exception;
and no secret value ever appears in the error, the warnings, the log, the repr or
the dump.
"""

from __future__ import annotations

import logging
import math
import typing
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.settings import Settings, SettingsError, env_name, load_settings
from tests.fixtures.fuzz import RecordingHandler

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

SECRETS = {
    "QT_API_KEY": "APIKEY-Zq81-do-not-show",
    "QT_API_SECRET": "APISECRET-Vx93-do-not-show",
    "QT_WEBHOOK_TOKEN": "HOOKTOKEN-Kp27-do-not-show",
    "QT_DASHBOARD_PASSWORD": "DASHPASS-Mw45-do-not-show",
    "QT_PAPER_API_SECRET": "PAPERSECRET-Jt66-do-not-show",
}
BASE = {"QT_DB_URL": "sqlite:///unused.db", "QT_DASHBOARD_USER": "ops", **SECRETS}


def _numeric_fields() -> list[str]:
    out = []
    for name, info in Settings.model_fields.items():
        types = {info.annotation, *typing.get_args(info.annotation)}
        if types & {int, float, Decimal} or name == "retry_buffers":
            out.append(name)
    return sorted(out)


NUMERIC = _numeric_fields()
NUMBER_TEXT = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", " ", "nan", "NaN", "-nan", "inf", "Infinity", "-Infinity", "1e999",
                     "1e999999999", "-1e999999999", "1e-999999999", "1E+999999999",
                     "0", "-0", "0.0", "1_000", "0x10", "1,5", "1.5.", "١٢", "１２", "½",
                     "9" * 5000, "true", "None", "0.001,0.003", "0.003,0.001", "0.001,,0.002",
                     ",", "0.001,0.002,0.003,0.004,0.005,0.006", "\x00", "12abc"]),
    st.text(max_size=15),
)


def _usable(value: object) -> bool:
    """A number the bot can compute with: finite, and within Decimal's default context."""
    if isinstance(value, tuple):
        return all(_usable(v) for v in value)
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Decimal):
        try:
            return value.is_finite() and (value * 2 + 1).is_finite()
        except ArithmeticError:
            return False
    return isinstance(value, int)


def _in_bounds(name: str, value: object) -> bool:
    info = Settings.model_fields[name]
    for rule in info.metadata:
        for attr, check in (("gt", lambda v, b: v > b), ("ge", lambda v, b: v >= b),
                            ("lt", lambda v, b: v < b), ("le", lambda v, b: v <= b)):
            bound = getattr(rule, attr, None)
            if bound is not None and not check(value, bound):
                return False
    return True


def _no_secret(text: str) -> None:
    for name, secret in SECRETS.items():
        assert secret not in text, f"{name}'s value leaked into: {text[:300]}"


@pytest.fixture(scope="module")
def log_capture():
    handler = RecordingHandler()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_base_env_when_loaded_then_valid_and_secrets_hidden():
    loaded = load_settings(BASE)
    assert loaded.api_secret is not None
    assert loaded.api_secret.get_secret_value() == SECRETS["QT_API_SECRET"]
    _no_secret(repr(loaded) + str(loaded) + repr(loaded.dump()))


@FUZZ
@given(values=st.dictionaries(st.sampled_from(NUMERIC), NUMBER_TEXT, min_size=1, max_size=3))
def test_random_numeric_values_when_loaded_then_settings_or_named_error(log_capture, values):
    env = {**BASE, **{env_name(k): v for k, v in values.items()}}
    log_capture.records.clear()
    try:
        loaded = load_settings(env)
    except SettingsError as exc:
        problems = exc.problems
        assert problems and all(isinstance(p, str) and p.strip() for p in problems)
        named = {env_name(k) for k in values}
        assert all(any(n in p for n in named) for p in problems), (values, problems)
        _no_secret(str(exc))
    else:
        for name in values:
            value = getattr(loaded, name)
            assert _usable(value), f"{env_name(name)}={values[name]!r} accepted as {value!r}"
            if name != "retry_buffers" and value is not None:
                assert _in_bounds(name, value), (name, value)
        _no_secret(repr(loaded) + str(loaded) + repr(loaded.dump()) + repr(loaded.warnings))
    _no_secret("\n".join(log_capture.texts()))


@pytest.mark.parametrize("name", NUMERIC)
@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "abc", "1.2.3", "0x10"])
def test_each_numeric_setting_when_not_a_finite_number_then_refused_or_disabled(name, raw):
    env = {**BASE, env_name(name): raw}
    try:
        loaded = load_settings(env)
    except SettingsError as exc:
        assert any(p.startswith(env_name(name)) for p in exc.problems), exc.problems
        return
    # only the trailing callback rate may be accepted: it switches trailing off instead
    assert name == "trailing_callback_rate", (name, raw, getattr(loaded, name))
    assert loaded.trailing_callback_rate is None and not loaded.trailing_usable
    assert any(env_name(name) in w for w in loaded.warnings)


@pytest.mark.parametrize("raw", ["1e999999999", "1E+999999999"])
def test_absurd_paper_balance_when_loaded_then_refused(raw):
    with pytest.raises(SettingsError) as info:
        load_settings({**BASE, "QT_PAPER_BALANCE": raw})
    assert any(p.startswith("QT_PAPER_BALANCE") for p in info.value.problems)


@FUZZ
@given(field=st.sampled_from(sorted(SECRETS)), junk=NUMBER_TEXT)
def test_invalid_setting_when_secret_also_set_then_error_never_shows_the_secret(field, junk):
    """The error lists the values it got; a secret must never be among them, even when
    the secret itself is what makes the settings invalid."""
    env = {**BASE, "QT_DASH_HOST": "0.0.0.0", "QT_DASHBOARD_USER": "", "QT_LEVERAGE": junk,
           field: SECRETS[field] + junk}
    with pytest.raises(SettingsError) as info:  # the host alone refuses, junk or not
        load_settings(env)
    assert info.value.problems
    assert SECRETS[field] not in str(info.value), str(info.value)


@pytest.mark.parametrize("url", [
    "postgresql://bot:DbPass-Uu71-do-not-show@db.internal:5432/qs",
    "postgresql+psycopg://bot:DbPass-Uu71-do-not-show@db.internal/qs?sslmode=require",
])
def test_database_url_password_when_loaded_or_refused_then_never_shown(url):
    secret = "DbPass-Uu71-do-not-show"
    loaded = load_settings({**BASE, "QT_DB_URL": url})
    assert loaded.db_url == url  # kept for the store, masked everywhere it is shown
    assert secret not in repr(loaded) + str(loaded) + repr(loaded.dump())
    with pytest.raises(SettingsError) as info:
        load_settings({**BASE, "QT_DB_URL": url, "QT_LEVERAGE": "0"})
    assert secret not in str(info.value)
