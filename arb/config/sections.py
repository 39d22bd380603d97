"""The config sections: frozen dataclasses whose fields carry their documentation and their check.

Each field's ``metadata`` holds ``doc`` (for humans, ``config.example.toml`` and ``tests/test_docs.py``),
``parse`` (the check from :mod:`arb.config._parse`) and ``derived`` (not a TOML key). ``__post_init__``
runs every check, so a section built in code is as valid as one loaded from TOML.
"""

# RUF009 cannot see that _key and _table return dataclasses.field(...), not a shared default value.
# ruff: noqa: RUF009

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, ClassVar

from arb.config import _scale_keys as _scale
from arb.config._parse import (
    _NAME_RE,
    Parse,
    _Bad,
    _balances,
    _bool,
    _ccxt_id,
    _choice,
    _env_name,
    _fee_currency,
    _num,
    _optional,
    _options,
    _text,
    _urls,
    _venues,
)
from arb.config._store_keys import store_url as _store_url
from arb.config.secrets import Credentials, _redact_url
from arb.core.errors import ConfigError
from arb.core.model import BPS, Fee, FeeCurrency, Limits

MODES = ("alert", "paper", "live")
ON_PARTIAL = ("hedge", "retry", "hold")
ORDER_TRANSPORTS = ("ws", "rest")
DEFAULT_SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT")
DEFAULT_VENUES = ("okx", "binance", "bybit")


def _md(doc: str, parse: Parse | None = None, *, derived: bool = False) -> dict[str, Any]:
    """Field metadata: ``doc`` for humans and tests, ``parse`` the check, ``derived`` = not a TOML key."""
    return {"doc": doc, "parse": parse, "derived": derived}


def _key(default: Any, doc: str, parse: Parse) -> Any:
    """A TOML key: its default, its documentation and its check."""
    return field(default=default, metadata=_md(doc, parse))


def _table(doc: str, parse: Parse) -> Any:
    """A TOML key holding a table; the default is a fresh empty one per instance."""
    return field(default_factory=dict, metadata=_md(doc, parse))


def _normalise(obj: Any, path: str) -> None:
    """Check and convert every field of a config dataclass in place; raise all problems at once."""
    problems: list[str] = []
    for f in fields(obj):
        parse = f.metadata.get("parse")
        if parse is not None:
            try:
                object.__setattr__(obj, f.name, parse(f"{path}.{f.name}", getattr(obj, f.name)))
            except _Bad as e:
                problems += e.lines
    if problems:
        raise ConfigError(problems)


class _Section:
    """Base of the fixed ``[NAME]`` sections: check and convert every field once built."""

    __slots__ = ()
    _section: ClassVar[str]  # the TOML table, e.g. "scanner"

    def __post_init__(self) -> None:
        _normalise(self, self._section)


