"""Fee-aware opportunity evaluator: the size that maximises net profit, exactly.

Pure function of its inputs (two ccxt-shaped books, fees, markets, limits, balances). The money
semantics, pinned (README "Money semantics" says the same):

* ``B`` — base bought on the buy venue, on its lot grid. ``φ`` = buy fee rate if the buy venue
  charges it in the currency received (base), else 0; ``ψ`` = buy fee rate if charged in quote.
* ``S = floor_sell_lot(B·(1−φ))`` — base sold; the leftover dust stays in inventory at zero value.
* ``s`` = slippage buffer (bps/10,000). Buffered VWAPs: ``V'b = VWAP_buy(B)·(1+s)``,
  ``V's = VWAP_sell(S)·(1−s)``.
* ``cost = B·V'b·(1+ψ)``; ``proceeds = S·V's·(1−f_sell)``; ``net = proceeds − cost``;
  ``net_bps = net / cost × 10,000``.
* Limit prices: buy = worst ask walked × (1+s) rounded **up** to the tick; sell = worst bid walked
  × (1−s) rounded **down**. The pair is skipped unless sell limit > buy limit (the rounded limits
  must still leave a positive edge).
* Constraints: both books' depth, ``B·VWAP_buy ≤ max_notional``, quote balance on the buy venue
  ``≥ B·buy_limit·(1+ψ)`` (what a venue reserves for a limit buy), base balance on the sell venue
  ``≥ S``, each market's min/max amount and min/max cost (amount × limit price), ``net > 0``,
  ``net ≥ min_net_profit`` and ``net_bps ≥ min_net_bps``.
* The chosen ``B`` maximises ``net`` over every feasible ``B``; ties go to the smaller size.

The search is exact without enumerating every lot, with a stated bound. Monotone constraints
(depth, balances, notional, min/max amount, limit-price edge) bound ``B`` to ``[lo, hi]`` by
galloping search (O(log N) exact point evaluations, N = lots up to the depth bound). Without a quote
cap (no ``max_notional``, quote balance or market max cost), the depth bound is where the concave
envelope — net with ``S = B·(1−φ)`` unrounded, an upper bound on net at every size — can no longer
clear ``net > 0``, ``min_net_profit`` and ``min_net_bps``: lot rounding can make sizes well past the
marginal level the best (a size that completes whole sell lots), so stopping where the marginal
edge turns negative is not exact. Inside ``[lo, hi]``, :mod:`arb.core.search` splits the
lots into pieces where neither book changes level (P ≤ levels read) and solves each exactly as a
linear function over a lattice path in O(log q) integer operations (q = denominator of
``lb·(1−φ)/ls`` in lowest terms), times O(log N) when ``min_net_bps`` binds inside the piece.

Time bound of one evaluation, for L levels read, P ≤ L pieces and N lots in ``[lo, hi]``:
O(L·log L + log N·log L + P·log q·log N) arithmetic operations on numbers of O(60 digits + log N)
— independent of how many sizes tie or of how long a rounding sawtooth runs: no lot is stepped.
``meta["steps"]`` counts the search's monoid products and exact point evaluations.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import Any

from arb.core.books import ladders
from arb.core.envelope import buy_depth_bound
from arb.core.model import (
    BPS,
    ONE,
    Balances,
    Fee,
    Leg,
    Limits,
    MarketSpec,
    Opportunity,
    Side,
)
from arb.core.search import search
from arb.core.sizing import PREC, Point, Problem
from arb.core.sizing import ceil_to as ceil_to  # re-exported: rounding helpers callers know from here
from arb.core.sizing import floor_to as floor_to


def _as_market(m: MarketSpec | Mapping[str, Any]) -> MarketSpec:
    return m if isinstance(m, MarketSpec) else MarketSpec.from_ccxt(m)


def evaluate(
    buy_book: Mapping[str, Any],
    sell_book: Mapping[str, Any],
    *,
    buy_market: MarketSpec | Mapping[str, Any],
    sell_market: MarketSpec | Mapping[str, Any],
    buy_fee: Fee,
    sell_fee: Fee,
    limits: Limits | None = None,
    balances: Balances | None = None,
    symbol: str | None = None,
    buy_venue: str = "buy",
    sell_venue: str = "sell",
    why: list[str] | None = None,
) -> Opportunity | None:
    """Buy on ``buy_book``'s asks, sell on ``sell_book``'s bids: the net-profit-maximising size, or None.

    Books are ccxt-shaped dicts (floats are read through ``str``); markets are ccxt market dicts or
    :class:`MarketSpec`. Raises :class:`arb.core.errors.BookError` for malformed or crossed books and
    :class:`arb.core.errors.MarketError` for markets without precision. When nothing qualifies and ``why``
    is a list, one reason code is appended: ``empty_book``, ``no_cross_after_fees``, ``capped``
    (balance, notional, max size or limit-price edge leave no lot), ``too_thin`` (min amount or
    min notional unreachable) or ``below_threshold`` (no size clears net > 0, min profit, min bps).
    """
    limits = limits or Limits()
    balances = balances or Balances()
    bm, sm = _as_market(buy_market), _as_market(sell_market)
    symbol = symbol or bm.symbol
    with localcontext() as ctx:
        ctx.prec = PREC
        _, asks = ladders(buy_book, f"{buy_venue} {symbol}", venue=buy_venue, symbol=symbol)
        bids, _ = ladders(sell_book, f"{sell_venue} {symbol}", venue=sell_venue, symbol=symbol)
        best_ask, best_bid = asks.best(), bids.best()
        if best_ask is None or best_bid is None:
            return _reject(why, "empty_book")
        p = Problem(asks, bids, bm, sm, buy_fee, sell_fee, limits, balances)
        # Cheap exit: the best levels do not cross after fees and buffer.
        if best_bid * p.sell_mult * p.keep <= best_ask * p.buy_mult:
            return _reject(why, "no_cross_after_fees")
        b_cap = buy_depth_bound(p)
        hi_index = int((b_cap / p.lb).to_integral_value(ROUND_FLOOR))
        hi = p.boundary(p.upper_ok, p.estimate_hi(b_cap), 1, hi_index, last_true=True)
        if hi is None:
            return _reject(why, "capped")
        lo = p.boundary(p.lower_ok, p.estimate_lo(), 1, hi, last_true=False)
        if lo is None:
            return _reject(why, "too_thin")
        best, steps = search(p, lo, hi)
        if best is None:
            return _reject(why, "below_threshold")
        return _opportunity(
            p, best, symbol, buy_venue, sell_venue, steps, p.asks.prices[best.buy_level], p.bids.prices[best.sell_level]
        )


def _reject(why: list[str] | None, reason: str) -> Opportunity | None:
    """Note ``reason`` in ``why`` (when given); no opportunity."""
    if why is not None:
        why.append(reason)
    return None


def _leg(
    venue: str,
    side: Side,
    amount: Decimal,
    value: Decimal,
    worst: Decimal,
    level: int,
    limit: Decimal,
    fee_quote: Decimal,
) -> Leg:
    """One leg as sent: ``value`` is the walked sum of price × amount over ``level + 1`` levels."""
    return Leg(
        venue=venue,
        side=side,
        amount=amount,
        vwap=value / amount,
        worst_price=worst,
        limit_price=limit,
        fee_quote=fee_quote,
        levels=level + 1,
    )


def _opportunity(
    p: Problem,
    pt: Point,
    symbol: str,
    buy_venue: str,
    sell_venue: str,
    steps: int,
    worst_buy: Decimal,
    worst_sell: Decimal,
) -> Opportunity:
    fee_buy = pt.cost_raw * (ONE + p.s) * (p.phi + p.psi)
    fee_sell = pt.proceeds_raw * (ONE - p.s) * p.fs
    fees = fee_buy + fee_sell
    buy = _leg(buy_venue, "buy", pt.buy_amount, pt.cost_raw, worst_buy, pt.buy_level, pt.buy_limit, fee_buy)
    sell = _leg(sell_venue, "sell", pt.sell_amount, pt.proceeds_raw, worst_sell, pt.sell_level, pt.sell_limit, fee_sell)
    return Opportunity(
        symbol=symbol,
        buy=buy,
        sell=sell,
        cost=pt.cost,
        proceeds=pt.proceeds,
        gross_profit=pt.net + fees,
        fees_quote=fees,
        net_profit=pt.net,
        net_bps=pt.net * BPS / pt.cost,
        dust=pt.buy_amount * p.keep - pt.sell_amount,
        meta={
            "approx": False,  # always exact; kept for readers of meta
            "shortfall": "0",
            "steps": steps,
            "buy_levels_loaded": p.asks.loaded,
            "sell_levels_loaded": p.bids.loaded,
        },
    )
