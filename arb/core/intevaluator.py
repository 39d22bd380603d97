""":func:`evaluate_int`: :func:`arb.core.evaluator.evaluate` with tick and lot indices as integers (issue 16).

The same answer as :func:`evaluate` on every input — every Decimal digit of the opportunity, the levels
read (``meta``), the reason code — by construction (see :mod:`arb.core.intsizing`) and by test
(``tests/unit/test_evaluator_int.py`` against the reference evaluator). Books whose levels are not exactly
on the markets' grids (bad data, a venue quoting finer than its market spec), bad or crossed books and
sums past the exact digits go to the Decimal path, never rounded.

Not the default yet: on the bench's crossing books it is about as fast as the Decimal path (README,
Performance). The envelope walks that bound the search divide at 60 digits; to give their exact results
they run as the same Decimal operations on equal values, and building those values costs what the
integer loading saves.
"""

from __future__ import annotations

from decimal import localcontext
from typing import Any

from arb.core.evaluator import _as_market, _opportunity, _reject, evaluate
from arb.core.intenvelope import buy_depth_bound, estimate_hi, estimate_lo
from arb.core.intladder import OffGrid
from arb.core.intsearch import decimal_point, int_problem, search
from arb.core.model import Balances, Fee, Limits, MarketSpec, Opportunity
from arb.core.sizing import PREC


def evaluate_int(
    buy_book: dict[str, Any],
    sell_book: dict[str, Any],
    *,
    buy_market: MarketSpec | dict[str, Any],
    sell_market: MarketSpec | dict[str, Any],
    buy_fee: Fee,
    sell_fee: Fee,
    limits: Limits | None = None,
    balances: Balances | None = None,
    symbol: str | None = None,
    buy_venue: str = "buy",
    sell_venue: str = "sell",
    why: list[str] | None = None,
) -> Opportunity | None:
    """:func:`arb.core.evaluator.evaluate` on integers where the books are on the grids, else on Decimals."""
    kw: dict[str, Any] = {
        "buy_market": buy_market,
        "sell_market": sell_market,
        "buy_fee": buy_fee,
        "sell_fee": sell_fee,
        "limits": limits,
        "balances": balances,
        "symbol": symbol,
        "buy_venue": buy_venue,
        "sell_venue": sell_venue,
    }
    lim, bal = limits or Limits(), balances or Balances()
    bm, sm = _as_market(buy_market), _as_market(sell_market)
    with localcontext() as ctx:
        ctx.prec = PREC
        try:
            return _evaluate(buy_book, sell_book, bm, sm, buy_fee, sell_fee, lim, bal, symbol or bm.symbol, kw, why)
        except OffGrid:
            pass
    return evaluate(buy_book, sell_book, why=why, **kw)


def _evaluate(
    buy_book: Any,
    sell_book: Any,
    bm: MarketSpec,
    sm: MarketSpec,
    buy_fee: Fee,
    sell_fee: Fee,
    limits: Limits,
    balances: Balances,
    symbol: str,
    kw: dict[str, Any],
    why: list[str] | None,
) -> Opportunity | None:
    """:func:`evaluate`'s steps on integers; raises :class:`OffGrid` where it does not mirror them exactly."""
    p = int_problem(buy_book, sell_book, bm, sm, buy_fee, sell_fee, limits, balances)
    if p is None:
        return _reject(why, "empty_book")
    if p.bid_rate(0) <= p.ask_cost_rate(0):  # best bid × sell_mult × keep <= best ask × buy_mult
        return _reject(why, "no_cross_after_fees")
    b_cap = buy_depth_bound(p)
    hi = p.boundary(p.upper_ok, estimate_hi(p, b_cap), 1, p.floor_index(b_cap), last_true=True)
    if hi is None:
        return _reject(why, "capped")
    lo = p.boundary(p.lower_ok, estimate_lo(p), 1, hi, last_true=False)
    if lo is None:
        return _reject(why, "too_thin")
    best, steps = search(p, lo, hi)
    if best is None:
        return _reject(why, "below_threshold")
    pt, worst_buy, worst_sell = decimal_point(p, best[0])
    if pt.net * p.f != best[1]:  # the integers and the Decimal digits agree, or neither is used
        raise OffGrid("net")
    return _opportunity(p, pt, symbol, kw["buy_venue"], kw["sell_venue"], steps, worst_buy, worst_sell)
