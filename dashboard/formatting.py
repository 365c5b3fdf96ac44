"""Text for numbers, ages and times as the operator reads them; no Dash here."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

DASH = "—"


def fmt_decimal(value: Decimal | None) -> str:
    """A Decimal as plain digits (never ``1E+2``), trailing zeros dropped."""
    if value is None:
        return DASH
    text = format(value.normalize(), "f")
    return text


def fmt_signed(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return DASH
    quant = Decimal(1).scaleb(-places)
    return f"{value.quantize(quant):+f}"


def fmt_pct(value: float | None, places: int = 2) -> str:
    return DASH if value is None else f"{value:.{places}f}%"


def fmt_ratio_pct(value: float | None) -> str:
    """A 0..1 rate as a percentage."""
    return DASH if value is None else f"{value * 100:.1f}%"


def fmt_age(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def fmt_age_minutes(seconds: float | None) -> str:
    """An age to the minute, so a table of ages does not change every second."""
    if seconds is None:
        return DASH
    s = max(0, int(seconds))
    if s < 60:
        return "<1m"
    if s < 3600:
        return f"{s // 60}m"
    return fmt_age(s)


def age_seconds(then: datetime | None, now: datetime) -> float | None:
    return None if then is None else (now - then).total_seconds()


def fmt_time(at: datetime | None) -> str:
    return DASH if at is None else at.strftime("%H:%M:%S")


def fmt_money(value: Decimal | None) -> str:
    return DASH if value is None else format(value, ",.2f")
