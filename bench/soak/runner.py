"""``python -m bench.soak.runner --paper-url URL --speed S``: the bot alone, in its own
process, against a paper exchange that runs somewhere else.

The crash tests need the bot in a process they can SIGKILL while the venue (and
its ledger) lives on in theirs. ``app.py`` always starts its own embedded venue,
so this runner builds the bot the same way (``bot.runtime.assembly.build``,
settings from the ``QT_*`` environment) but hands it a ``RemotePaper``: the
venue's URL, and a clock that runs at the venue's speed from the venue's time.
It serves the webhook (``POST /api/signals``) on ``QT_DASH_PORT`` and prints
``READY <webhook url>`` once the bot has reconciled. A restart finds the dead
process's lease; it waits for the lease to expire, as a supervisor would.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time

import requests
from flask import Flask
from waitress.server import create_server

from bot.paper.clock import SpeedClock
from bot.reconcile import LeaseHeldError
from bot.runtime.assembly import build
from bot.runtime.bot import Bot
from bot.settings import SettingsError, load_settings
from bot.web.webhook import register_webhook

log = logging.getLogger("bench.soak.runner")


class RemotePaper:
    """What ``build`` needs of a paper venue it does not own: its URL and its time."""

    def __init__(self, base_url: str, speed: float) -> None:
        self.url = base_url.rstrip("/")
        state = requests.get(f"{self.url}/paper/v1/state", timeout=5).json()
        self.clock = SpeedClock(speed, start_ms=int(state["time"]))
        self.ws_url = str(state.get("wsUrl") or "")  # the venue's user-data stream

    @property
    def futures_url(self) -> str:
        return self.url + "/fapi"

    def stop(self) -> None:
        """The venue is not ours to stop."""


def start_bot(paper: RemotePaper, wait_lease_s: float) -> Bot:
    settings = load_settings()
    deadline = time.monotonic() + wait_lease_s
    while True:
        bot = Bot(build(settings, paper=paper))
        try:
            bot.start(scheduler=True)
            return bot
        except LeaseHeldError as exc:
            bot.c.store.close()
            if time.monotonic() >= deadline:
                raise
            log.warning("[LEASE] %s - waiting for it to expire", exc)
            time.sleep(0.25)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.soak.runner")
    p.add_argument("--paper-url", required=True)
    p.add_argument("--speed", type=float, required=True, help="the venue's clock speed")
    p.add_argument("--wait-lease-s", type=float, default=60.0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        bot = start_bot(RemotePaper(args.paper_url, args.speed), args.wait_lease_s)
    except SettingsError as exc:
        print("invalid settings: " + "; ".join(exc.problems), file=sys.stderr)
        return 2
    except LeaseHeldError as exc:
        print(f"lease held: {exc}", file=sys.stderr)
        return 3
    c = bot.c
    app = Flask("soak-runner")
    token = c.settings.webhook_token.get_secret_value() if c.settings.webhook_token else None
    register_webhook(app, c.queue.submit, token, c.settings.symbols, events=c.store,
                     clock=c.clock, entry_gate=c.killswitch.entry_denial,
                     kill_state=lambda: c.killswitch.state,
                     dedupe_s=0)  # the driver's alerts are distinct by design
    server = create_server(app, host="127.0.0.1", port=c.settings.dash_port, threads=2,
                           ident="soak-runner")
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=server.run, name="runner-webhook", daemon=True).start()
    print(f"READY http://127.0.0.1:{server.effective_port}/api/signals", flush=True)
    done.wait()
    server.close()
    bot.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
