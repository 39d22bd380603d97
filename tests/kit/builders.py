"""Shared builders for tests (nautilus test_kit/stubs idea): books, markets, fees, config files."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import tomli_w

from arb.core.model import Fee, MarketSpec

D = Decimal


def make_book(bids: list[tuple[Any, Any]] = (), asks: list[tuple[Any, Any]] = (), *, floats: bool = True) -> dict:
    """A ccxt-shaped order book. ``floats`` mimics ccxt (numbers as floats); else exact Decimals."""
    conv = float if floats else Decimal
    return {
        "bids": [[conv(str(p)), conv(str(a))] for p, a in bids],
        "asks": [[conv(str(p)), conv(str(a))] for p, a in asks],
    }


def market(
    symbol: str = "BTC/USDT",
    *,
    lot: str = "0.00001",
    tick: str = "0.01",
    min_amount: str | None = None,
    min_cost: str | None = None,
    max_amount: str | None = None,
    max_cost: str | None = None,
) -> MarketSpec:
    base, quote = symbol.split("/")
    return MarketSpec(
        symbol=symbol,
        base=base,
        quote=quote,
        amount_step=D(lot),
        price_step=D(tick),
        min_amount=None if min_amount is None else D(min_amount),
        max_amount=None if max_amount is None else D(max_amount),
        min_cost=None if min_cost is None else D(min_cost),
        max_cost=None if max_cost is None else D(max_cost),
    )


def ccxt_market(
    symbol: str = "BTC/USDT", *, lot: float = 1e-5, tick: float = 0.01, min_cost: float | None = 5.0
) -> dict:
    """A market dict shaped like ccxt's (TICK_SIZE precision mode, floats)."""
    base, quote = symbol.split("/")
    return {
        "symbol": symbol,
        "base": base,
        "quote": quote,
        "active": True,
        "precision": {"amount": lot, "price": tick},
        "limits": {"amount": {"min": lot, "max": None}, "cost": {"min": min_cost, "max": None}, "price": {}},
    }


def fee(rate: str = "0.001", currency: str = "received") -> Fee:
    return Fee(taker=D(rate), currency=currency)  # type: ignore[arg-type]


def _toml_ready(v: Any) -> Any:
    """``v`` with Decimals as TOML numbers (exactly: a Decimal a float cannot carry is refused) and tuples as lists."""
    if isinstance(v, Decimal):
        f = float(v)
        if Decimal(repr(f)) != v:
            raise TypeError(f"{v!r} does not survive as a TOML float; pass a str")
        return int(v) if v == v.to_integral_value() and "." not in str(v) and "E" not in str(v) else f
    if isinstance(v, dict):
        return {str(k): _toml_ready(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_toml_ready(x) for x in v]
    if v is None:
        raise TypeError("TOML has no null")
    return v


def toml_text(d: dict[str, Any]) -> str:
    """The TOML text of a config dict (tomli-w), for the configs subprocess tests write; empty sections are left out."""
    return tomli_w.dumps({k: _toml_ready(v) for k, v in d.items() if v != {}})
