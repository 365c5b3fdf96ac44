"""QT_NOTIFY_* settings: URLs validated at start, their secrets found and masked everywhere the
settings go (dump, repr, errors, the log filter), levels parsed with the always-on rule."""

from __future__ import annotations

import logging

import pytest

from bot.domain.notify import NotifyCategory, NotifyLevel, parse_levels
from bot.notify.levels import PREFIX, start_levels
from bot.runtime.logs import RedactSecrets
from bot.settings import SettingsError, load_settings
from bot.settings.notify import channel_label, notify_secrets, secret_parts, split_urls

TG_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
DISCORD_ID, DISCORD_TOKEN = "4174216298", "JHMHI8qBe7bk2ZwO5U711o3dV_js"
MAIL_PW, JSON_PW, HEADER_TOKEN = "MailPw-Qz81x", "JsonPw-Lk55t", "HdrTok-Vv3094"
URLS = {
    f"tgram://{TG_TOKEN}/987654321": (TG_TOKEN, "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"),
    f"discord://{DISCORD_ID}/{DISCORD_TOKEN}": (DISCORD_ID, DISCORD_TOKEN),
    f"mailto://alice:{MAIL_PW}@mail.example.com?to=ops@example.com": (MAIL_PW,),
    f"json://bob:{JSON_PW}@127.0.0.1:9/hook?+X-Token={HEADER_TOKEN}": (JSON_PW, HEADER_TOKEN),
}
ALL_SECRETS = [s for secrets in URLS.values() for s in secrets]


@pytest.fixture
def records():
    """Every log record of the process, before any redaction."""
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(record)

    root, keep = logging.getLogger(), Keep(level=logging.DEBUG)
    old = root.level
    root.addHandler(keep)
    root.setLevel(logging.DEBUG)
    logging.getLogger("apprise").setLevel(logging.DEBUG)
    yield seen
    root.removeHandler(keep)
    root.setLevel(old)
    logging.getLogger("apprise").setLevel(logging.NOTSET)


@pytest.mark.parametrize(("url", "secrets"), list(URLS.items()))
def test_secret_parts_when_service_url_then_every_token_found(url, secrets):
    found = secret_parts(url)
    assert set(secrets) <= set(found)
    assert "example.com" not in found and "127.0.0.1" not in found


@pytest.mark.parametrize(("url", "label"), [
    (f"tgram://{TG_TOKEN}/987654321", "tgram://****"),
    (f"discord://{DISCORD_ID}/{DISCORD_TOKEN}", "discord://****"),
    (f"mailto://alice:{MAIL_PW}@mail.example.com?to=ops@example.com", "mailto://mail.example.com"),
    ("json://127.0.0.1:8080/hook", "json://127.0.0.1:8080"),
])
def test_channel_label_when_token_is_the_host_then_masked(url, label):
    assert channel_label(url) == label


def test_split_urls_when_spaces_and_commas_then_commas_inside_a_url_kept():
    text = " tgram://a/b, discord://x/y  mailto://u:p@h?to=a@x.com,b@y.com,json://h/p "
    assert split_urls(text) == ("tgram://a/b", "discord://x/y", "mailto://u:p@h?to=a@x.com,b@y.com",
                                "json://h/p")


def test_load_when_urls_valid_then_dump_repr_and_str_hide_every_secret():
    settings = load_settings({"QT_NOTIFY_URLS": ", ".join(URLS)})
    assert len(settings.notify_urls) == 4
    shown = [str(settings.dump()), repr(settings), str(settings)]
    assert not [s for s in ALL_SECRETS if any(s in text for text in shown)]
    assert settings.dump()["notify_urls"] == "****,****,****,****"


