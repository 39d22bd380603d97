"""Configuration: TOML → frozen dataclasses, validated with one-line errors; secrets from the environment.

Each field declares its documentation (``metadata["doc"]``) and its check (``metadata["parse"]``) where
it is defined, so ``config.example.toml`` and ``tests/test_docs.py`` stay in step with the code.
Every problem is one line naming the key path, the bad value and what is allowed; all problems
are collected and raised together as :class:`arb.errors.ConfigError`.

Any key can be overridden from the environment as ``ARB__SECTION__KEY`` (e.g.
``ARB__SCANNER__MIN_NET_BPS=3``, ``ARB__VENUES__OKX__TAKER_FEE_BPS=8``); the value is read as a TOML
value when it parses, else as a string. Credentials come from ``ARB_<NAME>_API_KEY``-style variables
or a 0600 ``secrets_file``; they never appear in ``repr``, ``str`` or :func:`redact` output.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from arb.errors import ConfigError
from arb.model import BPS, Fee, FeeCurrency, Limits

ENV_PREFIX = "ARB__"
REDACTED = "REDACTED"
MODES = ("alert", "paper", "live")
ON_PARTIAL = ("hedge", "retry", "hold")
CREDENTIAL_KEYS = ("apiKey", "secret", "password")  # ccxt constructor names, also the secrets_file keys
# Key names (lower case, without "_" and "-") that hold secrets wherever they appear.
SECRET_KEYS = frozenset(
    {
        "apikey",
        "secret",
        "secretkey",
        "apisecret",
        "password",
        "passphrase",
        "token",
        "accesstoken",
        "uid",
        "privatekey",
        "twofa",
    }
)
DEFAULT_SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT", "DOGE/USDT")
DEFAULT_VENUES = ("okx", "binance", "bybit")
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SYMBOL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")
_SECRETS_HINT = "a secrets_file (mode 0600, outside the config directory and repository)"

Parse = Callable[[str, Any], Any]


class _Bad(Exception):
    """One or more complete problem lines for one value."""

    def __init__(self, *lines: str) -> None:
        super().__init__(*lines)
        self.lines = list(lines)


def _show(v: Any, limit: int = 60) -> str:
    """A value as it would be written in TOML, shortened to one line."""
    if isinstance(v, bool):
        s = "true" if v else "false"
    elif isinstance(v, str):
        s = '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    elif isinstance(v, list | tuple):
        s = "[" + ", ".join(_show(x, limit) for x in v) + "]"
    elif isinstance(v, dict):
        s = "{" + ", ".join(f"{k} = {_show(x, limit)}" for k, x in v.items()) + "}"
    else:
        s = str(v)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _fail(path: str, v: Any, allowed: str) -> _Bad:
    return _Bad(f"{path} = {_show(v)}: {allowed}")


def _norm(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def _suggest(word: str, choices: Any) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{match[0]}"?)' if match else ""


def _secret_line(path: str, key: str, venue: str | None) -> str:
    n = _norm(key)
    kind = "API_KEY" if "key" in n else "PASSWORD" if n in ("password", "passphrase") else "SECRET"
    where = f"the environment variable ARB_{venue.upper()}_{kind}" if venue else "an environment variable"
    return f"{path}: literal secrets are not allowed in the config file: set {where} or use {_SECRETS_HINT}"


# ---- value checks: each takes (key path, raw value) and returns the typed value or raises _Bad ----


def _to_decimal(v: Any) -> Decimal | None:
    if isinstance(v, bool) or not isinstance(v, int | float | str | Decimal):
        return None
    try:
        d = Decimal(str(v).strip())
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _num(
    *,
    ge: int | None = None,
    gt: int | None = None,
    le: int | None = None,
    lt: int | None = None,
    integer: bool = False,
) -> Parse:
    bounds = [(op, Decimal(b)) for op, b in ((">=", ge), (">", gt), ("<=", le), ("<", lt)) if b is not None]
    allowed = ("must be an integer " if integer else "must be a number ") + " and ".join(
        f"{op} {b}" for op, b in bounds
    )
    tests: dict[str, Callable[[Decimal, Decimal], bool]] = {
        ">=": lambda x, b: x >= b,
        ">": lambda x, b: x > b,
        "<=": lambda x, b: x <= b,
        "<": lambda x, b: x < b,
    }

    def parse(path: str, v: Any) -> Any:
        if integer:
            ok = isinstance(v, int) and not isinstance(v, bool)
            d = Decimal(v) if ok else None
        else:
            d = _to_decimal(v)
        if d is None or not all(tests[op](d, b) for op, b in bounds):
            raise _fail(path, v, allowed)
        return v if integer else d

    return parse


def _optional(parse: Parse) -> Parse:
    return lambda path, v: None if v is None else parse(path, v)


def _choice(*choices: str) -> Parse:
    def parse(path: str, v: Any) -> Any:
        if v not in choices or not isinstance(v, str):
            hint = _suggest(v, choices) if isinstance(v, str) else ""
            raise _fail(path, v, "must be one of " + ", ".join(f'"{c}"' for c in choices) + hint)
        return v

    return parse


def _bool(path: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise _fail(path, v, "must be true or false")
    return v


def _text(path: str, v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _fail(path, v, "must be a non-empty string")
    return v


def _env_name(path: str, v: Any) -> str:
    if v == "":  # filled in from the venue name by VenueConfig
        return v
    if not isinstance(v, str) or not _ENV_NAME_RE.fullmatch(v):
        raise _fail(
            path, v, 'must be an environment variable name (letters, digits, _), e.g. "ARB_OKX_API_KEY"'
        )
    return v


def _str_list(
    path: str, v: Any, item: Callable[[str, Any], str | None], *, min_len: int, what: str
) -> tuple[str, ...]:
    if not isinstance(v, list | tuple) or len(v) < min_len:
        need = "a non-empty list" if min_len == 1 else f"a list of at least {min_len} {what}"
        raise _fail(path, v, f"must be {need}")
    lines: list[str] = []
    seen: dict[Any, int] = {}
    for i, x in enumerate(v):
        p = f"{path}[{i}]"
        problem = item(p, x)
        if problem:
            lines.append(problem)
        elif x in seen:
            lines.append(f"{p} = {_show(x)}: duplicate of {path}[{seen[x]}], list each once")
        else:
            seen[x] = i
    if not lines and len(seen) < min_len:
        lines.append(f"{path} = {_show(v)}: must list at least {min_len} {what}")
    if lines:
        raise _Bad(*lines)
    return tuple(v)


def _symbol_item(p: str, x: Any) -> str | None:
    if isinstance(x, str) and ":" in x:
        return f"{p} = {_show(x)}: spot symbols only (BASE/QUOTE), derivatives are out of scope"
    if not isinstance(x, str) or not _SYMBOL_RE.fullmatch(x):
        return f'{p} = {_show(x)}: must be a unified ccxt symbol BASE/QUOTE, e.g. "BTC/USDT"'
    return None


def _venue_item(p: str, x: Any) -> str | None:
    if not isinstance(x, str) or not _NAME_RE.fullmatch(x):
        return f'{p} = {_show(x)}: must be a venue name (letters, digits, _), e.g. "okx"'
    return None


def _symbols(path: str, v: Any) -> tuple[str, ...]:
    return _str_list(path, v, _symbol_item, min_len=1, what="symbols")


def _venues(path: str, v: Any) -> tuple[str, ...]:
    return _str_list(path, v, _venue_item, min_len=2, what="venues (arbitrage needs two)")


def _url_item(p: str, x: Any) -> str | None:
    if not isinstance(x, str) or "://" not in x:
        shown = f"<hidden, {len(x)} chars>" if isinstance(x, str) else _show(x)
        return f'{p} = {shown}: must be an apprise URL "scheme://…", e.g. "tgram://bottoken/chatid"'
    return None


def _urls(path: str, v: Any) -> tuple[str, ...]:
    if not isinstance(v, list | tuple):
        raise _Bad(f'{path}: must be a list of apprise URLs, e.g. ["tgram://bottoken/chatid"]')
    lines = [line for i, x in enumerate(v) if (line := _url_item(f"{path}[{i}]", x))]
    if lines:
        raise _Bad(*lines)
    return tuple(v)


def _secret_keys_in(path: str, v: Any, venue: str | None) -> list[str]:
    if not isinstance(v, dict):
        return []
    lines = []
    for k, x in v.items():
        p = f"{path}.{k}"
        lines += [_secret_line(p, k, venue)] if _norm(k) in SECRET_KEYS else _secret_keys_in(p, x, venue)
    return lines


def _options(path: str, v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _fail(
            path, v, "must be a table merged into the ccxt constructor config, e.g. { timeout = 10000 }"
        )
    lines = _secret_keys_in(path, v, path.split(".")[1] if path.startswith("venues.") else None)
    if lines:
        raise _Bad(*lines)
    return copy.deepcopy(v)


def _balances(path: str, v: Any) -> dict[str, dict[str, Decimal]]:
    shape = 'must be a table venue → asset → amount, e.g. { okx = { USDT = 1000, BTC = "0.1" } }'
    if not isinstance(v, dict):
        raise _fail(path, v, shape)
    lines: list[str] = []
    out: dict[str, dict[str, Decimal]] = {}
    amount = _num(ge=0)
    for venue, assets in v.items():
        if not isinstance(assets, dict):
            lines.append(f"{path}.{venue} = {_show(assets)}: {shape}")
            continue
        out[venue] = {}
        for asset, x in assets.items():
            try:
                out[venue][asset] = amount(f"{path}.{venue}.{asset}", x)
            except _Bad as e:
                lines += e.lines
    if lines:
        raise _Bad(*lines)
    return out


def _fee_currency(path: str, v: Any) -> str:
    if v not in ("received", "quote") or not isinstance(v, str):
        raise _fail(
            path,
            v,
            'must be "received" or "quote" (third-currency fee discounts (BNB, OKB, …) '
            "are out of scope: turn them off on the venue)",
        )
    return v


@cache
def _ccxt_ids() -> tuple[frozenset[str], frozenset[str]]:
    import ccxt
    import ccxt.pro

    return frozenset(ccxt.exchanges), frozenset(ccxt.pro.exchanges)


@cache
def required_credentials(ccxt_id: str) -> tuple[str, ...]:
    """Credential names ccxt requires for ``ccxt_id`` (``requiredCredentials``; offline)."""
    import ccxt

    return tuple(k for k, needed in getattr(ccxt, ccxt_id)().requiredCredentials.items() if needed)


def _ccxt_id(path: str, v: Any) -> str:
    if not isinstance(v, str) or not v:
        raise _fail(path, v, 'must be a ccxt exchange id, e.g. "okx"')
    all_ids, pro_ids = _ccxt_ids()
    if v not in all_ids:
        raise _fail(path, v, "not a ccxt exchange id (not in ccxt.exchanges)" + _suggest(v, pro_ids))
    if v not in pro_ids:
        raise _fail(path, v, "has no ccxt.pro class (not in ccxt.pro.exchanges), arb needs watch_order_book")
    return v


def _md(doc: str, parse: Parse | None = None, *, derived: bool = False) -> dict[str, Any]:
    """Field metadata: ``doc`` for humans and tests, ``parse`` the check, ``derived`` = not a TOML key."""
    return {"doc": doc, "parse": parse, "derived": derived}


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


# ---- the sections ----


@dataclass(frozen=True, slots=True)
class ScannerConfig:
    """``[scanner]``: what to watch and when a spread is worth acting on."""

    symbols: tuple[str, ...] = field(
        default=DEFAULT_SYMBOLS,
        metadata=_md(
            'unified ccxt spot symbols to scan, BASE/QUOTE (e.g. "BTC/USDT"); non-empty, no duplicates',
            _symbols,
        ),
    )
    venues: tuple[str, ...] = field(
        default=DEFAULT_VENUES,
        metadata=_md(
            "venues to scan: each a [venues.NAME] table or a plain ccxt.pro exchange id; "
            "at least 2, no duplicates",
            _venues,
        ),
    )
    min_net_bps: Decimal = field(
        default=Decimal("5"),
        metadata=_md(
            "act only if net profit after fees and slippage is at least this many bps of the cost (>= 0)",
            _num(ge=0),
        ),
    )
    min_net_profit: Decimal = field(
        default=Decimal("0.5"),
        metadata=_md("act only if net profit is at least this much, in quote currency (>= 0)", _num(ge=0)),
    )
    max_notional: Decimal = field(
        default=Decimal("1000"),
        metadata=_md("largest cost of one opportunity, in quote currency (> 0)", _num(gt=0)),
    )
    slippage_bps: Decimal = field(
        default=Decimal("2"),
        metadata=_md("buffer on each leg's worst walked price, in bps (>= 0)", _num(ge=0)),
    )
    max_book_age_ms: int = field(
        default=2000,
        metadata=_md(
            "staleness limit: books older than this many milliseconds are not used (> 0)",
            _num(gt=0, integer=True),
        ),
    )
    episode_gap_ms: int = field(
        default=500,
        metadata=_md(
            "an opportunity episode ends after this many milliseconds without the opportunity (> 0)",
            _num(gt=0, integer=True),
        ),
    )

    def __post_init__(self) -> None:
        _normalise(self, "scanner")


@dataclass(frozen=True, slots=True, repr=False)
class Credentials:
    """A venue's API credentials. Values never appear in ``repr``/``str``; :meth:`as_ccxt` passes them on."""

    api_key: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    source: str = "none"  # where they came from: "env", "secrets_file", "env+secrets_file" or "none"

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={'***' if v else '<unset>'}" for k, v in self._items())
        return f"Credentials({shown}, source={self.source!r})"

    __str__ = __repr__

    def _items(self) -> tuple[tuple[str, str | None], ...]:
        return (("apiKey", self.api_key), ("secret", self.secret), ("password", self.password))

    def as_ccxt(self) -> dict[str, str]:
        """The credentials that are set, under ccxt's constructor names (apiKey, secret, password)."""
        return {k: v for k, v in self._items() if v}