@dataclass(frozen=True, slots=True)
class ScannerConfig(_Section):
    """``[scanner]``: what to watch and when a spread is worth acting on."""

    _section: ClassVar[str] = "scanner"

    symbols: tuple[str, ...] = _key(
        DEFAULT_SYMBOLS,
        'unified ccxt spot symbols to scan, BASE/QUOTE (e.g. "BTC/USDT"); non-empty, no duplicates; or "auto": '
        "every active spot symbol listed on at least two venues (filtered by quotes, min_quote_volume, max_symbols)",
        _scale.symbols_or_auto,
    )
    quotes: tuple[str, ...] = _key(
        ("USDT", "USDC"), 'symbols = "auto": quote currencies to keep, e.g. ["USDT", "USDC"]', _scale.quotes
    )
    min_quote_volume: Decimal = _key(
        Decimal("0"),
        'symbols = "auto": keep a symbol only if two venues each traded at least this 24 h quote volume (>= 0)',
        _num(ge=0),
    )
    max_symbols: int = _key(
        50, 'symbols = "auto": at most this many, highest volume first (>= 1)', _num(ge=1, integer=True)
    )
    venues: tuple[str, ...] = _key(
        DEFAULT_VENUES,
        "venues to scan: each a [venues.NAME] table or a plain ccxt.pro exchange id; at least 2, no duplicates",
        _venues,
    )
    min_net_bps: Decimal = _key(
        Decimal("5"),
        "act only if net profit after fees and slippage is at least this many bps of the cost (>= 0)",
        _num(ge=0),
    )
    min_net_profit: Decimal = _key(
        Decimal("0.5"), "act only if net profit is at least this much, in quote currency (>= 0)", _num(ge=0)
    )
    max_notional: Decimal = _key(
        Decimal("1000"), "largest cost of one opportunity, in quote currency (> 0)", _num(gt=0)
    )
    slippage_bps: Decimal = _key(Decimal("2"), "buffer on each leg's worst walked price, in bps (>= 0)", _num(ge=0))
    max_book_age_ms: int = _key(
        2000,
        "staleness limit: a book is not used once the stream carrying it delivered nothing for this many ms (> 0)",
        _num(gt=0, integer=True),
    )
    episode_gap_ms: int = _key(
        500,
        "an opportunity episode ends after this many milliseconds without the opportunity (> 0)",
        _num(gt=0, integer=True),
    )
    require_transferable: bool = _key(
        False,
        "skip (no alert, no trade, not journaled) opportunities whose inventory cannot be restored by a transfer "
        "(a network both venues list, withdrawals and deposits open); unknown (no API keys) is skipped too",
        _bool,
    )

    def limits(self, risk: RiskConfig | None = None) -> Limits:
        """The evaluator's thresholds (the one place they are built). With ``risk``, the notional cap is
        also bounded by ``risk.max_notional_per_trade``: the trader sizes no bigger than risk allows."""
        cap = self.max_notional if risk is None else min(self.max_notional, risk.max_notional_per_trade)
        return Limits(
            min_net_bps=self.min_net_bps,
            min_net_profit=self.min_net_profit,
            max_notional=cap,
            slippage_bps=self.slippage_bps,
        )


@dataclass(frozen=True, slots=True)
class VenueConfig:
    """``[venues.NAME]``: one venue (usually NAME is its ccxt id)."""

    name: str = field(default="", metadata=_md("arb's name for the venue: NAME in [venues.NAME]", derived=True))
    ccxt_id: str = _key("", 'ccxt exchange id with a ccxt.pro class, e.g. "okx"; default: NAME', _ccxt_id)
    options: dict[str, Any] = _table(
        "table merged into the ccxt constructor config (e.g. urls, options, timeout); no credentials here", _options
    )
    taker_fee_bps: Decimal | None = _key(
        None,
        "taker fee override in bps (>= 0, < 10000); unset = the account's tier when keys are given, "
        "else ccxt's market fee",
        _optional(_num(ge=0, lt=10_000)),
    )
    fee_currency: FeeCurrency = _key(
        "received",
        'where the taker fee is charged: "received" (base on a buy, quote on a sell) or "quote"',
        _fee_currency,
    )
    api_key_env: str = _key("", "environment variable holding the API key; default ARB_<NAME>_API_KEY", _env_name)
    secret_env: str = _key("", "environment variable holding the API secret; default ARB_<NAME>_SECRET", _env_name)
    password_env: str = _key(
        "", "environment variable holding the API passphrase (OKX); default ARB_<NAME>_PASSWORD", _env_name
    )
    secrets_file: str | None = _key(
        None,
        "TOML file with apiKey/secret/password, mode 0600, outside the config directory and repository; "
        "environment variables win over it",
        _optional(_text),
    )
    book_depth: int | None = _key(
        None,
        "order book levels to subscribe to (> 0); unset = the venue's default",
        _optional(_num(gt=0, integer=True)),
    )
    credentials: Credentials = field(
        default_factory=Credentials,
        repr=False,
        compare=False,
        metadata=_md("credentials resolved from the environment or secrets_file", derived=True),
    )

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME_RE.fullmatch(self.name):
            raise ConfigError(
                f"venues.{self.name}: venue names must be letters, digits and _ "
                "(they name environment variables), e.g. [venues.okx]"
            )
        up = self.name.upper()
        for attr, value in (
            ("ccxt_id", self.name),
            ("api_key_env", f"ARB_{up}_API_KEY"),
            ("secret_env", f"ARB_{up}_SECRET"),
            ("password_env", f"ARB_{up}_PASSWORD"),
        ):
            if getattr(self, attr) == "":
                object.__setattr__(self, attr, value)
        _normalise(self, f"venues.{self.name}")

    def fee_override(self) -> Fee | None:
        """The configured taker fee as a :class:`Fee` (source "config"); None = use account/market fees."""
        if self.taker_fee_bps is None:
            return None
        return Fee(taker=self.taker_fee_bps / BPS, currency=self.fee_currency, source="config")

    def ccxt_config(self, credentials: bool) -> dict[str, Any]:
        """Constructor config for ``ccxt.pro.<ccxt_id>(...)``: rate limiting on, ``options`` merged in,
        and apiKey/secret/password only if ``credentials`` is true and they are set."""
        cfg: dict[str, Any] = {"enableRateLimit": True, **copy.deepcopy(self.options)}
        if credentials:
            cfg.update(self.credentials.as_ccxt())
        return cfg


