"""The QuantShield dashboard: a view and remote control over ``bot.control.api.ControlApi``."""

from dashboard.app import create_app, register_callbacks
from dashboard.security import BasicAuthConfig, hash_password, verify_password

__all__ = [
    "BasicAuthConfig",
    "create_app",
    "hash_password",
    "register_callbacks",
    "verify_password",
]
