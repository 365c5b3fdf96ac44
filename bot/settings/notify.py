"""Notification settings: apprise URLs taken apart so their secrets can be masked everywhere,
plus the checks for the daily-summary time and the dashboard's public URL.

An apprise URL carries its secret in a place that depends on the service:
Telegram's bot token is the host, Discord's webhook token a path segment, an
e-mail password the userinfo. Rather than a table per service, a part counts as
secret when apprise's own privacy rendering of the URL hides it; the password
and any query value apprise marks private (or whose name says token, key,
secret, password, auth) always count. Errors name the scheme, never the URL.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from pydantic import SecretStr

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,31})://")
_URL_START = re.compile(r",+(?=[A-Za-z][A-Za-z0-9+.-]{0,31}://)")
_TOKENS = re.compile(r"[/:@?&=#,]+")
_SEGMENTS = re.compile(r"[/@?&=#,]+")
_QUERY_FIELD = re.compile(r"(?:^|&)(?P<key>[^=&]*)=(?P<value>[^&]*)")
_SECRET_KEY = re.compile(r"token|key|secret|pass|pw|auth|sig|cred", re.IGNORECASE)
_DAILY_AT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MASKED_HOST = "****"


@cache
def load_apprise() -> Any:
    """apprise with its plugins loaded once; its e-mail plugin imports the deprecated
    ``imghdr`` (a DeprecationWarning our strict test settings turn into an error)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'imghdr' is deprecated",
                                category=DeprecationWarning)
        import apprise
        from apprise.plugins import N_MGR

        N_MGR.load_modules()
    return apprise


class _ThisThread(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._ident = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self._ident


@contextmanager
def quiet_apprise() -> Iterator[None]:
    """apprise logs a rejected token verbatim; while we parse, nothing it says leaves."""
    logger = logging.getLogger("apprise")
    mute = _ThisThread()
    logger.addFilter(mute)
    try:
        yield
    finally:
        logger.removeFilter(mute)


def instantiate(url: str) -> Any:
    """The apprise plugin for ``url``, or None when apprise cannot use it."""
    apprise = load_apprise()
    with quiet_apprise():
        return apprise.Apprise.instantiate(url, suppress_exceptions=True)


def split_urls(text: str) -> tuple[str, ...]:
    """Space- or comma-separated URLs; a comma inside a URL (``to=a@x,b@y``) stays."""
    out: list[str] = []
    for chunk in text.split():
        out.extend(p.strip(",") for p in _URL_START.split(chunk) if p.strip(","))
    return tuple(out)


def scheme_of(url: str) -> str | None:
    m = _SCHEME.match(url)
    return m[1].lower() if m else None


def url_problem(url: str, position: int) -> str | None:
    """Why apprise cannot use ``url`` (the ``position``-th), naming only its scheme."""
    scheme = scheme_of(url)
    if scheme is None:
        return f"URL {position} has no scheme:// (e.g. tgram://, discord://, mailto://, json://)"
    from apprise.plugins import N_MGR

    load_apprise()
    if scheme not in N_MGR:
        return f"URL {position}: unknown service {scheme}://"
    if instantiate(url) is None:
        return f"URL {position}: the {scheme}:// URL is malformed (check its token, host, options)"
    return None


def parse_notify_urls(value: Any) -> tuple[str, ...]:
    """For the settings validator: text or a sequence in, checked URLs out (ValueError)."""
    if value is None:
        return ()
    if isinstance(value, str):
        urls = split_urls(value)
    elif not isinstance(value, list | tuple):
        raise ValueError("give apprise URLs separated by spaces or commas")
    else:
        items = [v.get_secret_value() if isinstance(v, SecretStr) else str(v) for v in value]
        urls = tuple(u for item in items for u in split_urls(item))
    problems = [p for i, url in enumerate(urls, 1) if (p := url_problem(url, i))]
    if problems:
        raise ValueError("; ".join(problems))
    return urls


def secret_parts(url: str) -> tuple[str, ...]:
    """Every piece of ``url`` that must never be shown, longest first, also percent-encoded."""
    scheme = scheme_of(url) or ""
    body = url[len(scheme) + 3:] if scheme else url
    head, _, query = body.partition("?")
    plugin = instantiate(url) if scheme else None
    candidates = _pieces(unquote(head))
    public: set[str] = set()
    found: set[str] = set()
    if plugin is not None:
        public = _pieces(unquote(plugin.url(privacy=True)))
        private_args = {k for k, spec in type(plugin).template_args.items()
                        if isinstance(spec, dict) and spec.get("private")}
        password = getattr(plugin, "password", None)
        if isinstance(password, str) and password:
            found.add(password)
    else:
        private_args = set()
    found |= {c for c in candidates if c and c not in public}
    for field in _QUERY_FIELD.finditer(query):
        key, value = unquote(field["key"]).lstrip("+-:"), unquote(field["value"])
        if value and (key in private_args or _SECRET_KEY.search(key) or plugin is None):
            found.add(value)
    encoded = {quote(s, safe="") for s in found} | {quote(s) for s in found}
    return tuple(sorted(found | encoded, key=len, reverse=True))


def _pieces(text: str) -> set[str]:
    return {p for p in (*_SEGMENTS.split(text), *_TOKENS.split(text)) if p}


def channel_label(url: str, secrets: Iterable[str] | None = None) -> str:
    """``scheme://host[:port]`` for the dashboard, the host masked when it is the token."""
    scheme = scheme_of(url) or "?"
    hidden = set(secret_parts(url) if secrets is None else secrets)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # Telegram's "id:token" host is no port
        host, port = "", None
    authority = url[len(scheme) + 3:].split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    if not host or host in hidden or authority in hidden or any(
            p in hidden for p in _TOKENS.split(authority) if p):
        return f"{scheme}://{MASKED_HOST}"
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def notify_secrets(urls: Iterable[SecretStr | str]) -> list[str]:
    """All secret parts of the configured URLs: for the log redaction filter."""
    out: dict[str, None] = {}
    for url in urls:
        text = url.get_secret_value() if isinstance(url, SecretStr) else url
        out.update(dict.fromkeys(secret_parts(text)))
    return list(out)


def check_daily_at(value: str | None) -> str | None:
    """``HH:MM`` in UTC."""
    if value is None:
        return None
    text = value.strip()
    if not _DAILY_AT.match(text):
        raise ValueError("must be HH:MM in UTC (e.g. 00:05)")
    return text


def check_public_url(value: str | None) -> str | None:
    """The dashboard's address for links in messages; it goes out in every message, so no
    credentials in it."""
    if value is None:
        return None
    text = value.strip().rstrip("/")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise ValueError("is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL")
    if parts.username or parts.password:
        raise ValueError("must not carry a user or password (messages are not secret)")
    return text