@dataclass(frozen=True, slots=True)
class ExecutionConfig(_Section):
    """``[execution]``: whether and how opportunities become orders."""

    _section: ClassVar[str] = "execution"

    mode: str = _key(
        "alert",
        '"alert" (no keys, no orders), "paper" (fills simulated against live books) '
        'or "live" (real orders, also needs --live)',
        _choice(*MODES),
    )
    on_partial: str = _key(
        "hedge",
        'when legs fill unequally: "hedge" the difference at once, "retry" the short leg, '
        'or "hold" it as recorded open exposure',
        _choice(*ON_PARTIAL),
    )
    order_timeout_ms: int = _key(
        3000,
        "how long to wait for an order's final state before reconciling it, milliseconds (> 0)",
        _num(gt=0, integer=True),
    )
    order_expiry_ms: int = _key(
        5000,
        "the venue's own expiry sent with every order (Binance recvWindow, OKX expTime, Bybit receive window), "
        "milliseconds (1000..60000); an order not found is unknown until this has passed",
        _num(ge=1000, le=60000, integer=True),
    )
    order_transport: str = _key(
        "ws",
        '"ws": orders over the venue\'s WebSocket trading API (OKX, Binance, Bybit), REST only while that '
        'socket is not connected and logged in; "rest": always REST',
        _choice(*ORDER_TRANSPORTS),
    )
    confirm_updates: int = _key(
        1,
        "book updates in a row an opportunity must survive before it is acted on (>= 1)",
        _num(ge=1, integer=True),
    )
    depth_multiple: Decimal = _key(
        Decimal("1"), "visible depth required as a multiple of the trade size (>= 1)", _num(ge=1)
    )
    paper_latency_ms: int = _key(
        50,
        "paper mode and backtests: one-way latency to the venue, milliseconds (>= 0); an order meets the venue's "
        "book that long after the send, its answer and every look-up take the way back",
        _num(ge=0, integer=True),
    )
    paper_balances: dict[str, dict[str, Decimal]] = _table(
        "paper-mode starting balances, venue → asset → amount (>= 0); empty = not limited by balances", _balances
    )
    cooldown_until_both_books_update: bool = _key(
        True,
        "after acting on a symbol and venue pair, wait until both books update before acting on it again",
        _bool,
    )


