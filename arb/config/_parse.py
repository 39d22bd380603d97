"""Value parsers for config keys, and the helpers that write one problem line per bad value.

Each parser takes ``(key path, raw value)`` and returns the typed value or raises :class:`_Bad`
holding complete problem lines (``"<path> = <value>: <what is allowed>"``).
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from arb.redaction import _EXACT as _SECRET_EXACT
from arb.redaction import is_secret_name, url_has_credentials
from arb.redaction import norm as _norm

# Key names (lower case, without "_" and "-") that hold secrets wherever they appear; the full rule
# (suffixes such as *-KEY, *-SIGN, *APIKEY*) is arb.redaction.is_secret_name, used for every check here.
SECRET_KEYS = _SECRET_EXACT
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


def _suggest(word: str, choices: Any) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{match[0]}"?)' if match else ""


def _secret_line(path: str, key: str, venue: str | None) -> str:
    """One line refusing a credential-bearing key; never shows its value."""
    n = _norm(key)
    kind = "PASSWORD" if n.endswith(("password", "passphrase")) else "API_KEY" if n.endswith("key") else "SECRET"
    what = {"PASSWORD": "API passphrase", "API_KEY": "API key", "SECRET": "API secret (ccxt signs requests with it)"}
    where = f"the environment variable ARB_{venue.upper()}_{kind}" if venue else "an environment variable"
    return (
        f"{path}: literal secrets are not allowed in the config file (credentials such as the {what[kind]} "
        f"belong in {where}, or in {_SECRETS_HINT}); remove this key"
    )


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
        raise _fail(path, v, 'must be an environment variable name (letters, digits, _), e.g. "ARB_OKX_API_KEY"')
    return v


def _str_list(path: str, v: Any, item: Callable[[str, Any], str | None], *, min_len: int, what: str) -> tuple[str, ...]:
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
    """A line per credential-named key anywhere in a table (nested tables and lists included)."""
    lines: list[str] = []
    if isinstance(v, dict):
        for k, x in v.items():
            p = f"{path}.{k}"
            lines += [_secret_line(p, str(k), venue)] if is_secret_name(str(k)) else _secret_keys_in(p, x, venue)
    elif isinstance(v, list | tuple):
        for i, x in enumerate(v):
            lines += _secret_keys_in(f"{path}[{i}]", x, venue)
    elif isinstance(v, str) and "://" in v and url_has_credentials(v):
        lines.append(
            _secret_line(path, "url", venue).replace(
                "literal secrets are not allowed",
                "a URL with credentials (user:password@ or a key/signature query parameter) is not allowed",
                1,
            )
        )
    return lines


def _options(path: str, v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _fail(path, v, "must be a table merged into the ccxt constructor config, e.g. { timeout = 10000 }")
    lines = _secret_keys_in(path, v, path.split(".")[1] if path.startswith("venues.") else None)
    if v.get("verbose"):  # ccxt's verbose mode print()s every signed request, past arb's redacting log handler
        lines.append(
            f"{path}.verbose = {_show(v['verbose'])}: ccxt's verbose mode prints request headers with "
            "credentials to stdout; use `arb -vv` instead (ccxt's requests at DEBUG, credentials redacted)"
        )
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
