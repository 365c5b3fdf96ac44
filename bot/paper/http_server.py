"""The HTTP servers the venue can run on: waitress (default) or Werkzeug's threaded server.

Waitress measured about twice the throughput of Werkzeug's development server
on the 2-core build box (see docs/PAPER_EXCHANGE.md); Werkzeug stays as a
fallback with one thread per connection.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

log = logging.getLogger(__name__)

WORKER_THREADS = 16  # injected timeouts park a worker for seconds; keep spares


class HttpServer(Protocol):
    port: int

    def serve_in_thread(self) -> threading.Thread: ...

    def stop(self) -> None: ...


class WaitressServer:
    def __init__(self, app: Any, host: str, port: int) -> None:
        from waitress.server import create_server

        self._server = create_server(app, host=host, port=port, threads=WORKER_THREADS,
                                     ident="paper", asyncore_use_poll=True,
                                     channel_timeout=30)
        self.port = int(self._server.effective_port)

    def serve_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name="paper-http", daemon=True)
        thread.start()
        return thread

    def _run(self) -> None:
        try:
            self._server.run()
        except (OSError, ValueError):
            # closing sockets under the loop from stop() ends it this way
            log.debug("[PAPER] HTTP loop ended")

    def stop(self) -> None:
        stop_waitress(self._server)


def stop_waitress(server: Any, timeout_s: float = 5.0) -> None:
    """Close every socket from inside the loop thread, so its poll returns at once.

    The thunk closes the trigger too, and a worker finishing its last request can
    wake the loop between queueing the thunk and writing to the pipe; holding the
    trigger's lock across both keeps the thunk from running before our write.
    """
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout_s)
    trigger = server.trigger

    def close_all() -> None:
        for channel in list(server._map.values()):
            try:
                channel.close()
            except OSError:
                pass

    with trigger.lock:
        if trigger._closed:
            return
        trigger.thunks.append(close_all)
        trigger._physical_pull()


class WerkzeugServer:
    def __init__(self, app: Any, host: str, port: int) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            """No access log; Nagle off (small answers would wait on delayed ACKs)."""

            disable_nagle_algorithm = True

            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                return None

        self._server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_port)

    def serve_in_thread(self) -> threading.Thread:
        server = self._server
        thread = threading.Thread(target=lambda: server.serve_forever(poll_interval=0.05),
                                  name="paper-http", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def make_http_server(kind: str, app: Any, host: str, port: int) -> HttpServer:
    if kind == "waitress":
        return WaitressServer(app, host, port)
    if kind == "werkzeug":
        return WerkzeugServer(app, host, port)
    raise ValueError(f"unknown server {kind!r}: use 'waitress' or 'werkzeug'")
