"""QuantShield: one process with the bot, its scheduler, the paper exchange (paper mode)
and the Dash dashboard.

Run ``make run`` (or ``python app.py``). Production: run this file as a single
process (waitress with threads, which is what it uses); never several workers,
and never under a reloader: one scheduler per process is enforced, and the
database lease stops a second process from managing the same account.
"""

from __future__ import annotations

import gc
import logging
import signal
import sys
import threading

from waitress.server import create_server

from bot.reconcile import StartRefusedError
from bot.runtime.assembly import build
from bot.runtime.bot import Bot
from bot.runtime.control import BotControl
from bot.runtime.logs import RingBufferHandler, configure_logging
from bot.runtime.notify_control import NotificationControl
from bot.settings import Settings, SettingsError, load_settings
from bot.settings.model import url_passwords
from bot.settings.notify import notify_secrets
from bot.web.webhook import PATH as WEBHOOK_PATH
from bot.web.webhook import register_webhook
from dashboard.app import create_app
from dashboard.security import BasicAuthConfig, hash_password

log = logging.getLogger("quantshield")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def secrets_of(settings: Settings) -> list[str]:
    values = [settings.paper_api_secret.get_secret_value()]
    for secret in (settings.api_secret, settings.api_key, settings.webhook_token,
                   settings.dashboard_password):
        if secret is not None:
            values.append(secret.get_secret_value())
    return values + url_passwords(settings.db_url) + notify_secrets(settings.notify_urls)


def make_dash(bot: Bot):
    """The Dash app over the bot's control API, with the webhook on the same server."""
    s = bot.c.settings
    auth = None
    if s.dashboard_user and s.dashboard_password:
        auth = BasicAuthConfig(s.dashboard_user,
                               hash_password(s.dashboard_password.get_secret_value()))
    hosts = tuple(dict.fromkeys((*LOOPBACK_HOSTS, s.dash_host)))
    app = create_app(BotControl(bot), mode_label=s.mode, auth=auth, trusted_hosts=hosts,
                     auth_exempt_paths=(WEBHOOK_PATH,),  # token-checked
                     notifications=NotificationControl(bot.c.notifier, bot.c.store))
    app.server.config["MAX_CONTENT_LENGTH"] = 1 << 20  # bounded bodies, chunked or not
    token = s.webhook_token.get_secret_value() if s.webhook_token else None
    register_webhook(app.server, bot.c.queue.submit, token, s.symbols,
                     mark_price=bot.c.exchange.mark_price, events=bot.c.store,
                     clock=bot.c.clock, entry_gate=bot.c.killswitch.entry_denial,
                     kill_state=lambda: bot.c.killswitch.state,
                     dedupe_s=s.webhook_dedupe_s,
                     min_stop_distance_pct=s.min_stop_distance_pct)
    return app


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print("QuantShield refuses to start, the settings are invalid:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    logs = RingBufferHandler()
    configure_logging(settings.log_level, secrets_of(settings), logs)
    for warning in settings.warnings:
        log.warning("[CONFIG] %s", warning)
    log.info("[CONFIG] Effective settings: %s", settings.dump())

    components = build(settings, logs=logs)
    bot = Bot(components)
    try:
        bot.start()
    except StartRefusedError as exc:  # another process holds the account, or hedge mode
        log.critical("[START] %s", exc)
        bot.shutdown()
        return 3
    app = make_dash(bot)
    gc.freeze()  # start-up objects live forever: keep the collector off them (polling p95)
    server = create_server(app.server, host=settings.dash_host, port=settings.dash_port,
                           threads=8, ident="QuantShield")
    stopping = threading.Event()

    def on_signal(signum, _frame):
        log.info("[STOP] Signal %s received - shutting down", signum)
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # waitress keeps looping while browsers hold keep-alive connections, so it runs in a
    # daemon thread and the main thread owns the shutdown
    threading.Thread(target=server.run, name="dashboard", daemon=True).start()
    log.info("[START] Dashboard on http://%s:%s  (webhook: POST %s)",
             settings.dash_host, server.effective_port, WEBHOOK_PATH)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        bot.shutdown()
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
