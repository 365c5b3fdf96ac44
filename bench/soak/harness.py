"""Assembles one soak run: paper venue, the whole bot with its scheduler, the webhook on
loopback, the observer and the driver; then audits the venue's ledger against the bot's log.

The bot is built by the same ``bot.runtime.assembly.build`` as ``app.py``, given a
paper exchange this harness owns (so the observer and the driver can read the
venue directly). The dashboard is left out: it reads, it does not trade.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from waitress.server import create_server

from bench.soak.config import SoakConfig
from bench.soak.driver import Driver, DriverStats
from bench.soak.event_match import LostEvent, lost_events
from bench.soak.ledger_audit import AlgoFlags, LedgerAudit, audit_ledger
from bench.soak.observer import Observer, ObserverStats
from bot.domain import KillState
from bot.metrics import MetricsReport, metrics_report
from bot.paper.server import PaperExchange
from bot.runtime.assembly import build
from bot.runtime.bot import Bot
from bot.settings import Settings, load_settings
from bot.store import Store
from bot.web.webhook import register_webhook

log = logging.getLogger(__name__)

WEBHOOK_TOKEN = "soak-webhook-token"  # loopback only, a throwaway value for this run


@dataclass
class SoakOutcome:
    cfg: SoakConfig
    wall_s: float
    drive_s: float
    audit: LedgerAudit
    lost: list[LostEvent]
    observer: ObserverStats
    driver: DriverStats
    bot_metrics: MetricsReport | None
    ledger_size: int
    event_count: int
    kill_state: str
    stream: dict[str, Any] | None = None  # the bot's user-data stream at the end (None: off)


def soak_settings(cfg: SoakConfig, db_url: str) -> Settings:
    """The run's settings, as ``QT_*`` variables (what an operator would set)."""
    return load_settings({
        "QT_MODE": "paper", "QT_DB_URL": db_url, "QT_SYMBOLS": ",".join(cfg.symbol_names),
        "QT_MONITOR_INTERVAL_S": str(cfg.monitor_interval_s),
        "QT_PAPER_SPEED": str(cfg.speed), "QT_PAPER_SEED": str(cfg.seed),
        "QT_PAPER_BALANCE": str(cfg.balance), "QT_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        "QT_MAX_OPEN_POSITIONS": "200", "QT_STOP_MODE": "percent",
        "QT_STOP_PCT": str(cfg.stop_pct),
        # the automatic kill switch would (rightly) halt a bot that sees this many
        # injected faults; the soak measures protection, so it is set out of reach
        "QT_STORM_EMERGENCY_CLOSES": "1000", "QT_DAILY_LOSS_LIMIT": "1",
        "QT_LOG_LEVEL": "WARNING",
        # the venue runs without weight limits (the driver and the observer read it too):
        # the bot's own budget must not count their weight against Binance's 2400
        "QT_RATE_WEIGHT_LIMIT": "1000000000",
    })


def start_paper(settings: Settings, cfg: SoakConfig) -> PaperExchange:
    """Rate limits off: at a 1 s monitor interval the monitor alone would read ~85 weight
    a cycle (5 100 a minute, over the 2 400 budget); -1003 is injected instead.

    Automatic 418 bans off too: the venue bans after 10 answers 429 within 60 s, however
    well the client backed off, and the soak's own injected 429s reach that (a 2 000-entry
    run was banned after 54 s, then for 120, 240, 480 s: a run of refused entries that
    measures the fault schedule, not the bot). Bans are the paper venue's own tests'."""
    paper = PaperExchange(
        api_key=settings.paper_api_key, api_secret=settings.paper_api_secret.get_secret_value(),
        seed=cfg.seed, speed=cfg.speed, balance=cfg.balance, symbols=list(cfg.symbol_names),
        weight_limit=None, order_limits=False)
    paper.control.set_ban_policy(None)
    paper.start()
    return paper


