"""A real WebSocket client for the venue's user-data stream, reading on its own thread."""

from __future__ import annotations

import json
import threading

import requests
from websockets.exceptions import ConnectionClosed, ConnectionClosedOK
from websockets.sync.client import ClientConnection, connect

from bot.paper.server import PaperExchange
from tests.fixtures.paper import API_KEY, eventually


class StreamReader:
    """Collects every event a connection receives, and how the connection ended.

    ``close_code`` is the code the server closed with (1006 when the connection was
    cut without a close frame); ``ended`` is set once the connection is gone.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.events: list[dict] = []
        self.opened = threading.Event()
        self.ended = threading.Event()
        self.close_code: int | None = None
        self.close_reason = ""
        self.error: BaseException | None = None
        self._ws: ClientConnection | None = None
        self._thread = threading.Thread(target=self._run, name="stream-reader", daemon=True)
        self._thread.start()
        if not self.opened.wait(5) and self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            with connect(self.url, open_timeout=5, close_timeout=1) as ws:
                self._ws = ws
                self.opened.set()
                try:
                    for message in ws:
                        self.events.append(json.loads(message))
                except ConnectionClosed:
                    pass
                self.close_code, self.close_reason = ws.close_code, ws.close_reason or ""
        except ConnectionClosedOK:
            pass
        except BaseException as exc:  # reported to the test through .error
            self.error = exc
        finally:
            self.opened.set()
            self.ended.set()

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["e"] == kind]

    def close(self) -> None:
        if self._ws is not None and not self.ended.is_set():
            self._ws.close()
        self._thread.join(timeout=5)


def new_listen_key(exchange: PaperExchange) -> str:
    response = requests.post(exchange.futures_url + "/v1/listenKey",
                             headers={"X-MBX-APIKEY": API_KEY}, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["listenKey"]


def open_stream(exchange: PaperExchange, key: str | None = None,
                path: str = "/private/ws?listenKey={key}") -> StreamReader:
    """Connect to the stream with ``key`` (default: a fresh one) and wait until it is served."""
    key = key or new_listen_key(exchange)
    before = exchange.stream.server.connection_count()
    reader = StreamReader(exchange.ws_url + path.format(key=key))
    eventually(lambda: exchange.stream.server.connection_count() > before or reader.ended.is_set(),
               message="stream connection not registered")
    return reader
