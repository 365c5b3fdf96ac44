"""Text for numbers, ages and times as the operator reads them; no Dash here.

Prices and quantities are rounded for display: to the symbol's precision when
the view carries it, otherwise to a number of decimals derived from the
magnitude (7 significant digits, at most 8 decimals), with thousands
separators. Times are the bot's, shown in UTC; ``utc_attrs`` gives the element
attributes from which ``assets/qs-localtime.js`` adds the local time on hover.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DASH = "—"
MINUS = "−"  # U+2212: as wide as "+", so signed columns line up
SIGNIFICANT = 7
MAX_DECIMALS = 8


def fmt_decimal(value: Decimal | None) -> str:
    """A Decimal as plain digits (never ``1E+2``), trailing zeros dropped."""
    if value is None:
        return DASH
    text = format(value.normalize(), "f")
    return text


def fmt_signed(value: Decimal | None, places: int = 2) -> str:
    """``+1,234.50`` / ``−0.40``: the sign always shown, thousands separated."""
    if value is None:
        return DASH
    rounded = _rounded(value, places)
    if rounded.is_zero():
        return format(abs(rounded), ",f")
    return format(rounded, "+,f").replace("-", MINUS)


def fmt_pct(value: float | None, places: int = 2) -> str:
    return DASH if value is None else f"{value:.{places}f}%"


def fmt_signed_pct(value: float | None, places: int = 2) -> str:
    """A result in percent that keeps its sign: ``+0.60%`` is a win, ``−0.74%`` a loss."""
    if value is None:
        return DASH
    text = f"{value:+.{places}f}"
    if float(text) == 0:
        return f"{0:.{places}f}%"
    return text.replace("-", MINUS) + "%"


def display_decimals(value: Decimal, *, significant: int = SIGNIFICANT, minimum: int = 0) -> int:
    """Decimals that show ``significant`` digits of ``value``: 96325.64 → 2, 2.534 → 6."""
    if not value.is_finite() or value.is_zero():
        return minimum
    integer_digits = value.adjusted() + 1  # 96325.6 → 5; 0.00123 → -2
    return max(minimum, min(MAX_DECIMALS, significant - integer_digits))


def fmt_price(value: Decimal | None, decimals: int | None = None) -> str:
    """A price: to the symbol's ``decimals`` when known, else 7 significant digits (≥ 2 dp)."""
    return _fmt_number(value, decimals, min_places=2)


def fmt_qty(value: Decimal | None, decimals: int | None = None) -> str:
    """A quantity: to the symbol's step ``decimals`` when known, else trailing zeros dropped."""
    return _fmt_number(value, decimals, min_places=0)


@functools.lru_cache(maxsize=16384)
def _fmt_number(value: Decimal | None, decimals: int | None, *, min_places: int) -> str:
    """Cached: a poll formats thousands of prices, most of them the same as the last poll's
    (entries, stops, take-profits). Equal Decimals (2.5, 2.50) give the same text."""
    if value is None:
        return DASH
    if not value.is_finite():
        return str(value)
    if decimals is not None:
        return _grouped(_rounded(value, max(0, min(MAX_DECIMALS, decimals))))
    rounded = _rounded(value, display_decimals(value, minimum=min_places))
    if rounded.is_zero():
        return _grouped(Decimal(0).quantize(Decimal(1).scaleb(-min_places)))
    exponent = rounded.normalize().as_tuple().exponent
    places = max(min_places, -int(exponent))  # trailing zeros dropped down to min_places
    return _grouped(rounded.quantize(Decimal(1).scaleb(-places)))


def _grouped(value: Decimal) -> str:
    return format(abs(value) if value.is_zero() else value, ",f")


def _rounded(value: Decimal, places: int) -> Decimal:
    try:
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the context holds: already precise enough
        return value


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
    """Seconds from ``then`` to ``now`` (the snapshot's clock, never the wall clock)."""
    return None if then is None else (as_utc(now) - as_utc(then)).total_seconds()


def as_utc(at: datetime) -> datetime:
    """A naive time is the bot's UTC; an aware one is converted."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def fmt_time(at: datetime | None) -> str:
    """``HH:MM:SS`` in UTC (the label "UTC" is where the times are listed)."""
    return DASH if at is None else as_utc(at).strftime("%H:%M:%S")


def fmt_time_utc(at: datetime | None) -> str:
    return DASH if at is None else f"{fmt_time(at)} UTC"


def utc_attrs(at: datetime | None) -> dict[str, str]:
    """Attributes of an element showing ``at``: the browser adds the local time as its title."""
    if at is None:
        return {}
    return {"data-utc": as_utc(at).isoformat().replace("+00:00", "Z")}


def plot_time(at: datetime) -> str:
    """A time for plotly's axes: UTC without an offset (plotly has no time zones)."""
    return as_utc(at).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def fmt_money(value: Decimal | None) -> str:
    return DASH if value is None else format(value, ",.2f")


def fmt_datetime(at: datetime | None) -> str:
    """``2026-01-05 12:00:00`` in UTC: for lists that span days (the books)."""
    return DASH if at is None else as_utc(at).strftime("%Y-%m-%d %H:%M:%S")


def fmt_duration(seconds: float | None) -> str:
    """How long something lasted, to the second under an hour: ``9s``, ``4m 05s``, ``2h 10m``."""
    return fmt_age(seconds)


def fmt_r(value: Decimal | None) -> str:
    """An R multiple: ``+1.50R`` / ``−1.00R``."""
    return DASH if value is None else fmt_signed(value, 2) + "R"