@dataclass(frozen=True, slots=True)
class VenueConfig:
    """``[venues.NAME]``: one venue (usually NAME is its ccxt id)."""

    name: str = field(
        default="", metadata=_md("arb's name for the venue: NAME in [venues.NAME]", derived=True)
    )
    ccxt_id: str = field(
        default="",
        metadata=_md('ccxt exchange id with a ccxt.pro class, e.g. "okx"; default: NAME', _ccxt_id),
    )
    options: dict[str, Any] = field(
        default_factory=dict,
        metadata=_md(
            "table merged into the ccxt constructor config (e.g. urls, options, timeout); "
            "no credentials here",
            _options,
        ),
    )
    taker_fee_bps: Decimal | None = field(
        default=None,
        metadata=_md(
            "taker fee override in bps (>= 0, < 10000); unset = the account's tier when keys are given, "
            "else ccxt's market fee",
            _optional(_num(ge=0, lt=10_000)),
        ),
    )
    fee_currency: FeeCurrency = field(
        default="received",
        metadata=_md(
            'where the taker fee is charged: "received" (base on a buy, quote on a sell) or "quote"',
            _fee_currency,
        ),
    )
    api_key_env: str = field(
        default="",
        metadata=_md("environment variable holding the API key; default ARB_<NAME>_API_KEY", _env_name),
    )
    secret_env: str = field(
        default="",
        metadata=_md("environment variable holding the API secret; default ARB_<NAME>_SECRET", _env_name),
    )
    password_env: str = field(
        default="",
        metadata=_md(
            "environment variable holding the API passphrase (OKX); default ARB_<NAME>_PASSWORD", _env_name
        ),
    )
    secrets_file: str | None = field(
        default=None,
        metadata=_md(
            "TOML file with apiKey/secret/password, mode 0600, outside the config directory and repository; "
            "environment variables win over it",
            _optional(_text),
        ),
    )
    book_depth: int | None = field(
        default=None,
        metadata=_md(
            "order book levels to subscribe to (> 0); unset = the venue's default",
            _optional(_num(gt=0, integer=True)),
        ),
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
class ExecutionConfig:
    """``[execution]``: whether and how opportunities become orders."""

    mode: str = field(
        default="alert",
        metadata=_md(
            '"alert" (no keys, no orders), "paper" (fills simulated against live books) '
            'or "live" (real orders, also needs --live)',
            _choice(*MODES),
        ),
    )
    on_partial: str = field(
        default="hedge",
        metadata=_md(
            'when legs fill unequally: "hedge" the difference at once, "retry" the short leg, '
            'or "hold" it as recorded open exposure',
            _choice(*ON_PARTIAL),
        ),
    )
    order_timeout_ms: int = field(
        default=3000,
        metadata=_md(
            "how long to wait for an order's final state before reconciling it, milliseconds (> 0)",
            _num(gt=0, integer=True),
        ),
    )
    confirm_updates: int = field(
        default=1,
        metadata=_md(
            "book updates in a row an opportunity must survive before it is acted on (>= 1)",
            _num(ge=1, integer=True),
        ),
    )
    depth_multiple: Decimal = field(
        default=Decimal("1"),
        metadata=_md("visible depth required as a multiple of the trade size (>= 1)", _num(ge=1)),
    )
    paper_latency_ms: int = field(
        default=50,
        metadata=_md("simulated order latency in paper mode, milliseconds (>= 0)", _num(ge=0, integer=True)),
    )
    paper_balances: dict[str, dict[str, Decimal]] = field(
        default_factory=dict,
        metadata=_md(
            "paper-mode starting balances, venue → asset → amount (>= 0); empty = not limited by balances",
            _balances,
        ),
    )
    cooldown_until_both_books_update: bool = field(
        default=True,
        metadata=_md(
            "after acting on a symbol and venue pair, wait until both books update before acting on it again",
            _bool,
        ),
    )

    def __post_init__(self) -> None:
        _normalise(self, "execution")


@dataclass(frozen=True, slots=True)
class RiskConfig:
    """``[risk]``: limits, kill switch and circuit breakers (quote currency unless named otherwise)."""

    max_notional_per_trade: Decimal = field(
        default=Decimal("1000"),
        metadata=_md("largest cost of one arbitrage, in quote currency (> 0)", _num(gt=0)),
    )
    max_exposure_per_asset: Decimal = field(
        default=Decimal("5000"),
        metadata=_md("largest open exposure in one asset across venues, in quote currency (> 0)", _num(gt=0)),
    )
    max_exposure_per_venue: Decimal = field(
        default=Decimal("10000"),
        metadata=_md("largest open exposure on one venue, in quote currency (> 0)", _num(gt=0)),
    )
    max_in_flight: int = field(
        default=1, metadata=_md("arbitrages executing at the same time (>= 1)", _num(ge=1, integer=True))
    )
    daily_loss_limit: Decimal = field(
        default=Decimal("100"),
        metadata=_md(
            "stop trading for the day once the day's loss reaches this, in quote currency (> 0)", _num(gt=0)
        ),
    )
    max_consecutive_failures: int = field(
        default=3,
        metadata=_md(
            "circuit breaker: stop trading after this many failed arbitrages in a row (>= 1)",
            _num(ge=1, integer=True),
        ),
    )
    max_venue_error_rate: Decimal = field(
        default=Decimal("0.5"),
        metadata=_md(
            "circuit breaker: pause a venue whose recent order error rate exceeds this fraction (> 0, <= 1)",
            _num(gt=0, le=1),
        ),
    )
    min_balances: dict[str, dict[str, Decimal]] = field(
        default_factory=dict,
        metadata=_md(
            "balances never traded below, venue → asset → amount (>= 0); empty = no floor", _balances
        ),
    )
    balance_drift_tolerance: Decimal = field(
        default=Decimal("0.01"),
        metadata=_md(
            "fraction by which venue balances may differ from the journal before trading stops (>= 0)",
            _num(ge=0),
        ),
    )
    kill_file: str = field(
        default="arb.kill",
        metadata=_md("while this file exists no new orders are sent (touch it to stop trading)", _text),
    )

    def __post_init__(self) -> None:
        _normalise(self, "risk")


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    """``[notify]``: apprise notifications (URLs hold tokens: they are redacted like secrets)."""

    urls: tuple[str, ...] = field(
        default=(),
        metadata=_md(
            'apprise notification URLs, e.g. ["tgram://bottoken/chatid"]; empty = no notifications', _urls
        ),
    )
    min_interval_s: Decimal = field(
        default=Decimal("30"),
        metadata=_md(
            "at most one notification per symbol and venue pair per this many seconds (>= 0)", _num(ge=0)
        ),
    )
    health_stale_s: int = field(
        default=30,
        metadata=_md(
            "notify when a feed has had no update for this many seconds (> 0)", _num(gt=0, integer=True)
        ),
    )
    heartbeat_s: int = field(
        default=0,
        metadata=_md("send a heartbeat every this many seconds (>= 0; 0 = off)", _num(ge=0, integer=True)),
    )
    on_episode_end: bool = field(
        default=True,
        metadata=_md("notify when an opportunity episode ends, with its duration and peak", _bool),
    )

    def __post_init__(self) -> None:
        _normalise(self, "notify")

    def __repr__(self) -> str:  # the URLs carry tokens
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["urls"] = tuple(_redact_url(u) for u in self.urls)
        return "NotifyConfig(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """``[store]``: the SQLite journal."""

    path: str = field(
        default="arb.db",
        metadata=_md(
            "SQLite journal for alert and live runs (relative paths are from the working directory)", _text
        ),
    )
    paper_path: str = field(
        default="arb-paper.db", metadata=_md("SQLite journal for paper runs; must differ from path", _text)
    )
    flush_ms: int = field(
        default=250,
        metadata=_md(
            "the writer flushes batched observations at least this often, milliseconds (> 0)",
            _num(gt=0, integer=True),
        ),
    )
    queue_size: int = field(
        default=10_000,
        metadata=_md(
            "observations buffered for the writer; beyond this they are dropped and counted (> 0)",
            _num(gt=0, integer=True),
        ),
    )

    def __post_init__(self) -> None:
        _normalise(self, "store")


# Section name → dataclass; "venues" is a table of VenueConfig tables.
SECTIONS: dict[str, type] = {
    "scanner": ScannerConfig,
    "venues": VenueConfig,
    "execution": ExecutionConfig,
    "risk": RiskConfig,
    "notify": NotifyConfig,
    "store": StoreConfig,
}


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration: build with :func:`load_config`, :meth:`from_dict`, :func:`default_config`."""

    scanner: ScannerConfig = field(default_factory=ScannerConfig, metadata=_md("[scanner] table"))
    venues: dict[str, VenueConfig] = field(
        default_factory=dict,
        metadata=_md("[venues.NAME] tables; venues in scanner.venues without a table get the defaults"),
    )
    execution: ExecutionConfig = field(default_factory=ExecutionConfig, metadata=_md("[execution] table"))
    risk: RiskConfig = field(default_factory=RiskConfig, metadata=_md("[risk] table"))
    notify: NotifyConfig = field(default_factory=NotifyConfig, metadata=_md("[notify] table"))
    store: StoreConfig = field(default_factory=StoreConfig, metadata=_md("[store] table"))
    source: str = field(
        default="<defaults>",
        compare=False,
        metadata=_md("where the config came from (file path, <dict> or <defaults>)", derived=True),
    )

    def __post_init__(self) -> None:
        missing = {n: VenueConfig(name=n) for n in self.scanner.venues if n not in self.venues}
        object.__setattr__(self, "venues", {**self.venues, **missing})
        problems = _cross_problems(self.scanner, self.venues, self.execution, self.risk, self.store, set())
        if problems:
            raise ConfigError(problems)

    @classmethod
    def from_dict(
        cls,
        d: Mapping[str, Any],
        env: Mapping[str, str] = os.environ,
        source: str = "<dict>",
        base_dir: str | Path | None = None,
    ) -> Config:
        """Validate a parsed TOML document plus ``ARB__…`` overrides from ``env``; raise all problems.

        ``base_dir`` anchors a relative ``secrets_file`` (default: the working directory).
        """
        return _build_config(d, env, source, Path(base_dir) if base_dir is not None else None)

    def limits(self) -> Limits:
        """The evaluator's thresholds from ``[scanner]``."""
        s = self.scanner
        return Limits(
            min_net_bps=s.min_net_bps,
            min_net_profit=s.min_net_profit,
            max_notional=s.max_notional,
            slippage_bps=s.slippage_bps,
        )

    def venue(self, name: str) -> VenueConfig:
        """The venue called ``name`` (a [venues.NAME] table or a plain ccxt id from scanner.venues)."""
        try:
            return self.venues[name]
        except KeyError:
            raise ConfigError(
                f"venues.{name}: not configured (configured: {', '.join(self.venues)})"
            ) from None

    def active_venues(self) -> tuple[VenueConfig, ...]:
        """The venues in ``scanner.venues``, in that order."""
        return tuple(self.venues[n] for n in self.scanner.venues)


def default_config() -> Config:
    """The built-in defaults (alert mode, okx + binance + bybit, five liquid USDT pairs), no environment."""
    return Config.from_dict({}, env={}, source="<defaults>")


def load_config(path: str | Path | None, env: Mapping[str, str] = os.environ) -> Config:
    """Read a TOML file (or only defaults if ``path`` is None), apply ``ARB__…`` overrides, validate."""
    if path is None:
        return Config.from_dict({}, env=env, source="<defaults>")
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file, start from config.example.toml") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{p}: not valid TOML: {e}") from None
    return Config.from_dict(data, env=env, source=str(p), base_dir=p.resolve().parent)


