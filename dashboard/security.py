"""Who may see and steer the dashboard: Basic auth over a salted hash, and trusted hosts.

Both checks run in one Flask ``before_request`` hook, so pages, assets and the
callback endpoint (``/_dash-update-component``) are guarded alike: a control
action can never slip in through a route the page check forgot.

Password hashes are scrypt with a random salt, compared in constant time. A
successful check is remembered as a keyed digest (never the password) so the
2-second polling does not pay the deliberately slow hash on every request, and a
client that keeps sending wrong passwords waits (429) instead of making the server
hash each of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import Flask, Response, g, has_request_context, request

log = logging.getLogger(__name__)

LOCAL_ACTOR = "local"
_REALM = "QuantShield"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_MAX_REMEMBERED = 64
# wrong passwords per client address before it must wait: each costs a deliberately slow hash
FAILED_LOGIN_LIMIT = 5
FAILED_LOGIN_WINDOW_S = 60.0
_MAX_TRACKED_CLIENTS = 1024


@dataclass(frozen=True)
class BasicAuthConfig:
    """The one dashboard user; ``password_hash`` comes from :func:`hash_password`."""

    user: str
    password_hash: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.user or ":" in self.user:
            raise ValueError("dashboard user must be non-empty and contain no ':'")
        _parse_hash(self.password_hash)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Encode a password as ``scrypt$n$r$p$salt$digest`` (hex), salted at random by default."""
    if not password:
        raise ValueError("dashboard password must not be empty")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    """Constant-time check of ``password`` against a :func:`hash_password` string."""
    n, r, p, salt, expected = _parse_hash(encoded)
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024)


def _parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        raise ValueError("password hash must look like scrypt$n$r$p$salt$digest")
    try:
        return (
            int(parts[1]),
            int(parts[2]),
            int(parts[3]),
            bytes.fromhex(parts[4]),
            bytes.fromhex(parts[5]),
        )
    except ValueError as exc:
        raise ValueError("password hash has a malformed field") from exc


class _Guard:
    """The before_request hook's state: the auth config and remembered good credentials."""

    def __init__(self, auth: BasicAuthConfig | None, trusted_hosts: Iterable[str] | None,
                 clock: Callable[[], float] = time.monotonic):
        self.auth = auth
        self.trusted = tuple(h.lower() for h in trusted_hosts) if trusted_hosts else ()
        self._key = secrets.token_bytes(32)
        self._remembered: set[bytes] = set()
        self._lock = threading.Lock()
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def wait_s(self, client: str) -> float:
        """Seconds this client must wait before its next password is even hashed."""
        now = self._clock()
        with self._lock:
            recent = self._failures.get(client)
            while recent and now - recent[0] >= FAILED_LOGIN_WINDOW_S:
                recent.popleft()
            if not recent or len(recent) < FAILED_LOGIN_LIMIT:
                return 0.0
            return FAILED_LOGIN_WINDOW_S - (now - recent[0])

    def note_failure(self, client: str) -> None:
        with self._lock:
            if client not in self._failures and len(self._failures) >= _MAX_TRACKED_CLIENTS:
                self._failures.clear()
            self._failures.setdefault(client, deque(maxlen=FAILED_LOGIN_LIMIT)).append(
                self._clock())

    def note_success(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def host_allowed(self, host_header: str) -> bool:
        if not self.trusted:
            return True
        host = host_header.lower()
        if host.startswith("["):
            host = host[1:].split("]", 1)[0]
        elif host.count(":") == 1:
            host = host.split(":", 1)[0]
        return any(host == t or (t.startswith(".") and host.endswith(t)) for t in self.trusted)

    def credentials_ok(self, user: str, password: str) -> bool:
        assert self.auth is not None
        token = hmac.new(self._key, f"{user}\0{password}".encode(), hashlib.sha256).digest()
        with self._lock:
            if any(hmac.compare_digest(token, t) for t in self._remembered):
                return True
        user_ok = hmac.compare_digest(user.encode(), self.auth.user.encode())
        pass_ok = verify_password(password, self.auth.password_hash)
        if user_ok and pass_ok:
            with self._lock:
                if len(self._remembered) >= _MAX_REMEMBERED:
                    self._remembered.clear()
                self._remembered.add(token)
            return True
        return False


def install_security(
    server: Flask,
    auth: BasicAuthConfig | None,
    trusted_hosts: Iterable[str] | None,
    auth_exempt_paths: Iterable[str] = (),
) -> None:
    """Guard every route of ``server``: wrong Host → 400, missing or bad credentials → 401.

    ``auth_exempt_paths`` are exact paths whose POST authenticates itself (the
    signal webhook checks its own token); they still get the Host check, and
    any other method on them needs the dashboard's credentials.
    """
    guard = _Guard(auth, trusted_hosts)
    exempt = frozenset(auth_exempt_paths)
    if any(not p.startswith("/") for p in exempt):
        raise ValueError("auth_exempt_paths must be absolute paths like /api/signals")
    server.debug = False

    def _qs_guard() -> Response | None:
        if not guard.host_allowed(request.headers.get("Host", "")):
            log.warning("[SECURITY] Refused request with untrusted Host header")
            return Response("untrusted host", status=400, mimetype="text/plain")
        if guard.auth is None or (request.method == "POST" and request.path in exempt):
            g.qs_actor = LOCAL_ACTOR
            return None
        user, password = _basic_credentials()
        client = request.remote_addr or "?"
        if user is not None and password is not None:
            wait = guard.wait_s(client)
            if wait > 0:
                log.warning("[SECURITY] Too many failed logins from %s - refusing for %.0f s",
                            client, wait)
                return Response("too many failed logins; try again later", status=429,
                                mimetype="text/plain",
                                headers={"Retry-After": str(max(1, round(wait)))})
            if guard.credentials_ok(user, password):
                guard.note_success(client)
                g.qs_actor = user
                return None
            guard.note_failure(client)
        return Response(
            "authentication required",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": f'Basic realm="{_REALM}", charset="UTF-8"'},
        )

    # first in line: nothing of Dash's own request setup runs for a refused request
    server.before_request_funcs.setdefault(None, []).insert(0, _qs_guard)


def _basic_credentials() -> tuple[str | None, str | None]:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None, None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else (None, None)


def current_actor() -> str:
    """Who is acting: the authenticated user, or ``"local"`` when auth is off."""
    if has_request_context():
        return str(g.get("qs_actor", LOCAL_ACTOR))
    return LOCAL_ACTOR
