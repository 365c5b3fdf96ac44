"""requests' transport for the embedded venue: the bot's HTTP requests without the socket.

python-binance builds, signs and sends every request through a requests
Session exactly as it does against Binance; mounted on that session for the
venue's URL, this adapter hands the prepared request to the venue's WSGI app
(the REST front ``python -m bot.paper`` serves) in the calling thread and
returns its answer as a requests ``Response``. What is skipped is the loopback
socket and the server's worker thread: about 0.9 ms a request on the 2-core
build box, most of a replay's time. ``--http`` replays over the real socket,
and both must give the same ledger hash.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from requests import PreparedRequest, Response
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WsgiTransport(BaseAdapter):
    def __init__(self, app: WsgiApp) -> None:
        super().__init__()
        self._app = app

    def send(self, request: PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> Response:
        url = urlsplit(request.url or "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method or "GET", "SCRIPT_NAME": "",
            "PATH_INFO": unquote(url.path), "QUERY_STRING": url.query,
            "SERVER_NAME": url.hostname or "127.0.0.1", "SERVER_PORT": str(url.port or 80),
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0), "wsgi.url_scheme": url.scheme or "http",
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ["HTTP_" + key] = value
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]],
                           exc_info: Any = None) -> Callable[[bytes], None]:
            started[:] = [status, headers]
            return lambda _data: None

        chunks = self._app(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        status, headers = started
        response = Response()
        response.status_code = int(status.split(" ", 1)[0])
        response.reason = status.partition(" ")[2]
        response.headers = CaseInsensitiveDict(headers)
        response._content = content
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        response.connection = self
        return response

    def close(self) -> None:
        pass