# ---- building: overrides, sections, credentials, cross-field checks ----


def _env_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _env_key(prefix: list[str], part: str, node: Any) -> str:
    if isinstance(node, dict):
        for k in node:
            if isinstance(k, str) and k.lower() == part.lower():
                return k
    if len(prefix) >= 2 and prefix[1] in ("paper_balances", "min_balances"):
        return part.upper() if len(prefix) == 3 else part.lower()  # venue → ASSET
    if len(prefix) >= 3 and prefix[0] == "venues":
        return part  # inside options: ccxt keys are camelCase, keep as written
    return part.lower()


def _apply_env(
    raw: dict[str, Any], env: Mapping[str, str], problems: list[str], origins: dict[str, str]
) -> None:
    for name in sorted(k for k in env if k.startswith(ENV_PREFIX)):
        parts = name[len(ENV_PREFIX) :].split("__")
        if not all(parts):
            problems.append(
                f"{name}: malformed override, use ARB__SECTION__KEY, e.g. ARB__SCANNER__MIN_NET_BPS=3"
            )
            continue
        value = _env_value(env[name])
        keys: list[str] = []
        node: Any = raw
        for part in parts:
            keys.append(_env_key(keys, part, node))
            node = node.get(keys[-1]) if isinstance(node, dict) else None
        if len(keys) == 1:
            problems.append(f"{name}: overrides a whole section, use ARB__{parts[0]}__KEY=value instead")
            continue
        node = raw
        for i, k in enumerate(keys[:-1]):
            if k not in node:
                origins.setdefault(".".join(keys[: i + 1]), name)  # a table only this override creates
            nxt = node.setdefault(k, {})
            if not isinstance(nxt, dict):
                parent = ".".join(keys[: i + 1])
                problems.append(f"{'.'.join(keys)}: cannot override from {name}: {parent} is not a table")
                break
            node = nxt
        else:
            node[keys[-1]] = value
            origins[".".join(keys)] = name


