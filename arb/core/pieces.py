"""The search's pieces: index ranges where neither book changes level, each keyed by its line bound.

Sizes are buy-lot indices ``i`` (``B = i·lb``, sell lots ``ns(i) = a·i // q``). A piece is a maximal range
of indices whose buy walk ends in ask level ``k`` and whose sell walk ends in bid level ``j``; its *line
bound* is the max over the piece of ``L_kj(B) = (bid_head_j − ask_head_k) + (bid_rate_j − ask_cost_rate_k)·B``,
the net line of that level pair with ``S = B·(1−φ)`` unrounded, which is ≥ net at every index of the piece.
:func:`arb.core.search.search` solves pieces in order of their bound and stops at the first whose bound is
below the best net found (less a relative slack for the 60-digit rounding): it solves exactly the pieces
whose bound is at least the final best's floor ``F``.

:func:`all_pieces` builds every piece in ``[lo, hi]``. :func:`pieces_near_peak` builds only those that
can reach a known floor ``F0 ≤ F``: the floor of the best size of the piece holding the envelope's peak,
solved first (``F0 ≤ F`` as the search is exact; the search's loop takes that solution when it gets to the
piece instead of solving it again), so the search solves the same pieces, finds the same size and counts
the same steps. Why the others cannot reach ``F0`` (E = the envelope, net with ``S``
unrounded over the loaded levels: concave, ≤ every line ``L_kj``, rising up to its peak ``B*`` and, where
the peak walk stopped at a falling segment, falling after it):

* For ``i`` in a piece ``(k, j)``: ``L_kj(B) − E(B) = Pro_j(B) − P(B)`` (the buy walk ends in level ``k``, so
  the cost lines agree), where ``P`` is the proceeds curve and ``Pro_j`` its level-``j`` line. ``B·(1−φ)`` lies
  less than one sell lot past the sell walk ``S``, itself within level ``j``, so the lines of the levels in
  between differ by at most ``(rate_j − rate_last)·ls/(1−φ) ≤ ovs := (rate_0 − rate_last)·ls/(1−φ)``.
* Left of a piece ``P`` that starts at or before ``B*``: every index ``i`` of a piece ``X`` has
  ``L_X(i) ≤ E(i) + ovs ≤ E(start of P) + ovs ≤ L_P(start of P) + ovs ≤ bound(P) + ovs``; right of a piece
  that ends at or after ``B*`` (when the peak walk found a falling segment) the same with ends swapped.
* So once a built piece has ``bound + ovs`` below ``F0`` (with a margin far above the rounding), no piece
  further out on that side has a bound ``≥ F0``: none is solved by the full search either.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from decimal import Decimal
from operator import itemgetter
from typing import TYPE_CHECKING

from arb.core.model import ZERO

if TYPE_CHECKING:
    from arb.core.sizing import Problem

SLACK = Decimal("1e-40")  # relative: Decimal line bounds are rounded at 60 digits; never prune a tie

Piece = tuple[Decimal, int, int, int, int]  # (line bound, first index, last index, ask level, bid level)
Heads = Callable[[int], Decimal]


def floor_of(net: Decimal) -> Decimal:
    """Bounds below this cannot match a best of ``net``."""
    return net - SLACK * (abs(net) + 1)


def all_pieces(p: Problem, lo: int, hi: int, a: int, q: int) -> tuple[list[Piece], Heads, Heads]:
    """Every piece in ``[lo, hi]`` by line bound, largest first (ties in index order), and the ask and bid
    heads by level (levels loaded to ``hi``)."""
    asks, bids, lb, ls = p.asks, p.bids, p.lb, p.ls
    # by loaded level: the last index whose buy amount ends in that ask level / sell amount in that bid level
    # (c // step: the exact floor of the quotient, for these positive amounts; bid: first_ns(n + 1) − 1)
    ask_ends = [int(c // lb) for c in asks.cum_amount]
    bid_ends = [-((-int(c // ls) - 1) * q // a) - 1 for c in bids.cum_amount]
    g, ah, bk, bh = p.level_tables()
    # a two-pointer merge of the index ranges of ask levels and bid levels
    pieces: list[Piece] = []
    add = pieces.append
    i, k, j = lo, asks.level_index(lb * lo), bids.level_index(ls * (a * lo // q))
    while i <= hi:
        while ask_ends[k] < i:  # levels thinner than a lot hold no index
            k += 1
        while bid_ends[j] < i:
            j += 1
        ea, eb = ask_ends[k], bid_ends[j]
        end = ea if ea < eb else eb
        if hi < end:
            end = hi
        slope = bk[j] - g[k]
        add((bh[j] - ah[k] + slope * lb * (end if slope > 0 else i), i, end, k, j))
        i = end + 1
    pieces.sort(key=itemgetter(0), reverse=True)
    return pieces, ah.__getitem__, bh.__getitem__


def lazy_heads(p: Problem) -> tuple[Heads, Heads]:
    """Problem.ask_head and bid_head's values by level, each computed when first asked for (not the levels
    before it)."""
    asks, bids, buy_mult, sell_mult = p.asks, p.bids, p.buy_mult, p.sell_mult
    ahs: dict[int, Decimal] = {}
    bhs: dict[int, Decimal] = {}

    def ask_head(k: int) -> Decimal:
        h = ahs.get(k)
        if h is None:
            h = ahs[k] = _head(asks.cum_amount, asks.cum_cost, asks.prices, k) * buy_mult
        return h

    def bid_head(j: int) -> Decimal:
        h = bhs.get(j)
        if h is None:
            h = bhs[j] = _head(bids.cum_amount, bids.cum_cost, bids.prices, j) * sell_mult
        return h

    return ask_head, bid_head


def pieces_near_peak(
    p: Problem,
    lo: int,
    hi: int,
    a: int,
    q: int,
    i0: int,
    falls: bool,
    ask_head: Heads,
    bid_head: Heads,
    first_net: Callable[[Piece], Decimal | None],
) -> list[Piece]:
    """The pieces :func:`all_pieces` would give whose bound can reach the final best's floor, and maybe a
    few more, in the same order. ``i0`` in ``[lo, hi]`` is ``floor(B*/lb)``, ``B*`` the envelope's peak;
    ``falls``: the envelope falls past ``B*`` (the peak walk stopped at a falling segment, not at the end
    of a book). ``first_net`` solves the piece holding ``i0``: the net of its best feasible size (or None)
    is a floor for the rest. See the module docstring for why the pieces left out cannot be solved."""
    asks, bids, lb, ls, keep = p.asks, p.bids, p.lb, p.ls, p.keep
    a_cum, b_cum = asks.cum_amount, bids.cum_amount
    a_ends: dict[int, int] = {}
    b_ends: dict[int, int] = {}

    def a_end(k: int) -> int:  # the last index whose buy walk ends in ask level k (all_pieces' ask_ends[k])
        e = a_ends.get(k)
        if e is None:
            e = a_ends[k] = int(a_cum[k] // lb)
        return e

    def b_end(j: int) -> int:  # the last index whose sell walk ends in bid level j (all_pieces' bid_ends[j])
        e = b_ends.get(j)
        if e is None:
            e = b_ends[j] = -((-int(b_cum[j] // ls) - 1) * q // a) - 1
        return e

    def piece(u: int, v: int, k: int, j: int) -> Piece:
        slope = p.bid_rate(j) - p.ask_cost_rate(k)
        return (bid_head(j) - ask_head(k) + slope * lb * (v if slope > 0 else u), u, v, k, j)

    def right_of(pc: Piece) -> Piece:  # the next piece, as all_pieces' merge steps to it
        i, k, j = pc[2] + 1, pc[3], pc[4]
        while a_end(k) < i:  # levels thinner than a lot hold no index
            k += 1
        while b_end(j) < i:
            j += 1
        return piece(i, min(a_end(k), b_end(j), hi), k, j)

    def left_of(pc: Piece) -> Piece:  # the piece before: it ends at pc's start − 1
        i, k, j = pc[1] - 1, pc[3], pc[4]
        while k and a_end(k - 1) >= i:
            k -= 1
        while j and b_end(j - 1) >= i:
            j -= 1
        return piece(max(lo, a_end(k - 1) + 1 if k else lo, b_end(j - 1) + 1 if j else lo), i, k, j)

    # the piece holding i0: the first ask level whose end index (cum // lb) is >= i0, and the first bid level
    # whose end index (the largest i with ns(i)·ls <= cum) is
    k0, j0 = bisect_left(a_cum, lb * i0), bisect_left(b_cum, ls * (a * i0 // q))
    u0 = max(lo, a_end(k0 - 1) + 1 if k0 else lo, b_end(j0 - 1) + 1 if j0 else lo)
    first = piece(u0, min(a_end(k0), b_end(j0), hi), k0, j0)
    net0 = first_net(first)
    if net0 is None:  # no floor to prune with: every piece
        floor0, ovs = None, ZERO
    else:
        floor0 = floor_of(net0)
        ovs = (p.bid_rate(0) - bids.prices[-1] * p.sell_mult * keep) * ls / keep

    def beyond_reach(pc: Piece) -> bool:  # bound + ovs below the floor, with a margin for the rounding
        if floor0 is None:
            return False
        bound = pc[0]
        return bound + ovs + SLACK * (abs(bound) + abs(floor0) + ovs + 1) < floor0

    left = [first]
    pc = first
    while pc[1] > lo and not beyond_reach(pc):  # every piece left of the first starts before B*
        pc = left_of(pc)
        left.append(pc)
    right: list[Piece] = []
    pc = first
    while pc[2] < hi:  # pieces after the first start past B* (i0 = floor(B*/lb)), so they end past it
        pc = right_of(pc)
        right.append(pc)
        if falls and beyond_reach(pc):
            break
    pieces = left[::-1] + right  # index order, then by bound: the order all_pieces gives
    pieces.sort(key=itemgetter(0), reverse=True)
    return pieces


def _head(cum: list[Decimal], cum_cost: list[Decimal], prices: list[Decimal], n: int) -> Decimal:
    """``cost_before_n − amount_before_n·price_n`` (before the rate multiplier), as Problem.ask_head."""
    if not n:
        return ZERO - ZERO * prices[0]
    return cum_cost[n - 1] - cum[n - 1] * prices[n]
