"""The evaluator's search (:mod:`arb.core.search`) on integers, and the integer evaluation end to end.

Inside ``[lo, hi]`` the search is the Decimal one's with every number an integer: per piece (ask level
``k``, bid level ``j``) ``net'(i) = c0 + pl·ns(i) + al·i`` and ``cost'(i) = cost0 − al·i`` (both × ``f``,
see :class:`arb.core.intsizing.IntProblem`), solved by :func:`arb.core.search.floor_max`; pieces are
visited by their exact line bound and skipped once it is below the best net (exact, so only pieces
that cannot win are skipped). Only the chosen size is turned into Decimals, by the Decimal path's own
operations on the Decimal path's own numbers (:meth:`IntLadder.walk_decimal`, the level's price as
read), so every digit of the result is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from math import inf
from typing import Any

from arb.core.intgrid import grid_of
from arb.core.intladder import IntLadder, OffGrid
from arb.core.intsizing import IntProblem
from arb.core.model import ONE, Balances, Fee, Limits, MarketSpec, dec
from arb.core.search import floor_max
from arb.core.sizing import Point, ceil_to, floor_to


def _exponent(x: Decimal) -> int:
    e = x.as_tuple().exponent
    assert isinstance(e, int)
    return e


def search(p: IntProblem, lo: int, hi: int) -> tuple[tuple[int, int] | None, int]:
    """The feasible index ``lo <= i <= hi`` with the largest net (ties: smaller), as (i, net'), and the steps."""
    asks, bids = p.asks, p.bids
    a, q = p.a, p.q
    ns = p.ns

    def first_ns(n: int) -> int:  # smallest i >= 0 with ns(i) >= n
        return max(0, -(-n * q // a)) if n > 0 else 0

    steps = 0
    lo = max(lo, first_ns(1))
    if lo > hi:
        return None, steps
    asks.ensure_lots(hi)
    bids.ensure_lots(ns(hi))
    ka, kb = p.ka, p.kb
    if ka * asks.walk(hi)[0] >= 10**50 or kb * bids.walk(ns(hi))[0] >= 10**50:
        raise OffGrid("money beyond the exact digits")
    ask_ends = asks.cum_lots
    bid_ends = [max(0, -(-(c + 1) * q // a)) - 1 for c in bids.cum_lots]
    at, ac, al_ = asks.ticks, asks.cum_cost, asks.cum_lots
    bt, bc, bl_ = bids.ticks, bids.cum_cost, bids.cum_lots
    # per level, × ka or kb: the walk's constant (cost before the level less its amount × the level's price)
    kah = [0, *[ka * (c - n * t) for c, n, t in zip(ac, al_, at[1:], strict=False)]]
    kbh = [0, *[kb * (c - n * t) for c, n, t in zip(bc, bl_, bt[1:], strict=False)]]
    kaq = [ka * q * t for t in at]  # q × cost' per buy lot
    kba = [kb * a * t for t in bt]  # q × proceeds' per buy lot (S = i·a/q unrounded)
    # pieces: (q × line bound, u, v, k, j); line: net with S = i·a/q unrounded, an upper bound on net
    pieces: list[tuple[int, int, int, int, int]] = []
    i, k, j = lo, asks.level_index(lo), bids.level_index(ns(lo))
    while i <= hi:
        while ask_ends[k] < i:
            k += 1
        while bid_ends[j] < i:
            j += 1
        ea, eb = ask_ends[k], bid_ends[j]
        end = ea if ea < eb else eb
        if hi < end:
            end = hi
        slope = kba[j] - kaq[k]
        pieces.append(((kbh[j] - kah[k]) * q + slope * (end if slope > 0 else i), i, end, k, j))
        i = end + 1
    pieces.sort(key=lambda pc: pc[0], reverse=True)

    best: tuple[int, int] | None = None
    sm = p.sm
    pb, lbg = bids.price_grid, bids.amount_grid
    for bound, u, v, k, j in pieces:
        if best is not None and bound < best[1] * q:
            break  # an exact upper bound below the best net: nothing left can match it
        al = -ka * at[k]
        pl = kb * bt[j]
        cost0 = kah[k]
        c0 = kbh[j] - cost0
        if sm.min_cost is not None or sm.max_cost is not None:
            sl = p.sell_limit(j) * pb.m * lbg.m  # S·sell_limit = m·sl·10^-(pb.d + lbg.d)
            scale = 10 ** (pb.d + lbg.d)
            if p.scmin is not None:  # at least ceil(min_cost / (sell_limit·ls)) sell lots
                n, d = p.scmin
                u = max(u, first_ns(-(-n * scale // (d * sl))))
            if p.scmax is not None:
                n, d = p.scmax
                v = min(v, first_ns(n * scale // (d * sl) + 1) - 1)
        if u > v:
            continue
        val, x, products = floor_max(al, pl, a, q, a * u, v - u)
        steps += products
        i_best = u + x
        net = c0 + val + al * u
        cand = p.judge(net, cost0 - al * i_best)
        if cand is None and net > 0 and p.judge(net, 0) is not None:  # only min_net_bps fails at the maximiser
            last = _last_bps_feasible(p, c0, cost0, al, pl, u, v)
            if last is None:
                continue
            val, x, products = floor_max(al, pl, a, q, a * u, last - u)
            steps += products
            i_best = u + x
            net = c0 + val + al * u
            cand = p.judge(net, cost0 - al * i_best)
        if cand is None:
            continue
        steps += 1
        # pieces are disjoint and visited in any order: keep the larger net, and on a tie the smaller size
        if best is None or net > best[1] or (net == best[1] and i_best < best[0]):
            best = (i_best, net)
    return best, steps


def _last_bps_feasible(p: IntProblem, c0: int, cost0: int, al: int, pl: int, u: int, v: int) -> int | None:
    """The largest i in [u, v] with net(i) ≥ t·cost(i), by binary search over suffix maxima."""
    tn, td = p.t_r
    a, q = p.a, p.q
    # td·(net − t·cost) = td·c0 − tn·cost0 + td·pl·ns(i) + (td + tn)·al·i
    cg, alg, plg = td * c0 - tn * cost0, (td + tn) * al, td * pl

    def feasible_from(x: int) -> int | None:
        val, arg, _ = floor_max(alg, plg, a, q, a * x, v - x)
        return x + arg if cg + val + alg * x >= 0 else None

    found = feasible_from(u)
    if found is None:
        return None
    good, bad = found, v + 1
    while bad - good > 1:
        mid = (good + bad) // 2
        hit = feasible_from(mid)
        if hit is None:
            bad = mid
        else:
            good = hit
    return good


def level_price(ladder: IntLadder, k: int) -> Decimal:
    """Level ``k``'s price as the Decimal path reads it."""
    x = ladder.raw_price(k)
    return Decimal(repr(x)) if type(x) is float else dec(x)


def decimal_point(p: IntProblem, i: int) -> tuple[Point, Decimal, Decimal]:
    """:meth:`Problem.point` at B = i lots, digit for digit (the index already passed every check), and the
    worst ask and bid walked as the Decimal path reads them."""
    b = p.lb * i
    s = floor_to(b * p.keep, p.ls)
    m = p.ns(i)
    if s != p.ls * m:
        raise OffGrid("sell lots")
    cost_raw, k = p.asks.walk_decimal(i, _exponent(b))
    proceeds_raw, j = p.bids.walk_decimal(m, _exponent(s))
    ask, bid = level_price(p.asks, k), level_price(p.bids, j)
    buy_limit = ceil_to(ask * (ONE + p.s), p.bm.price_step)
    sell_limit = floor_to(bid * (ONE - p.s), p.sm.price_step)
    cost = cost_raw * p.buy_mult
    proceeds = proceeds_raw * p.sell_mult
    return Point(b, s, cost_raw, proceeds_raw, k, j, buy_limit, sell_limit, cost, proceeds, proceeds - cost), ask, bid


def _side(book: Any, name: str, price_step: Decimal, amount_step: Decimal) -> IntLadder:
    if not isinstance(book, dict):
        raise OffGrid("not a book")
    return IntLadder(book.get(name), name, grid_of(price_step), grid_of(amount_step))  # type: ignore[arg-type]


def _number(x: Any) -> float | Decimal:
    """A positive finite number (a float as is, else as the Decimal path reads it), or :class:`OffGrid`."""
    if type(x) is float:
        if 0.0 < x < inf:
            return x
        raise OffGrid("not a positive number")
    try:
        v = dec(x)
    except (TypeError, ValueError, ArithmeticError) as e:
        raise OffGrid("not a number") from e
    if not v.is_finite() or v <= 0:
        raise OffGrid("not a positive number")
    return v


def _other_top(book: dict[str, Any], name: str) -> float | Decimal | None:
    """The top price of a side the evaluation does not walk (read only for the crossed-book check), or None."""
    levels = book.get(name)
    if levels is None:
        return None
    if type(levels) is not list and (not isinstance(levels, Sequence) or isinstance(levels, str | bytes)):
        raise OffGrid(name)
    if not len(levels):
        return None
    try:
        x, y = levels[0][0], levels[0][1]
    except (TypeError, IndexError, KeyError) as e:
        raise OffGrid(name) from e
    _number(y)
    return _number(x)


def _at_least(x: float | Decimal, ladder: IntLadder) -> bool:
    """Whether ``x`` ≥ the ladder's top price, as the Decimal path compares them (floats keep repr's order)."""
    y = ladder.raw_price(0)
    if type(x) is float and type(y) is float:
        return x >= y
    return Decimal(repr(x)) >= level_price(ladder, 0) if type(x) is float else x >= level_price(ladder, 0)


def _at_most(x: float | Decimal, ladder: IntLadder) -> bool:
    y = ladder.raw_price(0)
    if type(x) is float and type(y) is float:
        return x <= y
    return Decimal(repr(x)) <= level_price(ladder, 0) if type(x) is float else x <= level_price(ladder, 0)


def int_problem(
    buy_book: Any,
    sell_book: Any,
    bm: MarketSpec,
    sm: MarketSpec,
    buy_fee: Fee,
    sell_fee: Fee,
    limits: Limits,
    balances: Balances,
) -> IntProblem | None:
    """The integer problem of two books (None: a side is empty), reading the top levels the Decimal path's
    ``ladders`` reads. Raises :class:`OffGrid` for anything the integer path does not mirror (a bad or
    crossed book, a walked level off the grid): the Decimal path then decides, and raises what it raises."""
    asks = _side(buy_book, "asks", bm.price_step, bm.amount_step)
    top = _other_top(buy_book, "bids")
    if asks.load_to(0) and top is not None and _at_least(top, asks):
        raise OffGrid("crossed")
    bids = _side(sell_book, "bids", sm.price_step, sm.amount_step)
    top = _other_top(sell_book, "asks")
    if bids.load_to(0) and top is not None and _at_most(top, bids):
        raise OffGrid("crossed")
    if not asks.loaded or not bids.loaded:
        return None
    return IntProblem(asks, bids, bm, sm, buy_fee, sell_fee, limits, balances)
