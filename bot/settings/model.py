"""The validated settings object: built once at start, frozen, secrets wrapped.

Most bad values refuse to start the bot with a message naming the ``QT_*``
variable. One does not: an invalid trailing callback rate only switches
trailing stops off (the fixed stop still protects), because a typo in an
optional feature must not leave the operator without the bot.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, unquote_plus, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from bot.domain import Mode
from bot.domain.notify import format_levels, parse_levels
from bot.settings import notify as notify_check

ENV_PREFIX = "QT_"
MASK = "****"
CALLBACK_RATE_MIN = Decimal("0.1")
CALLBACK_RATE_MAX = Decimal("5.0")
DEFAULT_SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT", "ATOMUSDT", "ICXUSDT")
SYMBOL_RE = re.compile(r"^[A-Z0-9]{2,20}USDT$")
# SQLAlchemy's own grammar for ``name://user:password@`` and for ``?key=value&...``
_URL_USERINFO = re.compile(r"[\w+]+://[^:/]*:(?P<password>[^@]*)@")
_URL_QUERY_FIELD = re.compile(r"[?&](?P<key>[^=&?]*)=(?P<value>[^&]*)")
INTERVALS = ("1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d")
# The REST base per mode: the only place a venue host is written. QT_EXCHANGE_URL overrides
# it; paper mode has none (the embedded venue) unless QT_EXCHANGE_URL names one.
VENUE_URLS: dict[Mode, str] = {
    Mode.TESTNET: "https://testnet.binancefuture.com/fapi",
    Mode.DEMO: "https://demo-fapi.binance.com/fapi",
    Mode.LIVE: "https://fapi.binance.com/fapi",
}
# The user-data stream's base per mode (Binance's /private routes since 2026-04-23);
# QT_STREAM_URL overrides it. Demo trading's stream is not documented: the poll alone.
STREAM_URLS: dict[Mode, str] = {
    Mode.TESTNET: "wss://fstream.binancefuture.com",
    Mode.LIVE: "wss://fstream.binance.com",
}
BINANCE_DOMAINS = ("binance.com", "binancefuture.com")
CONFIRMED_MODES = (Mode.DEMO, Mode.LIVE)  # a Binance account, so QT_LIVE_CONFIRM=yes
KEYED_MODES = (Mode.TESTNET, Mode.DEMO, Mode.LIVE)
# Filled by the loader or derived here; never read from the environment.
INTERNAL_FIELDS = frozenset({"warnings", "unknown_env", "trailing_callback_rate_raw"})


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(",") if p.strip())
    return value


class Settings(BaseSettings):
    """Build with ``bot.settings.load_settings()``; direct construction takes keywords only."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="forbid", validate_default=True
    )

    mode: Mode = Mode.PAPER
    live_confirm: bool = False
    exchange_url: str | None = None  # any Binance-compatible REST base; see VENUE_URLS
    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    db_url: str = "sqlite:///data/quantshield.db"
    symbols: Annotated[tuple[str, ...], NoDecode] = DEFAULT_SYMBOLS
    leverage: int = Field(5, ge=1, le=125)
    risk_per_trade: Decimal = Field(Decimal("0.0075"), gt=0, le=Decimal("0.05"))
    stop_mode: Literal["atr", "percent"] = "atr"
    stop_atr_mult: Decimal = Field(Decimal("2.0"), ge=Decimal("0.5"), le=10)
    stop_pct: Decimal = Field(Decimal("0.01"), gt=0, le=Decimal("0.2"))
    retry_buffers: Annotated[tuple[Decimal, ...], NoDecode] = (Decimal("0.001"), Decimal("0.003"))
    trailing_enabled: bool = False
    trailing_callback_rate: Decimal | None = Decimal("1.0")
    trailing_callback_rate_raw: str = "1.0"
    max_positions_per_symbol: int = Field(2, ge=1, le=10)
    max_open_positions: int = Field(10, ge=1, le=200)
    monitor_interval_s: float = Field(10.0, ge=1, le=300)
    monitor_fast_interval_s: float = Field(2.0, ge=0.5, le=60)  # while the stream is down
    stream_enabled: bool = True
    stream_url: str | None = None  # the user-data stream's base; default by mode
    stream_down_after_s: float = Field(5.0, gt=0, le=300)
    naked_grace_s: float = Field(15.0, ge=0, le=600)
    webhook_token: SecretStr | None = None
    # an identical webhook body (token aside) within this many seconds is a duplicate; 0: off
    webhook_dedupe_s: float = Field(60.0, ge=0, le=86400)
    # a signal's stop closer than this percent of the price is refused (0.1: 0.1 %)
    min_stop_distance_pct: Decimal = Field(Decimal("0.1"), ge=0, lt=100)
    dash_host: str = "127.0.0.1"
    dash_port: int = Field(8050, ge=1, le=65535)
    dashboard_user: str | None = None
    dashboard_password: SecretStr | None = None
    paper_host: str = "127.0.0.1"
    paper_port: int = Field(8765, ge=0, le=65535)
    paper_api_key: str = "paper-key"
    paper_api_secret: SecretStr = SecretStr("paper-secret")
    paper_seed: int = 7
    paper_speed: float = Field(1.0, gt=0, le=10000)
    paper_balance: Decimal = Field(Decimal("10000"), gt=0, le=Decimal("1e12"))
    paper_replay_dir: Path | None = None
    paper_slippage_bps: Decimal = Field(Decimal("2"), ge=0, le=100)
    regime_interval: str = "1h"
    regime_fast: int = Field(50, ge=2, le=1000)
    regime_slow: int = Field(200, ge=3, le=2000)
    regime_adx_min: Decimal = Field(Decimal("20"), ge=0, le=100)
    # the regime job's period; a regime older than two of them counts as unknown
    regime_refresh_s: float = Field(60.0, ge=5, le=3600)
    # inputs of sizing and stops: a mark price older than this, or a candle set whose newest
    # closed candle closed more than one interval plus this lag ago, refuses the signal
    mark_max_age_s: float = Field(30.0, gt=0, le=3600)
    kline_max_lag_s: float = Field(120.0, ge=0, le=86400)
    # above this share of the minute's weight (or order counts) only protection is sent
    rate_reserve_share: float = Field(0.8, ge=0.1, le=1.0)
    rate_weight_limit: int = Field(2400, ge=1, le=10**9)  # REQUEST_WEIGHT per minute per IP
    filters_refresh_s: float = Field(3600.0, ge=60, le=86400)  # exchangeInfo's maximum age
    short_exception_confidence: float = Field(0.85, ge=0, le=1)
    strategy_interval: str = "15m"
    daily_loss_limit: Decimal = Field(Decimal("0.03"), gt=0, le=1)
    storm_emergency_closes: int = Field(3, ge=1, le=1000)
    storm_window_s: float = Field(3600.0, gt=0, le=7 * 86400)
    loss_flag_pct: Decimal = Field(Decimal("0.01"), gt=0, le=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    notify_urls: Annotated[tuple[SecretStr, ...], NoDecode] = ()
    notify_events: str = ""
    notify_daily_at: str | None = None
    public_url: str | None = None

    warnings: tuple[str, ...] = ()
    unknown_env: tuple[str, ...] = ()

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        *_others: PydanticBaseSettingsSource, **_named: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The loader owns the environment (unknown names, empty values, the
        # callback-rate rule); the object itself only validates what it is given.
        return (init_settings,)

    # field validators ------------------------------------------------------
    @field_validator("mode", "stop_mode", mode="before")
    @classmethod
    def _lower(cls, v: Any) -> Any:
        return v.strip().lower() if isinstance(v, str) else v

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v

    @field_validator("live_confirm", mode="before")
    @classmethod
    def _confirm(cls, v: Any) -> Any:
        if isinstance(v, str):
            return v.strip().lower() == "yes"
        return v

    @field_validator("symbols", mode="before")
    @classmethod
    def _symbols_in(cls, v: Any) -> Any:
        v = _split(v)
        if isinstance(v, list | tuple):
            return tuple(str(s).strip().upper() for s in v)
        return v

    @field_validator("symbols")
    @classmethod
    def _symbols_ok(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if not v:
            raise ValueError("at least one symbol is required")
        bad = [s for s in v if not SYMBOL_RE.match(s)]
        if bad:
            raise ValueError(f"not USDT-margined symbols: {', '.join(bad)}")
        return tuple(dict.fromkeys(v))

    @field_validator("retry_buffers", mode="before")
    @classmethod
    def _buffers_in(cls, v: Any) -> Any:
        return _split(v)

    @field_validator("retry_buffers")
    @classmethod
    def _buffers_ok(cls, v: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
        if not 1 <= len(v) <= 5:
            raise ValueError(f"give 1 to 5 buffers, got {len(v)}")
        out_of_range = [str(b) for b in v if not (0 < b <= Decimal("0.05"))]
        if out_of_range:
            raise ValueError(f"each buffer must be in (0, 0.05]: {', '.join(out_of_range)}")
        if any(b >= a_next for b, a_next in zip(v, v[1:], strict=False)):
            raise ValueError("buffers must be strictly ascending")
        return v

    @field_validator("exchange_url")
    @classmethod
    def _exchange_url_ok(cls, v: str | None) -> str | None:
        return None if v is None else normalize_exchange_url(v)

    @field_validator("paper_replay_dir")
    @classmethod
    def _replay_dir_ok(cls, v: Path | None) -> Path | None:
        if v is not None and not v.is_dir():
            raise ValueError(f"folder {v} does not exist")
        return v

    @field_validator("regime_interval", "strategy_interval")
    @classmethod
    def _interval_ok(cls, v: str) -> str:
        if v not in INTERVALS:
            raise ValueError(f"must be one of {', '.join(INTERVALS)}")
        return v

    @field_validator("notify_urls", mode="before")
    @classmethod
    def _notify_urls_ok(cls, v: Any) -> Any:
        return notify_check.parse_notify_urls(v)

    @field_validator("notify_events")
    @classmethod
    def _notify_events_ok(cls, v: str) -> str:
        return format_levels(parse_levels(v))

    @field_validator("notify_daily_at")
    @classmethod
    def _daily_at_ok(cls, v: str | None) -> str | None:
        return notify_check.check_daily_at(v)

    @field_validator("public_url")
    @classmethod
    def _public_url_ok(cls, v: str | None) -> str | None:
        return notify_check.check_public_url(v)

    # the callback-rate rule: warn and disable, never refuse ----------------
    @model_validator(mode="before")
    @classmethod
    def _callback_rate(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "trailing_callback_rate" not in data:
            return data
        data = dict(data)
        raw = data["trailing_callback_rate"]
        text = "" if raw is None else str(raw).strip()
        data["trailing_callback_rate_raw"] = text
        problem = _callback_rate_problem(text)
        if problem is None:
            data["trailing_callback_rate"] = Decimal(text)
            return data
        data["trailing_callback_rate"] = None
        data["trailing_enabled"] = False
        data["warnings"] = (
            *tuple(data.get("warnings") or ()),
            f"{env_name('trailing_callback_rate')}={text} {problem}: trailing stops disabled",
        )
        return data

    # cross-field rules ------------------------------------------------------
    @model_validator(mode="after")
    def _cross_checks(self) -> Settings:
        problems: list[str] = []
        if self.mode in CONFIRMED_MODES and not self.live_confirm:
            problems.append(
                f"QT_MODE={self.mode.value} requires QT_LIVE_CONFIRM=yes (a Binance account: "
                "trading on it must be confirmed)"
            )
        problems.extend(self._exchange_url_problems())
        if self.mode in KEYED_MODES:
            for name in ("api_key", "api_secret"):
                secret = getattr(self, name)
                if secret is None or not secret.get_secret_value():
                    problems.append(f"{env_name(name)} is required when QT_MODE={self.mode.value}")
        if not _is_loopback(self.dash_host) and not (
            self.dashboard_user and self.dashboard_password
            and self.dashboard_password.get_secret_value()
        ):
            problems.append(
                f"QT_DASH_HOST={self.dash_host} is not loopback: refusing to start without "
                "QT_DASHBOARD_USER and QT_DASHBOARD_PASSWORD"
            )
        if self.regime_fast >= self.regime_slow:
            problems.append(
                f"QT_REGIME_FAST ({self.regime_fast}) must be below QT_REGIME_SLOW "
                f"({self.regime_slow})"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # views ------------------------------------------------------------------
    def dump(self) -> dict[str, str]:
        """Effective settings as text, every secret masked: safe to log and to show."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            if name in ("warnings", "unknown_env"):
                continue
            out[name] = _as_text(getattr(self, name))
        out["db_url"] = mask_url(self.db_url)
        return out

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, (mask_url(value) if name == "db_url" else value)

    @property
    def exchange_base_url(self) -> str | None:
        """The REST base (``…/fapi``) the bot talks to; None: start the embedded paper venue."""
        return self.exchange_url or VENUE_URLS.get(self.mode)

    @property
    def stream_base_url(self) -> str | None:
        """The user-data stream's base; None: none known (the embedded venue gives its own)."""
        return self.stream_url or STREAM_URLS.get(self.mode)

    def exchange_credentials(self) -> tuple[str, str]:
        """Key and secret for the venue: QT_API_KEY/QT_API_SECRET, or in paper mode the
        QT_PAPER_API_* pair a standalone ``python -m bot.paper`` reads too."""
        if self.api_key and self.api_secret and self.api_secret.get_secret_value():
            return self.api_key.get_secret_value(), self.api_secret.get_secret_value()
        if self.mode is Mode.PAPER:
            return self.paper_api_key, self.paper_api_secret.get_secret_value()
        raise ValueError(f"QT_MODE={self.mode.value} needs QT_API_KEY and QT_API_SECRET")

    def _exchange_url_problems(self) -> list[str]:
        url = self.exchange_url
        if url is None:
            return []
        host = (urlsplit(url).hostname or "").lower()
        if self.mode is Mode.PAPER and _is_binance(host):
            return [f"QT_EXCHANGE_URL={url} is Binance itself: QT_MODE=paper never trades "
                    "there; use QT_MODE=testnet, demo or live"]
        if self.mode in KEYED_MODES and urlsplit(url).scheme != "https" and not _is_loopback(host):
            return [f"QT_EXCHANGE_URL={url}: QT_MODE={self.mode.value} needs https (the API "
                    "key travels with every request)"]
        return []

    @property
    def trailing_usable(self) -> bool:
        return self.trailing_enabled and self.trailing_callback_rate is not None


def _callback_rate_problem(text: str) -> str | None:
    try:
        rate = Decimal(text)
    except (InvalidOperation, ValueError):
        return "is not a number"
    if not rate.is_finite():
        return "is not a number"
    if not CALLBACK_RATE_MIN <= rate <= CALLBACK_RATE_MAX:
        return f"is outside [{CALLBACK_RATE_MIN}, {CALLBACK_RATE_MAX}]"
    return None


def normalize_exchange_url(url: str) -> str:
    """``http(s)://host[:port][/prefix]`` with ``/fapi`` at the end, as python-binance's
    FUTURES_URL wants it. Credentials belong in QT_API_KEY/SECRET, never in the URL."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host, e.g. http://127.0.0.1:8765")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials: use QT_API_KEY and QT_API_SECRET")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query or fragment")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError("has an invalid port") from None
    path = parts.path.rstrip("/")
    if not path.endswith("/fapi"):
        path += "/fapi"
    return f"{parts.scheme}://{parts.netloc}{path}"


def _is_binance(host: str) -> bool:
    return any(host == d or host.endswith("." + d) for d in BINANCE_DOMAINS)


def mask_url(url: str) -> str:
    """A database URL with every password it carries replaced by the mask."""
    merged: list[list[int]] = []
    for start, end in sorted(_password_spans(url)):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        url = url[:start] + MASK + url[end:]
    return url


def url_passwords(url: str) -> list[str]:
    """The passwords a database URL carries, as written and decoded: for log redaction."""
    found: dict[str, None] = {}
    for start, end in _password_spans(url):
        raw = url[start:end]
        found.update(dict.fromkeys((raw, unquote(raw), unquote_plus(raw))))
    return [p for p in found if p]


def _password_spans(url: str) -> list[tuple[int, int]]:
    """Where SQLAlchemy finds a password: after ``user:``, and in a ``password`` query field
    (it hands the query to the driver as connection arguments, and libpq takes that one)."""
    userinfo = _URL_USERINFO.search(url)
    spans = [userinfo.span("password")] if userinfo else []
    for field in _URL_QUERY_FIELD.finditer(url):
        if unquote_plus(field["key"]).strip().lower() == "password":
            spans.append(field.span("value"))
    return spans


def _is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _as_text(value: Any) -> str:
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(_as_text(v) for v in value)
    if hasattr(value, "value") and not isinstance(value, Decimal):
        return str(value.value)
    return str(value)