def _unknown(path: str, key: str, value: Any, allowed: list[str], venue: str | None = None) -> str:
    if _norm(key) in SECRET_KEYS and isinstance(value, str):
        return _secret_line(path, key, venue)
    hint = _suggest(key, allowed) or f" (allowed: {', '.join(allowed)})"
    return f"{path}: unknown key{hint}"


def _build_section(cls: type, raw: Any, path: str, problems: list[str], bad: set[str], **extra: Any) -> Any:
    if not isinstance(raw, dict):
        problems.append(f"{path} = {_show(raw)}: must be a table, written [{path}]")
        bad.add(path)
        return None
    known = {f.name: f for f in fields(cls) if not f.metadata["derived"]}
    values: dict[str, Any] = {}
    reported: list[str] = []
    for k, v in raw.items():
        p = f"{path}.{k}"
        if k not in known:
            problems.append(_unknown(p, k, v, list(known), extra.get("name")))
            continue
        try:
            values[k] = known[k].metadata["parse"](p, v)
        except _Bad as e:
            problems.extend(e.lines)
            reported.append(p)
    bad.update(reported)
    try:
        return cls(**values, **extra)  # bad values fall back to defaults so cross-field checks can still run
    except ConfigError as e:  # a default derived from a bad value: report only what is new
        problems.extend(x for x in e.problems if not any(x.startswith(p + " ") for p in reported))
        bad.add(path)
        return None


