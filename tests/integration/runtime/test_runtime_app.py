"""The assembled app: webhook -> filter -> executor -> paper exchange -> monitor -> snapshot,
the kill switch across a restart, FLATTEN, and no exchange request from the dashboard side."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app import make_dash
from bot.domain import Coverage, EventKind, KillAction, KillState
from bot.runtime.assembly import build
from bot.runtime.bot import Bot
from bot.runtime.control import BotControl
from bot.settings import load_settings
from tests.fixtures.paper import API_KEY, API_SECRET

TOKEN = "hook-token-123"


def settings_for(tmp_path, **extra):
    env = {
        "QT_DB_URL": f"sqlite:///{tmp_path}/bot.db",
        "QT_PAPER_API_KEY": API_KEY,
        "QT_PAPER_API_SECRET": API_SECRET,
        "QT_WEBHOOK_TOKEN": TOKEN,
        "QT_SYMBOLS": "BTCUSDT,ETHUSDT,ATOMUSDT,XRPUSDT",
    }
    env.update(extra)
    return load_settings(env)


def start_bot(tmp_path, paper, **extra) -> Bot:
    bot = Bot(build(settings_for(tmp_path, **extra), paper=paper))
    bot.start(scheduler=False)
    return bot


def post_signal(client, symbol, side, confidence=0.9, **fields):
    body = {"symbol": symbol, "side": side, "confidence": confidence, **fields}
    return client.post("/api/signals", json=body, headers={"X-QT-Token": TOKEN})


@pytest.fixture
def bot(tmp_path, paper_exchange):
    bot = start_bot(tmp_path, paper_exchange)
    yield bot
    bot.shutdown()


def test_webhook_signal_when_allowed_then_position_covered_on_exchange(bot, paper_exchange):
    client = make_dash(bot).server.test_client()
    resp = post_signal(client, "ATOMUSDT", "BUY")
    assert resp.status_code == 202, resp.get_json()
    bot.run_executor()
    bot.run_monitor()
    snap = BotControl(bot).snapshot()
    [view] = snap.positions
    assert (view.symbol, view.coverage) == ("ATOMUSDT", Coverage.COVERED)
    assert view.stop_trigger is not None and view.stop_trigger < view.mark_price
    assert view.working_type == "MARK_PRICE"
    state = paper_exchange.control.state()
    assert set(state["positions"]) == {"ATOMUSDT"}
    assert state["openAlgoOrders"] == 1
    assert snap.kpis.open_positions == 1 and snap.kpis.covered_positions == 1


def test_snapshot_and_chart_when_polled_then_no_exchange_request(bot):
    client = make_dash(bot).server.test_client()
    post_signal(client, "ETHUSDT", "BUY")
    bot.run_executor()
    bot.run_monitor()
    control = BotControl(bot)
    before = bot.c.exchange.request_count
    for _ in range(5):
        control.snapshot()
        control.chart("ETHUSDT")
        assert client.get("/").status_code == 200
    assert bot.c.exchange.request_count == before


def test_halt_when_bot_restarts_then_still_halted_and_no_entry(tmp_path, paper_exchange):
    bot = start_bot(tmp_path, paper_exchange)
    result = BotControl(bot).kill_switch(KillAction.HALT, "operator", "test")
    assert result.ok
    bot.shutdown()

    again = start_bot(tmp_path, paper_exchange)
    try:
        assert again.c.killswitch.state == KillState.HALTED
        client = make_dash(again).server.test_client()
        refused = post_signal(client, "ATOMUSDT", "BUY")
        assert refused.status_code == 409 and refused.get_json()["error"] == "halted"
        again.run_executor()
        assert paper_exchange.control.state()["positions"] == {}
    finally:
        again.shutdown()


def test_flatten_when_positions_open_then_closed_before_stops_cancelled(bot, paper_exchange):
    client = make_dash(bot).server.test_client()
    post_signal(client, "ATOMUSDT", "BUY")
    post_signal(client, "XRPUSDT", "BUY")
    bot.run_executor()
    bot.run_monitor()
    assert len(paper_exchange.control.state()["positions"]) == 2
    for symbol in ("ATOMUSDT", "XRPUSDT"):  # mark apart from last: the exit must be the fill
        last = Decimal(paper_exchange.control.state()["prices"][symbol]["last"])
        paper_exchange.control.set_price(symbol, last, mark=last * Decimal("1.01"))
    ledger_start = len(paper_exchange.control.ledger())

    assert BotControl(bot).kill_switch(KillAction.FLATTEN, "operator", "test").ok
    bot.run_monitor()

    assert paper_exchange.control.state()["positions"] == {}
    assert bot.c.killswitch.state == KillState.HALTED
    entries = paper_exchange.control.ledger()[ledger_start:]
    for symbol in ("ATOMUSDT", "XRPUSDT"):
        close_fill = max(e.id for e in entries if e.symbol == symbol and e.book == "order"
                         and e.action == "FILLED")
        gone = [e.id for e in entries if e.symbol == symbol and e.book == "algo"
                and e.action in ("CANCELED", "EXPIRED")]
        assert gone and min(gone) > close_fill
        fill = next(e for e in entries if e.id == close_fill)
        [closed] = bot.c.store.events(kinds=[EventKind.POSITION_CLOSED], symbol=symbol)
        assert closed.details["reason"] == "flatten"
        assert Decimal(str(closed.details["exit_price"])) == Decimal(fill.price)


def test_second_bot_when_same_account_and_database_then_refuses(tmp_path, paper_exchange, bot):
    from bot.reconcile import LeaseHeldError

    other = Bot(build(settings_for(tmp_path), paper=paper_exchange))
    with pytest.raises(LeaseHeldError):
        other.start(scheduler=False)
    other.c.store.close()


def test_scheduler_when_running_then_monitor_cycles(tmp_path, paper_exchange):
    bot = Bot(build(settings_for(tmp_path, QT_MONITOR_INTERVAL_S="1"), paper=paper_exchange))
    bot.start(scheduler=True)
    try:
        from tests.fixtures.paper import eventually

        first = bot.last_cycle_at()
        paper_exchange.control.advance(5_000)
        assert eventually(lambda: bot.last_cycle_at() != first, timeout=10)
    finally:
        bot.shutdown()
    assert bot.status == "stopped"


def test_equity_when_rollup_then_recorded(bot):
    bot.rollup()
    curve = bot.c.store.equity_curve()
    assert curve and curve[-1].equity == Decimal("10000")


def test_the_whole_bot_on_postgresql_trades_restarts_and_holds_its_lease(
    tmp_path, paper_exchange, postgres_url,
):
    bot = start_bot(tmp_path, paper_exchange, QT_DB_URL=postgres_url)
    try:
        client = make_dash(bot).server.test_client()
        assert post_signal(client, "ATOMUSDT", "BUY").status_code == 202
        bot.run_executor()
        bot.run_monitor()
        bot.rollup()
        [view] = BotControl(bot).snapshot().positions
        assert view.coverage is Coverage.COVERED
        assert BotControl(bot).kill_switch(KillAction.HALT, "operator", "pg").ok
        other = Bot(build(settings_for(tmp_path, QT_DB_URL=postgres_url), paper=paper_exchange))
        from bot.reconcile import LeaseHeldError

        with pytest.raises(LeaseHeldError):
            other.start(scheduler=False)
        other.c.store.close()
    finally:
        bot.shutdown()

    again = start_bot(tmp_path, paper_exchange, QT_DB_URL=postgres_url)
    try:
        store = again.c.store
        assert store.engine.dialect.name == "postgresql"
        assert again.c.killswitch.state == KillState.HALTED
        [trade] = store.open_trades()
        assert (trade.symbol, trade.direction.value) == ("ATOMUSDT", "LONG")
        assert store.events(kinds=[EventKind.STOP_PLACED], symbol="ATOMUSDT")
        assert not store.events(kinds=[EventKind.POSITION_ADOPTED])  # known trade: nothing to adopt
        assert store.equity_curve()
    finally:
        again.shutdown()


def test_lease_lost_when_signals_arrive_then_no_entry_at_all(bot, paper_exchange):
    from datetime import timedelta

    cfg = bot.c.protection.config
    later = bot.c.clock() + timedelta(seconds=cfg.lease_ttl_s + 1)
    assert bot.c.store.acquire_lease(cfg.account, "another-process", 60, later)
    bot.run_monitor()  # the renewal finds the lease gone
    assert not bot.c.reconciler.held and bot.status == "error"
    client = make_dash(bot).server.test_client()
    assert post_signal(client, "ATOMUSDT", "BUY").status_code == 202
    bot.run_executor()
    bot.run_strategy()
    bot.run_executor()
    assert paper_exchange.control.state()["positions"] == {}
    assert len(bot.c.queue) == 0


def test_opposite_signal_when_a_position_is_open_then_denied_and_position_untouched(
    bot, paper_exchange,
):
    client = make_dash(bot).server.test_client()
    assert post_signal(client, "ATOMUSDT", "BUY").status_code == 202
    bot.run_executor()
    held = paper_exchange.control.state()["positions"]
    assert set(held) == {"ATOMUSDT"}
    assert post_signal(client, "ATOMUSDT", "SELL").status_code == 202  # a TradingView "exit"
    bot.run_executor()
    bot.run_monitor()
    assert paper_exchange.control.state()["positions"] == held
    [denied] = bot.c.store.events(kinds=[EventKind.DECISION_DENIED], symbol="ATOMUSDT")
    assert denied.details["rule"] == "opposite_position"
    [view] = BotControl(bot).snapshot().positions
    assert view.coverage is Coverage.COVERED
    assert [t.direction.value for t in bot.c.store.open_trades()] == ["LONG"]
