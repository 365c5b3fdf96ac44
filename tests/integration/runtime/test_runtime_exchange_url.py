"""QT_EXCHANGE_URL: the bot on an outside Binance-compatible venue (a standalone paper
exchange here), in paper mode and in demo mode, with no embedded venue started."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal

import pytest

from bot.domain import Coverage, Direction, Mode, Signal
from bot.paper.server import PaperExchange
from bot.runtime.assembly import build
from bot.runtime.bot import Bot
from bot.settings import load_settings

KEY, SECRET = "outside-venue-key-0001", "outside-venue-secret-0002"


@pytest.fixture
def venue() -> Iterator[PaperExchange]:
    """A venue on wall time, as ``python -m bot.paper`` runs (the bot keeps wall time)."""
    exchange = PaperExchange(KEY, SECRET, seed=5, balance=Decimal("10000"), slippage_bps=0,
                             ws_port=None)
    exchange.start(host="127.0.0.1", port=0)
    try:
        yield exchange
    finally:
        exchange.stop()


def _env(tmp_path, venue: PaperExchange, **extra: str) -> dict[str, str]:
    base = venue.futures_url.removesuffix("/fapi")
    return {"QT_DB_URL": f"sqlite:///{tmp_path}/bot.db", "QT_EXCHANGE_URL": base,
            "QT_SYMBOLS": "BTCUSDT,ATOMUSDT", "QT_STREAM_ENABLED": "false", **extra}


@pytest.mark.parametrize("mode_env", [
    {"QT_PAPER_API_KEY": KEY, "QT_PAPER_API_SECRET": SECRET},
    {"QT_MODE": "demo", "QT_LIVE_CONFIRM": "yes", "QT_API_KEY": KEY, "QT_API_SECRET": SECRET},
], ids=["paper", "demo"])
def test_bot_when_exchange_url_set_then_trades_there_without_embedded_venue(
    tmp_path, venue, mode_env, caplog
) -> None:
    settings = load_settings(_env(tmp_path, venue, **mode_env))
    with caplog.at_level(logging.INFO):
        components = build(settings)
        bot = Bot(components)
        bot.start(scheduler=False)
    try:
        assert components.paper is None and components.owns_paper is False
        assert components.exchange.base_url == venue.futures_url
        assert repr(components.exchange) == f"BinanceAdapter(url={venue.futures_url!r})"
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert f"REST {venue.futures_url}" in logged and "(embedded" not in logged
        assert KEY not in logged and SECRET not in logged
        mark = components.exchange.mark_price("ATOMUSDT")
        stop = components.exchange.filters("ATOMUSDT").round_price(mark * Decimal("0.97"))
        components.queue.submit(Signal("ATOMUSDT", Direction.LONG, 0.9, "test",
                                       components.clock(), stop))
        bot.run_executor()
        bot.run_monitor()
        [view] = bot.positions()
        assert (view.symbol, view.coverage) == ("ATOMUSDT", Coverage.COVERED)
        assert set(venue.control.state()["positions"]) == {"ATOMUSDT"}
        assert settings.mode is (Mode.DEMO if "QT_MODE" in mode_env else Mode.PAPER)
    finally:
        bot.shutdown()
