"""The one dust rule: below which base residual an opportunity holds no exposure. Pure.

A long residual that no single sell order on any of the opportunity's venues could place (the venue's lot,
minimum amount, and minimum cost at the lowest price a hedge would sell at there: the bid widened by
``HEDGE_BAND_BPS``) is dust: inventory, not an exposure a hedge can flatten (:func:`arb.core.ledger.dust_limit`).
Short residuals are never dust. The executor's settlement (:mod:`arb.trade.settle`: is there an exposure to
record and hedge?) and the day's PnL (:mod:`arb.trade.accounts`: which residual is marked) both use
:func:`dust_of`, so the exposure the risk limit values is the exposure the executor recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from arb.core.ledger import dust_limit, min_sellable
from arb.core.model import BPS, ONE, MarketSpec

HEDGE_BAND_BPS = Decimal(50)  # a hedge is IOC at the walked worst price widened by this (a guarded market order)


def dust_of(
    markets: Mapping[tuple[str, str], MarketSpec],
    symbol: str,
    venues: Iterable[str],
    bid_of: Callable[[str], Decimal | None],
) -> Decimal | None:
    """The dust limit of a residual in ``symbol`` held across ``venues``; ``bid_of(venue)``: the venue's best bid
    (a mid stands in when that is all there is; None when unknown: the minimum cost is then not checked).
    None when none of the venues' markets is known."""
    sellable = []
    for v in dict.fromkeys(venues):
        m = markets.get((v, symbol))
        if m is None:
            continue
        bid = bid_of(v)
        price = None if bid is None else bid * (ONE - HEDGE_BAND_BPS / BPS)
        sellable.append(min_sellable(m.amount_step, m.min_amount, m.min_cost, price))
    return dust_limit(sellable) if sellable else None
