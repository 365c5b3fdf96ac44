"""A replay's settings: the bot's own ``QT_*`` loader, fed only what the command line says.

The environment of the shell is not read: a replay must not pick up the live
bot's database, keys or notification URLs. The few settings that would point
a replay at something real are refused by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from bot.paper.market import INTERVAL_MS
from bot.replay.errors import ReplayInputError
from bot.settings import Settings, SettingsError, load_settings

# what the replay sets itself; naming one in --set is an error, with the reason
REFUSED: dict[str, str] = {
    "QT_MODE": "a replay always runs in paper mode",
    "QT_DB_URL": "a replay writes a fresh database in a temporary folder",
    "QT_EXCHANGE_URL": "a replay trades only on its own embedded venue",
    "QT_API_KEY": "a replay trades only on its own embedded venue",
    "QT_API_SECRET": "a replay trades only on its own embedded venue",
    "QT_LIVE_CONFIRM": "a replay trades only on its own embedded venue",
    "QT_STREAM_ENABLED": "a replay calls its jobs directly, without the user-data stream",
    "QT_STREAM_URL": "a replay calls its jobs directly, without the user-data stream",
    "QT_PAPER_REPLAY_DIR": "give the data folder with --data",
    "QT_NOTIFY_URLS": "a replay sends no notifications",
}
FORCED = {"QT_MODE": "paper", "QT_STREAM_ENABLED": "false"}
REGIME_REFRESH = "QT_REGIME_REFRESH_S"
_NAME = re.compile(r"^QT_[A-Z0-9_]+$")
_NEXT_ASSIGNMENT = re.compile(r",(?=\s*QT_[A-Za-z0-9_]+=)")


def parse_assignment(text: str, option: str = "--set") -> tuple[str, str]:
    name, sep, value = text.partition("=")
    name = name.strip().upper()
    if not sep or not _NAME.match(name):
        raise ReplayInputError(f"{option} {text!r}: expected QT_NAME=value")
    return name, value.strip()


def parse_compare(text: str) -> dict[str, str]:
    """``QT_A=1,QT_B=2``: a comma starts a new assignment only before ``QT_…=`` (so
    ``QT_SYMBOLS=BTCUSDT,ETHUSDT`` keeps its comma)."""
    return dict(parse_assignment(part, "--compare") for part in _NEXT_ASSIGNMENT.split(text))


def check_overrides(overrides: Mapping[str, str]) -> Settings:
    """Refused and unknown names, and invalid values, before any data is read."""
    return replay_settings(overrides, "sqlite://", None)


def replay_settings(overrides: Mapping[str, str], db_url: str,
                    symbols: Iterable[str] | None) -> Settings:
    for name in overrides:
        if name in REFUSED:
            raise ReplayInputError(f"{name} cannot be set for a replay: {REFUSED[name]}")
    env = {**overrides, **FORCED, "QT_DB_URL": db_url}
    if symbols is not None and "QT_SYMBOLS" not in overrides:
        env["QT_SYMBOLS"] = ",".join(symbols)
    settings = _load(env)
    if REGIME_REFRESH not in overrides:
        env[REGIME_REFRESH] = str(regime_refresh_default(settings))
        settings = _load(env)
    return settings


def regime_refresh_default(settings: Settings) -> int:
    """The replay's one default that differs from live: the regime is refreshed once per
    regime candle (at most hourly) instead of every minute. It reads closed candles only,
    so a refresh between two closes recomputes the same answer; aligned on the closes, the
    replay sees the same regime at every minute as the live cadence would."""
    return min(3600, INTERVAL_MS[str(settings.regime_interval)] // 1000)


def _load(env: dict[str, str]) -> Settings:
    try:
        settings = load_settings(env)
    except SettingsError as exc:
        raise ReplayInputError("invalid settings in --set/--compare:\n  "
                               + "\n  ".join(exc.problems)) from None
    if settings.unknown_env:
        raise ReplayInputError(f"unknown setting {', '.join(settings.unknown_env)} in "
                               "--set/--compare (no such QT_ name)")
    return settings