def _repo_root(start: Path) -> Path | None:
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return None


def _read_secrets_file(v: VenueConfig, base: Path, forbidden: list[Path]) -> tuple[dict[str, str], list[str]]:
    assert v.secrets_file is not None
    key = f"venues.{v.name}.secrets_file = {_show(v.secrets_file)}"
    p = Path(v.secrets_file).expanduser()
    p = (p if p.is_absolute() else base / p).resolve()
    if not p.is_file():
        return {}, [f"{key}: no such file ({p})"]
    lines = [
        f"{key}: is inside {root} (the config directory or repository): keep secrets files outside it, "
        f"e.g. ~/.arb-secrets/{v.name}.toml"
        for root in forbidden
        if p.is_relative_to(root)
    ][:1]
    mode = p.stat().st_mode & 0o777
    if mode & 0o077:
        lines.append(
            f"{key}: mode {mode:04o} lets group or others read it, must be 0600 or stricter (chmod 600 {p})"
        )
    if lines:
        return {}, lines
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        return {}, [f"{key}: cannot read it as TOML ({type(e).__name__})"]
    out: dict[str, str] = {}
    for k, x in data.items():
        if k not in CREDENTIAL_KEYS:
            allowed = ", ".join(CREDENTIAL_KEYS)
            lines.append(f"{key}: unknown key {k!r}{_suggest(k, CREDENTIAL_KEYS)} (allowed: {allowed})")
        elif not isinstance(x, str) or not x:
            lines.append(f"{key}: {k} must be a non-empty string")
        else:
            out[k] = x
    return out, lines


