"""Outbound notifications through apprise: red flags and kill-switch changes to the operator's
phone, on their own threads, never in the way of protection."""

from bot.notify.build import build_notifier
from bot.notify.catalog import ROUTES, route
from bot.notify.channel import Channel, DeliveryPolicy
from bot.notify.levels import save_level
from bot.notify.notifier import Notifier, NotifyConfig

__all__ = [
    "ROUTES", "Channel", "DeliveryPolicy", "Notifier", "NotifyConfig",
    "build_notifier", "route", "save_level",
]