@pytest.mark.parametrize(("value", "secret"), [
    ("tgram://123456:Secret!Token99/1", "Secret!Token99"),  # apprise logs this one verbatim
    ("tgram://AAHsecretTokenOnly", "AAHsecretTokenOnly"),
    (f"discord://{DISCORD_TOKEN}", DISCORD_TOKEN),
    ("nosuchservice://SecretHostToken", "SecretHostToken"),
])
def test_load_when_url_malformed_then_error_names_variable_and_scheme_not_secret(
        value, secret, records):
    with pytest.raises(SettingsError) as info:
        load_settings({"QT_NOTIFY_URLS": f"json://127.0.0.1:9/ok {value}"})
    [problem] = info.value.problems
    assert problem.startswith("QT_NOTIFY_URLS: URL 2") and value.split("//")[0] in problem
    assert secret not in str(info.value)
    assert not [r for r in records if secret in r.getMessage()]  # apprise was muted


def test_load_when_no_scheme_then_refused_without_echoing_it():
    with pytest.raises(SettingsError) as info:
        load_settings({"QT_NOTIFY_URLS": "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"})
    assert "no scheme://" in str(info.value) and "AAHdq" not in str(info.value)


def test_redaction_when_notify_secrets_configured_then_log_lines_masked():
    settings = load_settings({"QT_NOTIFY_URLS": " ".join(URLS)})
    redact = RedactSecrets(notify_secrets(settings.notify_urls))
    record = logging.LogRecord("apprise", logging.DEBUG, __file__, 1,
                               "Telegram POST URL: https://api.telegram.org/bot%s/sendMessage "
                               "auth=%s %s %s", (TG_TOKEN, JSON_PW, MAIL_PW, DISCORD_TOKEN), None)
    redact.filter(record)
    assert not [s for s in ALL_SECRETS if s in record.getMessage()]


@pytest.mark.parametrize(("text", "problem"), [
    ("naked=off", "QT_NOTIFY_EVENTS: naked is always on and cannot be turned off"),
    ("entry=loud", "QT_NOTIFY_EVENTS: entry: level must be on, silent or off"),
    ("bogus=on", "QT_NOTIFY_EVENTS: unknown event 'bogus'"),
    ("entry", "QT_NOTIFY_EVENTS: 'entry' is not name=level"),
])
def test_load_when_notify_events_invalid_then_refused_naming_it(text, problem):
    with pytest.raises(SettingsError) as info:
        load_settings({"QT_NOTIFY_EVENTS": text})
    assert info.value.problems[0].startswith(problem)


def test_load_when_notify_events_valid_then_normalised():
    settings = load_settings({"QT_NOTIFY_EVENTS": "Entry=ON close=silent,naked=silent"})
    assert parse_levels(settings.notify_events) == {
        NotifyCategory.ENTRY: NotifyLevel.ON, NotifyCategory.CLOSE: NotifyLevel.SILENT,
        NotifyCategory.NAKED: NotifyLevel.SILENT}


@pytest.mark.parametrize(("env", "problem"), [
    ({"QT_NOTIFY_DAILY_AT": "24:00"}, "QT_NOTIFY_DAILY_AT: must be HH:MM in UTC"),
    ({"QT_PUBLIC_URL": "ftp://x"}, "QT_PUBLIC_URL: must be an http:// or https:// URL"),
])
def test_load_when_daily_at_or_public_url_invalid_then_refused(env, problem):
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert info.value.problems[0].startswith(problem)


class FakeLevelStore:
    def __init__(self, saved: dict[str, str]) -> None:
        self.saved = saved

    def settings_with_prefix(self, prefix: str) -> dict[str, str]:
        return {k: v for k, v in self.saved.items() if k.startswith(prefix)}

    def set_setting(self, key: str, value: str, actor: str) -> None:
        self.saved[key] = value


def test_start_levels_when_dashboard_saved_then_it_wins_over_env_but_not_always_on():
    store = FakeLevelStore({PREFIX + "entry": "silent", PREFIX + "naked": "off",
                            PREFIX + "junk": "on"})
    levels = start_levels({NotifyCategory.ENTRY: NotifyLevel.ON}, daily_at_set=True, store=store)
    assert levels == {NotifyCategory.DAILY: NotifyLevel.ON,
                      NotifyCategory.ENTRY: NotifyLevel.SILENT}
