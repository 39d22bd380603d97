"""JSON codec for the evaluator's inputs: :class:`MarketSpec`, :class:`Fee`, :class:`Limits`, :class:`Balances`.

One encoding for recordings (:mod:`arb.review.record`) and episode snapshots (:mod:`arb.scan.episodes`):
money is a decimal string, exactly; an absent bound is ``null``. Pure.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from arb.core.model import Balances, Fee, Limits, MarketSpec


def opt_str(x: Decimal | None) -> str | None:
    return None if x is None else str(x)


def opt_dec(x: str | None) -> Decimal | None:
    return None if x is None else Decimal(x)


def market_to_json(m: MarketSpec) -> dict[str, Any]:
    return {
        "symbol": m.symbol,
        "base": m.base,
        "quote": m.quote,
        "amount_step": str(m.amount_step),
        "price_step": str(m.price_step),
        "min_amount": opt_str(m.min_amount),
        "max_amount": opt_str(m.max_amount),
        "min_cost": opt_str(m.min_cost),
        "max_cost": opt_str(m.max_cost),
    }


def market_from_json(d: dict[str, Any]) -> MarketSpec:
    return MarketSpec(
        symbol=d["symbol"],
        base=d["base"],
        quote=d["quote"],
        amount_step=Decimal(d["amount_step"]),
        price_step=Decimal(d["price_step"]),
        min_amount=opt_dec(d.get("min_amount")),
        max_amount=opt_dec(d.get("max_amount")),
        min_cost=opt_dec(d.get("min_cost")),
        max_cost=opt_dec(d.get("max_cost")),
    )


def fee_to_json(f: Fee) -> dict[str, str]:
    return {"taker": str(f.taker), "currency": f.currency, "source": f.source}


def fee_from_json(d: dict[str, Any], source: str = "recording") -> Fee:
    """``source`` names where the fee came from when the document does not say."""
    return Fee(Decimal(d["taker"]), d["currency"], d.get("source", source))


def limits_to_json(lim: Limits) -> dict[str, str | None]:
    return {
        "min_net_bps": str(lim.min_net_bps),
        "min_net_profit": str(lim.min_net_profit),
        "max_notional": opt_str(lim.max_notional),
        "slippage_bps": str(lim.slippage_bps),
    }


def limits_from_json(d: dict[str, Any]) -> Limits:
    return Limits(
        min_net_bps=Decimal(d["min_net_bps"]),
        min_net_profit=Decimal(d["min_net_profit"]),
        max_notional=opt_dec(d.get("max_notional")),
        slippage_bps=Decimal(d["slippage_bps"]),
    )


def balances_to_json(b: Balances) -> dict[str, str | None]:
    return {"quote_on_buy": opt_str(b.quote_on_buy), "base_on_sell": opt_str(b.base_on_sell)}


def balances_from_json(d: dict[str, Any]) -> Balances:
    return Balances(quote_on_buy=opt_dec(d.get("quote_on_buy")), base_on_sell=opt_dec(d.get("base_on_sell")))