def start_webhook(bot: Bot) -> tuple[Any, str]:
    c = bot.c
    app = Flask("soak-webhook")
    register_webhook(app, c.queue.submit, WEBHOOK_TOKEN, c.settings.symbols, events=c.store,
                     clock=c.clock, entry_gate=c.killswitch.entry_denial,
                     kill_state=lambda: c.killswitch.state,
                     dedupe_s=0)  # the driver's alerts are distinct by design
    server = create_server(app, host="127.0.0.1", port=0, threads=2, ident="soak")
    threading.Thread(target=server.run, name="soak-webhook", daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}/api/signals"


def algo_flags(paper: PaperExchange) -> dict[int, AlgoFlags]:
    with paper.engine.lock:
        return {a.algo_id: AlgoFlags(a.close_position, a.reduce_only, a.activate_price)
                for a in paper.engine.algos.values()}


def run_soak(cfg: SoakConfig, workdir: Path | None = None,
             prepare: Callable[[Bot], None] | None = None,
             progress: Callable[[int], None] | None = None) -> SoakOutcome:
    """``prepare`` sees the started bot before the driver does (the tests use it to break
    the bot on purpose and check that the soak notices)."""
    started = time.monotonic()
    tmp = None
    if cfg.db_url is None:
        if workdir is None:
            tmp = tempfile.TemporaryDirectory(prefix="qs-soak-")
            workdir = Path(tmp.name)
        db_url = f"sqlite:///{workdir / 'soak.db'}"
    else:
        db_url = cfg.db_url
    settings = soak_settings(cfg, db_url)
    paper = start_paper(settings, cfg)
    bot = Bot(build(settings, paper=paper))
    server = None
    try:
        bot.start(scheduler=True)
        if prepare is not None:
            prepare(bot)
        server, url = start_webhook(bot)
        grace_ms = int(bot.c.protection.config.triggering_grace_s * 1000)  # venue ms
        observer = Observer(paper.engine, cfg.observer_period_s, grace_ms)
        observer.start()
        driver = Driver(cfg, paper, bot.c.executor, bot.c.store, url, WEBHOOK_TOKEN)
        drive_started = time.monotonic()
        kill = bot.c.killswitch
        driver.run(deadline=started + cfg.max_wall_s, progress=progress,
                   halted=lambda: None if kill.state is KillState.RUNNING else kill.reason)
        drive_s = time.monotonic() - drive_started
        _settle(bot, cfg)
        obs = observer.stop()
        end_ms = paper.clock.now_ms()
        stream = stream_figures(bot)
    finally:
        if server is not None:
            server.close()
        bot.shutdown()
    try:
        with paper.engine.lock:
            ledger = [e.to_json() for e in paper.engine.ledger.since(0)]
        audit = audit_ledger(ledger, algo_flags(paper), driver.windows, end_ms, grace_ms)
        if cfg.ledger_out:
            Path(cfg.ledger_out).write_text("".join(json.dumps(e) + "\n" for e in ledger))
        store = Store(db_url)
        try:
            events = store.events()
            lost = lost_events(ledger, events)
            bot_metrics = metrics_report(store)
            kill = store.kill_state().state
        finally:
            store.close()
        return SoakOutcome(cfg, time.monotonic() - started, drive_s, audit, lost, obs,
                           driver.stats, bot_metrics, len(ledger), len(events), str(kill),
                           stream)
    finally:
        if tmp is not None:
            tmp.cleanup()


def stream_figures(bot: Bot) -> dict[str, Any] | None:
    """The bot's stream as it stands: state, reconnects, events, targeted checks."""
    live = bot.c.stream
    if live is None:
        return None
    status = live.status()
    return {"state": status.state.value, "reconnects": status.reconnects,
            "events": status.events, "last_error": status.last_error,
            "targeted_checks": live.reactor.checks if live.reactor is not None else 0}


def _settle(bot: Bot, cfg: SoakConfig) -> None:
    """Two quiet monitor cycles: closes booked, orphans cancelled, nothing left in flight."""
    time.sleep(cfg.monitor_interval_s * 2.5)
    positions = bot.c.paper.engine.account.open_symbols()  # type: ignore[attr-defined]
    if positions:
        log.warning("[SOAK] %d positions still open at the end", len(positions))

