"""Reading ``QT_*`` variables into a Settings object, with errors that name the variable."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from bot.settings.model import ENV_PREFIX, INTERNAL_FIELDS, Settings, env_name

log = logging.getLogger(__name__)

# Read elsewhere (the opt-in testnet contract tests), so not "unknown".
EXTERNAL_ENV = frozenset({"QT_TESTNET_API_KEY", "QT_TESTNET_API_SECRET"})


class SettingsError(ValueError):
    """The settings refuse to start the bot; ``problems`` holds one line per bad variable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid settings:\n  " + "\n  ".join(self.problems))


def _field_envs() -> dict[str, str]:
    return {
        env_name(field): field for field in Settings.model_fields if field not in INTERNAL_FIELDS
    }


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Validate the ``QT_*`` variables of ``env`` (default ``os.environ``); raise SettingsError.

    Empty values count as unset. Unknown ``QT_*`` names do not stop the bot:
    they are listed in ``settings.unknown_env`` and ``settings.warnings``.
    """
    source = os.environ if env is None else env
    known = _field_envs()
    values: dict[str, Any] = {}
    unknown: list[str] = []
    for name, raw in source.items():
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX):
            continue
        if upper in known:
            if raw is not None and str(raw).strip() != "":
                values[known[upper]] = str(raw).strip()
        elif upper not in EXTERNAL_ENV:
            unknown.append(name)
    unknown.sort()
    values["unknown_env"] = tuple(unknown)
    values["warnings"] = tuple(f"unknown setting {n} ignored" for n in unknown)
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        raise SettingsError(_problems(exc, values)) from None
    for warning in settings.warnings:
        log.warning("[CONFIG] %s", warning)
    return settings


def _problems(exc: ValidationError, values: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = err.get("loc") or ()
        message = str(err.get("msg", "invalid"))
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        field = str(loc[0]) if loc else ""
        if field in Settings.model_fields:
            shown = _shown(field, values)
            problems.append(f"{env_name(field)}: {message}{shown}")
        else:
            problems.extend(message.split("; "))
    return problems


def _shown(field: str, values: Mapping[str, Any]) -> str:
    if field not in values:
        return ""
    annotation = str(Settings.model_fields[field].annotation)
    if "Secret" in annotation:
        return ""
    return f" (got {values[field]!r})"