def _credentials(
    v: VenueConfig, env: Mapping[str, str], base: Path, forbidden: list[Path]
) -> tuple[VenueConfig, list[str]]:
    from_file, lines = _read_secrets_file(v, base, forbidden) if v.secrets_file else ({}, [])
    found: dict[str, str] = {}
    sources = set()
    for ccxt_key, env_name in zip(
        CREDENTIAL_KEYS, (v.api_key_env, v.secret_env, v.password_env), strict=True
    ):
        if env.get(env_name):
            found[ccxt_key] = env[env_name]
            sources.add("env")
        elif ccxt_key in from_file:
            found[ccxt_key] = from_file[ccxt_key]
            sources.add("secrets_file")
    creds = Credentials(
        api_key=found.get("apiKey"),
        secret=found.get("secret"),
        password=found.get("password"),
        source="+".join(sorted(sources)) or "none",
    )
    resolved = str((base / Path(v.secrets_file).expanduser()).resolve()) if v.secrets_file else None
    return dataclasses.replace(v, credentials=creds, secrets_file=resolved), lines


def _cross_problems(
    scanner: ScannerConfig,
    venues: Mapping[str, VenueConfig],
    execution: ExecutionConfig,
    risk: RiskConfig,
    store: StoreConfig,
    bad: set[str],
) -> list[str]:
    """Checks that span fields; skipped where a field they rely on is already reported as bad."""
    lines: list[str] = []
    known = list(venues)
    if "scanner.venues" not in bad and "scanner" not in bad:
        for path, table in (
            ("execution.paper_balances", execution.paper_balances),
            ("risk.min_balances", risk.min_balances),
        ):
            listed = " (venues: " + ", ".join(known) + ")"
            lines += [
                f"{path}.{n}: not a configured venue{_suggest(n, known) or listed}"
                for n in table
                if n not in venues
            ]
        if execution.mode == "live":
            for name in scanner.venues:
                if name in venues and f"venues.{name}" not in bad:
                    lines += _live_problems(venues[name])
    if store.path == store.paper_path:
        lines.append(
            f"store.paper_path = {_show(store.paper_path)}: must differ from store.path "
            "(paper and live journals are separate files)"
        )
    return lines


