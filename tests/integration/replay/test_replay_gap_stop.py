"""A gap through a stop: the venue fills it at the gapped open (plus slippage), not at the
trigger, and the bot books that loss: the trade's exit and PnL are the gap's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.domain import Direction, Signal
from bot.replay.data import Window
from bot.replay.session import ReplayConfig, ReplaySession
from bot.replay.synthetic import Walk, write_symbol

FIRST = date(2026, 1, 1)
DAY3 = date(2026, 1, 3)
DAY3_MS = int(datetime(2026, 1, 3, tzinfo=UTC).timestamp() * 1000)
GAP_MS = DAY3_MS + 6 * 3_600_000  # 06:00 on the replayed day
ENTRY_MS = GAP_MS - 3_600_000
STOP = Decimal("2950.00")
GAP_OPEN = Decimal("2900.00")
SLIPPAGE_BPS = Decimal("2")


@pytest.fixture()
def gap_data(tmp_path):
    """ETHUSDT quiet around 3000 until 06:00 of day 3, whose bar opens at 2900: 50 below
    the stop, with no minute in between."""
    write_symbol(tmp_path, "BTCUSDT", FIRST, 3, seed=1)
    write_symbol(tmp_path, "ETHUSDT", FIRST, 3, seed=2,
                 walk=Walk(price=3000.0, decimals=2, vol=0.00003, drift=0.0))
    _rewrite_with_gap(tmp_path / "ETHUSDT-1m-2026-01.csv", GAP_MS, GAP_OPEN)
    return tmp_path


def _rewrite_with_gap(path, gap_ms, gap_open):
    """From ``gap_ms`` on, every price is scaled so that bar opens exactly at ``gap_open``."""
    header, *rows = path.read_text().splitlines()
    out = [header]
    scale = None
    for line in rows:
        cells = line.split(",")
        if int(cells[0]) >= gap_ms:
            if scale is None:
                scale = gap_open / Decimal(cells[1])
            for i in (1, 2, 3, 4):
                cells[i] = str((Decimal(cells[i]) * scale).quantize(Decimal("0.01")))
        out.append(",".join(cells))
    path.write_text("\n".join(out) + "\n")


def _session(data, slippage=SLIPPAGE_BPS) -> ReplaySession:
    # daily strategy candles: no strategy signal in three days, only the test's own
    return ReplaySession(ReplayConfig(data, Window(DAY3, DAY3), {
        "QT_SYMBOLS": "ETHUSDT", "QT_STRATEGY_INTERVAL": "1d",
        "QT_PAPER_SLIPPAGE_BPS": str(slippage)}))


@pytest.mark.parametrize("slippage", [Decimal("0"), SLIPPAGE_BPS])
def test_replay_when_price_gaps_through_a_stop_then_loss_is_booked_at_the_gapped_open(
        gap_data, slippage):
    with _session(gap_data, slippage) as session:
        session.start()
        c = session.components
        while session.now_ms < ENTRY_MS:
            session.step()
        c.queue.submit(Signal("ETHUSDT", Direction.LONG, 0.9, "test", c.clock(),
                              stop_price=STOP, id="gap-long"))
        session.step()  # the executor opens it, its stop goes on the venue at once
        [trade] = c.store.open_trades()
        assert trade.stop_price == STOP
        while session.now_ms <= GAP_MS + 60_000:
            session.step()
        [closed] = c.store.trades(limit=5, closed_only=True)
        [fired] = [e for e in session.venue.engine.ledger.since(0)
                   if e.action == "TRIGGERED" and e.type == "STOP_MARKET"]

    assert closed.close_reason == "stop"
    assert fired.time_ms == GAP_MS and Decimal(fired.details["last"]) == GAP_OPEN
    # the fill is the gapped open moved against the seller by at most the slippage, never
    # the trigger: 50 USDT below the stop
    floor = GAP_OPEN * (1 - slippage / 10_000) - Decimal("0.01")
    assert floor <= closed.exit_price <= GAP_OPEN
    assert closed.exit_price < STOP - 49
    loss_at_trigger = closed.quantity * (closed.entry_price - STOP)
    loss_at_fill = closed.quantity * (closed.entry_price - closed.exit_price)
    assert abs(-closed.pnl_usdt - (loss_at_fill + closed.fees_usdt)) < Decimal("1e-6")
    assert -closed.pnl_usdt > loss_at_trigger + closed.quantity * 49
