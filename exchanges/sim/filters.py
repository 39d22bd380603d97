"""A venue's order filters, venue-neutral: size, notional, price range and price band of a new order.

Pure: :func:`check` raises the :class:`~exchanges.sim.orders.Reject` an order deserves under a
:class:`~exchanges.sim.market.SymbolSpec` (each dialect maps the reason to its real error), given the
venue's reference price (its mid: Binance's 5-minute average price and Bybit's index/last price are
both modelled by it) and the best opposite price (what a market order is valued at).
"""

from __future__ import annotations

from decimal import Decimal

from exchanges.sim.market import SymbolSpec
from exchanges.sim.orders import Order, Reject


def check(spec: SymbolSpec, o: Order, ref: Decimal, best: Decimal | None) -> None:
    """Raise the first filter the order breaks (tick/lot/min size are the engine's grid checks)."""
    limit = o.type == "limit" and o.price is not None
    if limit:
        assert o.price is not None
        if (spec.min_price is not None and o.price < spec.min_price) or (
            spec.max_price is not None and o.price > spec.max_price
        ):
            raise Reject("price_range", f"{o.price} outside [{spec.min_price}, {spec.max_price}]")
        _band(spec, o.side, o.price, ref)
    if not o.quote_amount:
        cap = spec.max_size if limit or spec.max_market_size is None else spec.max_market_size
        if cap is not None and o.amount > cap:
            raise Reject("max_size", f"{'limit' if limit else 'market'} {o.amount} > {cap}")
    if o.quote_amount:
        notional = o.amount
    else:
        px = o.price if limit else (best if best is not None else ref)
        assert px is not None
        notional = o.amount * px
    if notional < spec.min_notional:
        raise Reject("min_notional", f"{notional} < {spec.min_notional}")
    cap = spec.max_notional if limit else spec.max_market_notional
    if cap is not None and notional > cap:
        raise Reject("max_notional", f"{'limit' if limit else 'market'} {notional} > {cap}")


def _band(spec: SymbolSpec, side: str, price: Decimal, ref: Decimal) -> None:
    up, down = spec.band[:2] if side == "buy" else spec.band[2:]
    if up is not None and price > ref * up:
        raise Reject("price_limit", f"{side} {price} > {ref * up}", bound=ref * up, side=side)
    if down is not None and price < ref * down:
        raise Reject("price_limit", f"{side} {price} < {ref * down}", bound=ref * down, side=side)