def _live_problems(v: VenueConfig) -> list[str]:
    required = required_credentials(v.ccxt_id)
    have = v.credentials.as_ccxt()
    env_names = {
        "apiKey": v.api_key_env,
        "secret": v.secret_env,
        "password": f"{v.password_env} (API passphrase)",
    }
    missing = [env_names[k] for k in CREDENTIAL_KEYS if k in required and k not in have]
    lines = []
    if missing:
        lines.append(
            f'venues.{v.name}: execution.mode = "live" needs credentials: set {", ".join(missing)} '
            f"in the environment, or give {_SECRETS_HINT}"
        )
    unsupported = [k for k in required if k not in CREDENTIAL_KEYS]
    if unsupported:
        lines.append(
            f'venues.{v.name}: execution.mode = "live": ccxt {v.ccxt_id} needs {", ".join(unsupported)}, '
            "which arb does not support (only apiKey, secret, password)"
        )
    return lines


def _annotate(line: str, origins: dict[str, str]) -> str:
    hits = [
        p for p in origins if line.startswith(p) and line[len(p) : len(p) + 1] in ("", " ", ".", "[", ":")
    ]
    return f"{line} (from environment {origins[max(hits, key=len)]})" if hits else line


def _build_config(d: Mapping[str, Any], env: Mapping[str, str], source: str, base_dir: Path | None) -> Config:
    raw: dict[str, Any] = copy.deepcopy(dict(d))
    problems: list[str] = []
    origins: dict[str, str] = {}
    bad: set[str] = set()
    _apply_env(raw, env, problems, origins)
    for k, v in raw.items():
        if k not in SECTIONS:
            problems.append(_unknown(k, k, v, list(SECTIONS)))
    built = {
        s: _build_section(SECTIONS[s], raw.get(s, {}), s, problems, bad) for s in SECTIONS if s != "venues"
    }
    scanner = built["scanner"] or ScannerConfig()

    from_file = not source.startswith("<")
    base = base_dir or Path.cwd()
    forbidden = [base.resolve()] if from_file else []
    repo = _repo_root(base.resolve())
    if repo is not None and repo not in forbidden:
        forbidden.append(repo)

    venues: dict[str, VenueConfig] = {}
    raw_venues = raw.get("venues", {})
    if not isinstance(raw_venues, dict):
        problems.append(f"venues = {_show(raw_venues)}: must be tables written [venues.NAME]")
        bad.add("venues")
        raw_venues = {}
    for name, table in raw_venues.items():
        v = _build_section(VenueConfig, table, f"venues.{name}", problems, bad, name=name)
        if v is not None:
            v, lines = _credentials(v, env, base, forbidden)
            problems += lines
            bad.update({f"venues.{name}"} if lines else set())
            venues[name] = v
        else:
            bad.add(f"venues.{name}")
    if "scanner.venues" not in bad:
        for i, name in enumerate(scanner.venues):
            if name in venues or name in raw_venues:
                continue
            try:
                v = VenueConfig(name=name)
            except ConfigError:
                hint = _suggest(name, [*_ccxt_ids()[1], *raw_venues])
                problems.append(
                    f"scanner.venues[{i}] = {_show(name)}: no [venues.{name}] table and not a "
                    f"ccxt.pro exchange id{hint}"
                )
                bad.add("scanner.venues")
                continue
            venues[name], _ = _credentials(v, env, base, forbidden)

    if built["execution"] and built["risk"] and built["store"]:
        problems += _cross_problems(scanner, venues, built["execution"], built["risk"], built["store"], bad)
    if problems:
        prefix = f"{source}: " if from_file else ""
        raise ConfigError([prefix + _annotate(line, origins) for line in problems])
    return Config(
        scanner=scanner,
        venues=venues,
        execution=built["execution"],
        risk=built["risk"],
        notify=built["notify"],
        store=built["store"],
        source=source,
    )


