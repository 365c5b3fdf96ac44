"""Deterministic client ids: the same position and purpose always give the same id.

A retry or a restart that re-sends a stop reuses its id, so the exchange (or
the reconciliation that queries it) can tell "already placed" from "missing".
Format ``qs-<purpose>-<symbol>-<key>-<seq>``, within Binance's
``^[\\.A-Z\\:/a-z0-9_-]{1,36}$``. Binance lists symbols that are not ASCII
(e.g. ``币安人生USDT``) and the monitor protects positions on any symbol, so a symbol
that is not short uppercase ASCII (``[A-Z0-9_]``, at most 14 once ``USDT`` is dropped) is
replaced by a tag hashed from it: ``x`` and 8 lowercase hex digits, which no real symbol
looks like, stable across restarts.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.domain.model import Purpose

PREFIX = "qs"
_ALLOWED = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
# kept as written (as before: BTC, 1000PEPE, BTCUSDT_250627); ids stay <= 36 to a 4-digit seq
_PLAIN_SYMBOL = re.compile(r"^[A-Z0-9_]{1,14}$")
_HASHED_SYMBOL = re.compile(r"^x[0-9a-f]{8}$")  # what a parsed id hands back: kept as is


@dataclass(frozen=True)
class ClientId:
    purpose: Purpose
    symbol: str
    key: str
    seq: int

    def __str__(self) -> str:
        return f"{PREFIX}-{self.purpose.value}-{_short_symbol(self.symbol)}-{self.key}-{self.seq}"


def position_key(symbol: str, opened_ms: int) -> str:
    """A short stable key for one position's life, from its symbol and opening time."""
    return hashlib.sha1(f"{symbol}:{opened_ms}".encode()).hexdigest()[:10]


def make(purpose: Purpose, symbol: str, key: str, seq: int = 0) -> str:
    cid = str(ClientId(purpose, symbol, key, seq))
    if not _ALLOWED.match(cid):
        raise ValueError(f"client id {cid!r} breaks Binance's format")
    return cid


def parse(client_id: str) -> ClientId | None:
    """The parts of one of our ids; None for ids the bot did not make."""
    parts = client_id.split("-")
    if len(parts) != 5 or parts[0] != PREFIX:
        return None
    try:
        return ClientId(Purpose(parts[1]), parts[2], parts[3], int(parts[4]))
    except ValueError:
        return None


def _short_symbol(symbol: str) -> str:
    short = symbol[:-4] if symbol.endswith("USDT") and len(symbol) > 4 else symbol
    if _PLAIN_SYMBOL.match(short) or _HASHED_SYMBOL.match(short):
        return short
    return "x" + hashlib.sha1(symbol.encode("utf-8")).hexdigest()[:8]