@dataclass(frozen=True, slots=True)
class RiskConfig(_Section):
    """``[risk]``: limits, kill switch and circuit breakers (quote currency unless named otherwise)."""

    _section: ClassVar[str] = "risk"

    max_notional_per_trade: Decimal = _key(
        Decimal("1000"), "largest cost of one arbitrage, in quote currency (> 0)", _num(gt=0)
    )
    max_exposure_per_asset: Decimal = _key(
        Decimal("5000"), "largest open exposure in one asset across venues, in quote currency (> 0)", _num(gt=0)
    )
    max_exposure_per_venue: Decimal = _key(
        Decimal("10000"), "largest open exposure on one venue, in quote currency (> 0)", _num(gt=0)
    )
    max_in_flight: int = _key(1, "arbitrages executing at the same time (>= 1)", _num(ge=1, integer=True))
    daily_loss_limit: Decimal = _key(
        Decimal("100"),
        "stop trading for the day once the day's loss reaches this, in quote currency (> 0)",
        _num(gt=0),
    )
    max_consecutive_failures: int = _key(
        3,
        "circuit breaker: stop trading after this many failed arbitrages in a row (>= 1)",
        _num(ge=1, integer=True),
    )
    max_venue_error_rate: Decimal = _key(
        Decimal("0.5"),
        "circuit breaker: pause a venue whose recent order error rate exceeds this fraction (> 0, <= 1)",
        _num(gt=0, le=1),
    )
    min_balances: dict[str, dict[str, Decimal]] = _table(
        "balances never traded below, venue → asset → amount (>= 0); empty = no floor", _balances
    )
    balance_drift_tolerance: Decimal = _key(
        Decimal("0.01"),
        "fraction by which venue balances may differ from the journal before trading stops (>= 0)",
        _num(ge=0),
    )
    kill_file: str = _key("arb.kill", "while this file exists no new orders are sent (touch it to stop trading)", _text)


@dataclass(frozen=True, slots=True)
class NotifyConfig(_Section):
    """``[notify]``: apprise notifications (URLs hold tokens: they are redacted like secrets)."""

    _section: ClassVar[str] = "notify"

    urls: tuple[str, ...] = _key(
        (), 'apprise notification URLs, e.g. ["tgram://bottoken/chatid"]; empty = no notifications', _urls
    )
    min_interval_s: Decimal = _key(
        Decimal("30"), "at most one notification per symbol and venue pair per this many seconds (>= 0)", _num(ge=0)
    )
    health_stale_s: int = _key(
        30, "notify when a feed has had no update for this many seconds (> 0)", _num(gt=0, integer=True)
    )
    heartbeat_s: int = _key(0, "send a heartbeat every this many seconds (>= 0; 0 = off)", _num(ge=0, integer=True))
    on_episode_end: bool = _key(True, "notify when an opportunity episode ends, with its duration and peak", _bool)

    def __repr__(self) -> str:  # the URLs carry tokens
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["urls"] = tuple(_redact_url(u) for u in self.urls)
        return "NotifyConfig(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


@dataclass(frozen=True, slots=True)
class StoreConfig(_Section):
    """``[store]``: the journal (SQLite files by default; PostgreSQL with ``url`` / ``paper_url``)."""

    _section: ClassVar[str] = "store"

    path: str = _key(
        "arb.db", "SQLite journal for alert and live runs (relative paths are from the working directory)", _text
    )
    paper_path: str = _key("arb-paper.db", "SQLite journal for paper runs; must differ from path", _text)
    url: str = _key("", 'PostgreSQL journal for alert/live runs, "postgresql://user@host/db" ("": path)', _store_url)
    paper_url: str = _key("", 'PostgreSQL journal for paper runs ("": paper_path); must differ from url', _store_url)
    flush_ms: int = _key(
        250,
        "the writer flushes batched observations at least this often, milliseconds (> 0)",
        _num(gt=0, integer=True),
    )
    queue_size: int = _key(
        10_000,
        "observations buffered for the writer; beyond this they are dropped and counted (> 0)",
        _num(gt=0, integer=True),
    )

    def journal(self, *, paper: bool = False) -> str:
        """This mode's journal: the PostgreSQL URL when one is set, else the SQLite path."""
        return (self.paper_url or self.paper_path) if paper else (self.url or self.path)


# Section name → dataclass; "venues" is a table of VenueConfig tables.
SECTIONS: dict[str, type] = {
    "scanner": ScannerConfig,
    "venues": VenueConfig,
    "execution": ExecutionConfig,
    "risk": RiskConfig,
    "notify": NotifyConfig,
    "store": StoreConfig,
}