# ---- redaction ----


def _redact_url(url: Any) -> str:
    scheme, sep, rest = str(url).partition("://")
    return f"{scheme}://{REDACTED}" if sep and rest else REDACTED


_USERINFO_RE = re.compile(r"(://)[^/@\s]+@")


def _plain(obj: Any, keep_decimals: bool) -> Any:
    if isinstance(obj, Credentials):
        return {k: (REDACTED if v else None) for k, v in obj._items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: _plain(getattr(obj, f.name), keep_decimals)
            for f in fields(obj)
            if not f.metadata.get("derived")
        }
    if isinstance(obj, Mapping):
        return {str(k): _plain(v, keep_decimals) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [_plain(v, keep_decimals) for v in obj]
    if isinstance(obj, Decimal):
        return obj if keep_decimals else str(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, str):
        return _USERINFO_RE.sub(rf"\1{REDACTED}@", obj)
    if obj is None or isinstance(obj, bool | int | float):
        return obj
    return str(obj)


def _redact_tree(tree: Any, path: tuple[str, ...]) -> Any:
    if isinstance(tree, dict):
        out = {}
        for k, v in tree.items():
            if _norm(k) in SECRET_KEYS and v is not None:
                out[k] = REDACTED
            elif path == ("notify",) and k == "urls" and isinstance(v, list):
                out[k] = [_redact_url(u) for u in v]
            else:
                out[k] = _redact_tree(v, (*path, k))
        return out
    if isinstance(tree, list):
        return [_redact_tree(v, path) for v in tree]
    return tree


def redact(obj: Config | Mapping[str, Any] | Any, *, keep_decimals: bool = False) -> dict[str, Any]:
    """The effective config as plain data with secrets, credentials and notify URL tokens set to "REDACTED".

    JSON-able (Decimals become strings) unless ``keep_decimals``. Safe to log or print.
    """
    tree = _redact_tree(_plain(obj, keep_decimals), ())
    return tree if isinstance(tree, dict) else {"value": tree}
