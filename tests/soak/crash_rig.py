"""The crash rig: a paper exchange in the test process, the bot in a subprocess to SIGKILL.

The bot runs ``python -m bench.soak.runner`` pointed at the venue's URL, with a
real SQLite file, so a restart meets the same database (kill switch, trades,
lease, events) and the same exchange state.
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bench.soak.coverage import covered, full_covers
from bench.soak.ledger_audit import AlgoFlags, LedgerAudit, audit_ledger
from bench.soak.observer import venue_snapshot
from bot.paper.server import PaperExchange

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET = "crash-key", "crash-secret"
TOKEN = "crash-webhook-token"
SPEED = 20.0  # the dead process's lease (30 venue-seconds) expires in 1.5 wall seconds
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_venue() -> PaperExchange:
    """Rate limits off: the 1 s monitor cycle reads ~85 weight (the real interval is 10 s)."""
    paper = PaperExchange(KEY, SECRET, seed=5, speed=SPEED, weight_limit=None,
                          order_limits=False)
    paper.start()
    return paper


@dataclass
class BotProcess:
    proc: subprocess.Popen
    webhook: str
    log: Path
    reader: threading.Thread

    def kill(self) -> None:
        """SIGKILL: no shutdown, no lease release, requests in flight abandoned."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        self.reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def start_bot(paper: PaperExchange, db_url: str, log: Path, timeout: float = 60.0) -> BotProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
    env.update({
        "QT_MODE": "paper", "QT_DB_URL": db_url, "QT_SYMBOLS": ",".join(SYMBOLS),
        "QT_MONITOR_INTERVAL_S": "1", "QT_WEBHOOK_TOKEN": TOKEN,
        "QT_DASH_PORT": str(free_port()), "QT_PAPER_API_KEY": KEY,
        "QT_PAPER_API_SECRET": SECRET, "QT_PAPER_SPEED": str(SPEED),
        "QT_STOP_MODE": "percent", "QT_STOP_PCT": "0.01", "QT_LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
    })
    with log.open("a") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.soak.runner", "--paper-url", paper.url,
             "--speed", str(SPEED)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while True:
            line = lines.get(timeout=timeout)
            if line.startswith("READY "):
                return BotProcess(proc, line.split()[1], log, reader)
    except queue.Empty:
        BotProcess(proc, "", log, reader).kill()
        raise AssertionError(f"bot did not start; log:\n{log.read_text()[-3000:]}") from None


def ledger(paper: PaperExchange) -> list[dict]:
    return [e.to_json() for e in paper.control.ledger(0)]


def audit(paper: PaperExchange) -> LedgerAudit:
    with paper.engine.lock:
        flags = {a.algo_id: AlgoFlags(a.close_position, a.reduce_only, a.activate_price)
                 for a in paper.engine.algos.values()}
    return audit_ledger(ledger(paper), flags, end_ms=paper.clock.now_ms())


def coverage(paper: PaperExchange) -> dict[str, tuple[Decimal, bool, int]]:
    """Per open position: signed amount, covered (with the mark check), full covers."""
    amounts, stops, marks = venue_snapshot(paper.engine)
    out = {}
    for symbol, amount in amounts.items():
        mine = [s for s in stops if s.symbol == symbol]
        out[symbol] = (amount, covered(amount, mine, marks[symbol]),
                       len(full_covers(amount, mine, marks[symbol])))
    return out


def client_actions(paper: PaperExchange, since_id: int, action: str, book: str = "algo",
                   symbol: str | None = None) -> list[dict]:
    return [e for e in ledger(paper) if e["id"] > since_id and e["actor"] == "client"
            and e["action"] == action and e["book"] == book
            and (symbol is None or e["symbol"] == symbol)]
