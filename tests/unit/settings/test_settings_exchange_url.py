"""QT_EXCHANGE_URL and QT_MODE=demo: one REST base per mode, hosts only in settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.domain import Mode
from bot.settings import SettingsError, load_settings
from bot.settings.model import VENUE_URLS

ROOT = Path(__file__).resolve().parents[3]
KEYS = {"QT_API_KEY": "demo-key-123456", "QT_API_SECRET": "demo-secret-abcdef"}


def refused(env: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    return str(info.value)


@pytest.mark.parametrize(("given", "expected"), [
    ("http://127.0.0.1:8765", "http://127.0.0.1:8765/fapi"),
    ("http://127.0.0.1:8765/", "http://127.0.0.1:8765/fapi"),
    ("http://127.0.0.1:8765/fapi/", "http://127.0.0.1:8765/fapi"),
    (" https://venue.example:443/proxy ", "https://venue.example:443/proxy/fapi"),
])
def test_exchange_url_when_given_then_normalized_to_a_fapi_base(given, expected):
    assert load_settings({"QT_EXCHANGE_URL": given}).exchange_base_url == expected


@pytest.mark.parametrize(("given", "needle"), [
    ("ftp://127.0.0.1:8765", "http(s) URL"),
    ("127.0.0.1:8765", "http(s) URL"),
    ("http://key:secret@127.0.0.1:8765", "credentials"),
    ("http://127.0.0.1:8765/fapi?x=1", "query"),
    ("http://127.0.0.1:99999", "port"),
])
def test_exchange_url_when_malformed_then_refused_naming_the_variable(given, needle):
    message = refused({"QT_EXCHANGE_URL": given})
    assert "QT_EXCHANGE_URL" in message and needle in message
    assert "secret" not in message.split("QT_EXCHANGE_URL", 1)[1].split("(got")[0]


def test_paper_when_no_exchange_url_then_embedded_venue():
    s = load_settings({})
    assert s.mode is Mode.PAPER and s.exchange_base_url is None
    assert s.exchange_credentials() == ("paper-key", "paper-secret")


def test_paper_when_exchange_url_then_api_keys_win_over_paper_keys():
    s = load_settings({"QT_EXCHANGE_URL": "http://127.0.0.1:9000", **KEYS})
    assert s.exchange_credentials() == ("demo-key-123456", "demo-secret-abcdef")


@pytest.mark.parametrize("host", ["fapi.binance.com", "demo-fapi.binance.com",
                                  "testnet.binancefuture.com"])
def test_paper_when_exchange_url_is_binance_then_refused(host):
    message = refused({"QT_EXCHANGE_URL": f"https://{host}"})
    assert "QT_MODE=paper never trades there" in message


def test_demo_when_keys_and_confirmation_then_demo_host_by_default():
    s = load_settings({"QT_MODE": "demo", "QT_LIVE_CONFIRM": "yes", **KEYS})
    assert s.mode is Mode.DEMO
    assert s.exchange_base_url == "https://demo-fapi.binance.com/fapi"
    assert s.exchange_credentials() == ("demo-key-123456", "demo-secret-abcdef")


def test_demo_when_not_confirmed_or_no_keys_then_refused_like_live():
    assert "QT_MODE=demo requires QT_LIVE_CONFIRM=yes" in refused({"QT_MODE": "demo", **KEYS})
    message = refused({"QT_MODE": "demo", "QT_LIVE_CONFIRM": "yes"})
    assert "QT_API_KEY is required when QT_MODE=demo" in message


@pytest.mark.parametrize(("mode", "url"), [
    ("testnet", "https://testnet.binancefuture.com/fapi"),
    ("live", "https://fapi.binance.com/fapi"),
])
def test_binance_modes_when_no_exchange_url_then_their_host(mode, url):
    s = load_settings({"QT_MODE": mode, "QT_LIVE_CONFIRM": "yes", **KEYS})
    assert s.exchange_base_url == url


def test_keyed_mode_when_plain_http_to_another_host_then_refused_but_loopback_allowed():
    env = {"QT_MODE": "demo", "QT_LIVE_CONFIRM": "yes", **KEYS}
    assert "needs https" in refused({**env, "QT_EXCHANGE_URL": "http://venue.example:80"})
    s = load_settings({**env, "QT_EXCHANGE_URL": "http://127.0.0.1:8765"})
    assert s.exchange_base_url == "http://127.0.0.1:8765/fapi"


def test_hosts_when_grepping_the_bot_then_binance_hosts_only_in_settings_defaults():
    host = re.compile(r"[a-z0-9.-]*binance(future)?\.com")
    owners = set()
    for path in [*ROOT.joinpath("bot").rglob("*.py"), ROOT / "app.py"]:
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("bot/paper/") or rel == "bot/settings/model.py":
            continue
        if host.search(path.read_text(encoding="utf-8")):
            owners.add(rel)
    assert set(VENUE_URLS) == {Mode.TESTNET, Mode.DEMO, Mode.LIVE}
    assert owners == set(), owners
