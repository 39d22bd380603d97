"""Shared builders for tests (nautilus test_kit/stubs idea): books, markets, fees."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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


def toml_value(v: Any) -> str:
    """A TOML value (booleans, numbers, Decimals, strings, lists, inline tables)."""
    import json

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float | Decimal):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"
    if v is None:
        raise TypeError("TOML has no null")
    raise TypeError(type(v))


def toml_text(d: dict[str, Any]) -> str:
    """A tiny TOML writer for the configs subprocess tests use: top-level tables, [venues.NAME] tables."""
    lines: list[str] = []
    for section, body in d.items():
        if section == "venues":
            for name, table in body.items():
                lines.append(f"[venues.{name}]")
                lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
            continue
        if not body:
            continue
        lines.append(f"[{section}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"
