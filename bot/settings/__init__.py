"""Settings: one validated, frozen object built from ``QT_*`` variables at start."""

from bot.settings.loader import EXTERNAL_ENV, SettingsError, load_settings
from bot.settings.model import (
    CALLBACK_RATE_MAX,
    CALLBACK_RATE_MIN,
    DEFAULT_SYMBOLS,
    MASK,
    Settings,
    env_name,
    mask_url,
)

__all__ = [
    "CALLBACK_RATE_MAX",
    "CALLBACK_RATE_MIN",
    "DEFAULT_SYMBOLS",
    "EXTERNAL_ENV",
    "MASK",
    "Settings",
    "SettingsError",
    "env_name",
    "load_settings",
    "mask_url",
]
