"""The evaluator's exact search over lot sizes, bounded by O(levels · log) arithmetic (no lot stepping).

Sizes are indexed by buy lot ``i`` (``B = i·lb``). The sell amount is ``S = ns(i)·ls`` with
``ns(i) = floor(i·A/q)``, where ``A/q = lb·(1−φ)/ls`` in lowest terms. The index line splits into
*pieces* where neither book changes level (at most one per loaded level of either book); inside a
piece, net is exactly linear in ``(i, ns(i))``::

    net(i) = c0 + β·ls·ns(i) − γ·lb·i        (β = bid·(1−s)(1−f_sell), γ = ask·(1+s)(1+ψ))

so the best size in a piece is the maximum of ``α·x + P·floor((A·x + r)/q)`` over ``x`` in an
interval — a linear function over the lattice path under a line. :func:`floor_max` computes it, and
the smallest maximiser (ties go to the smaller size), with the "universal Euclidean" recursion: the
path is the word ``U^(Δy) R`` per ``x``, its summary (steps, best value, first argmax) is a monoid,
and the word is built the way Euclid's algorithm reduces ``(A, q)``: O(log q) levels of a constant
number of products each (a word repeated ``e`` times is summarised in O(1): its best copy is the
first or the last). Plateaus of equal net and long sawtooth runs cost the same as a single lot.

Per-piece constraints: the sell leg's min/max cost bound ``ns(i)``, which is monotone in ``i``, so
they cut the piece to a sub-interval exactly; ``net > 0`` and ``min_net_profit`` are tested on the
piece's maximum. ``min_net_bps`` (``net ≥ t·cost``, cost increasing in ``i``): if the maximiser fails
it, every feasible index lies at or before the *largest* feasible one ``x_max`` (found by a binary
search over suffix maxima, O(log n) solves), and the maximiser over ``[u, x_max]`` is then feasible
and optimal: its net is ≥ net(x_max) ≥ t·cost(x_max) ≥ t·cost at its own (smaller) index.

Pieces are solved in order of their line bound (net with ``S = B·(1−φ)`` unrounded, a valid upper
bound) and the search stops once a bound is below the best net found. ``steps`` counts monoid
products and exact point evaluations: the cost of one evaluation in operations, not lots.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from math import gcd
from typing import TYPE_CHECKING

from arb.core.model import ZERO
from arb.core.pieces import Piece, all_pieces, floor_of, lazy_heads, pieces_near_peak

if TYPE_CHECKING:
    from arb.core.sizing import Point, Problem


# A path summary: (x steps, y steps, best value of a point in it or None, x of the first best point).
Node = tuple[int, int, int | None, int]
_IDENTITY: Node = (0, 0, None, 0)


def floor_max(al: int, pl: int, a: int, q: int, r: int, n: int) -> tuple[int, int, int]:
    """(max, smallest argmax, products) of ``al·x + pl·floor((a·x + r)/q)`` over integers 0 <= x <= n.

    Requires ``a >= 0``, ``q > 0``, ``n >= 0``; any integer ``r`` (it is reduced mod q). The path words form
    a monoid for the objective ``al·x + pl·y``; ``products`` counts its products (and powers).
    """
    products = 0

    def mul(n1: Node, n2: Node) -> Node:
        nonlocal products
        products += 1
        cx1, cy1, bv1, bx1 = n1
        cx2, cy2, bv2, bx2 = n2
        if bv2 is not None:
            v2 = bv2 + al * cx1 + pl * cy1
            if bv1 is None or v2 > bv1:  # strictly better only: ties keep the earlier (smaller x) point
                return cx1 + cx2, cy1 + cy2, v2, bx2 + cx1
        return cx1 + cx2, cy1 + cy2, bv1, bx1

    def pow(n: Node, e: int) -> Node:
        """n repeated e times, in O(1): copy k's best is the first copy's plus k·(al·cx + pl·cy), so the
        best copy is the last if that step is positive, else the first (ties keep the first)."""
        nonlocal products
        if e <= 0:
            return _IDENTITY
        products += 1
        cx, cy, bv, bx = n
        if bv is not None and e > 1:
            d = al * cx + pl * cy
            if d > 0:
                bv, bx = bv + (e - 1) * d, bx + (e - 1) * cx
        return cx * e, cy * e, bv, bx

    def word(p: int, q: int, r: int, n: int, u: Node, rr: Node) -> Node:
        """The word over x = 1..n of ``u^(y(x) − y(x−1)) rr`` with y(x) = floor((p·x + r)/q), 0 <= r < q."""
        while True:
            if n == 0:
                return _IDENTITY
            if p < q:
                break
            p, rr = p % q, mul(pow(u, p // q), rr)
        m = (n * p + r) // q
        if m == 0:
            return pow(rr, n)
        cnt = n - (q * m - r - 1) // p
        head = mul(pow(rr, (q - r - 1) // p), u)
        inner = word(q, p, (q - r - 1) % p, m - 1, rr, u)
        return mul(mul(head, inner), pow(rr, cnt))

    k0, r = divmod(r, q)
    node = word(a, q, r, n, (0, 1, None, 0), (1, 0, al, 1))
    best, arg = 0, 0  # x = 0
    if node[2] is not None and node[2] > best:
        best, arg = node[2], node[3]
    return best + pl * k0, arg, products


def _exponent(d: Decimal) -> int:
    """``d.as_tuple().exponent`` of a finite Decimal, read off its string (a third of the time)."""
    s = str(d)
    i = s.find("E")
    e = 0
    if i >= 0:
        e, s = int(s[i + 1 :]), s[:i]
    dot = s.find(".")
    return e - (len(s) - dot - 1) if dot >= 0 else e


def _ratio(x: Decimal, y: Decimal) -> tuple[int, int]:
    """x / y as (numerator, denominator) in lowest terms, exactly."""
    n1, d1 = x.as_integer_ratio()
    n2, d2 = y.as_integer_ratio()
    num, den = n1 * d2, d1 * n2
    g = gcd(num, den)
    return num // g, den // g


# lb·(1−φ)/ls in lowest terms by (lb, 1−φ, ls): market and fee parameters, the same few every call
_LOTS: dict[tuple[Decimal, Decimal, Decimal], tuple[int, int]] = {}


def search(p: Problem, lo: int, hi: int) -> tuple[Point | None, int]:
    """The feasible B = i·lb, lo <= i <= hi, with the largest net (ties: smaller B), and the steps taken.

    ``[lo, hi]`` already satisfies every monotone constraint (depth, balances, notional, min/max
    amount, buy min/max cost, limit-price edge); see the module docstring for the rest.
    """
    asks, bids, lb, ls = p.asks, p.bids, p.lb, p.ls
    key = (lb, p.keep, ls)
    lots = _LOTS.get(key)
    if lots is None:
        if len(_LOTS) >= 1024:
            _LOTS.clear()
        lots = _LOTS[key] = _ratio(lb * p.keep, ls)
    a, q = lots  # sell lots per buy lot: ns(i) = a·i // q

    def first_ns(n: int) -> int:  # smallest i >= 0 with ns(i) >= n
        return -(-n * q // a) if n > 0 else 0

    steps = 0
    lo = max(lo, first_ns(1))  # S must be at least one sell lot
    if lo > hi:
        return None, steps
    asks.ensure_amount(lb * hi)
    bids.ensure_amount(ls * (a * hi // q))
    lim, t, sm = p.limits, p.t, p.sm
    mnp, buy_mult, sell_mult = lim.min_net_profit, p.buy_mult, p.sell_mult
    counted = [0]  # monoid products and point evaluations of the solve under way

    def argmax(al: Decimal, pl: Decimal, u: int, v: int) -> tuple[Decimal, int]:
        """max and smallest argmax of al·i + pl·ns(i) over u <= i <= v (exact: integers scaled by 10^e)."""
        e = min(_exponent(al), _exponent(pl))
        val, x, products = floor_max(int(al.scaleb(-e)), int(pl.scaleb(-e)), a, q, a * u, v - u)
        counted[0] += products
        return Decimal(val).scaleb(e) + al * u, u + x

    def solve(pc: Piece) -> tuple[Point | None, int]:
        """The best feasible size of a piece (None if it has none) and the steps it took."""
        counted[0] = 0
        _, u, v, k, j = pc
        # the piece's economics: net(i) = c0 + pl·ns(i) + al·i and cost(i) = cost0 − al·i
        cost0 = ah(k)
        c0 = bh(j) - cost0
        al = -asks.prices[k] * buy_mult * lb
        pl = bids.prices[j] * sell_mult * ls
        sell_limit = p.sell_limit(j)
        if sm.min_cost is not None:  # S·sell_limit >= min_cost: at least n sell lots
            num, den = _ratio(sm.min_cost, sell_limit * ls)
            u = max(u, first_ns(-(-num // den)))
        if sm.max_cost is not None:
            num, den = _ratio(sm.max_cost, sell_limit * ls)
            v = min(v, first_ns(num // den + 1) - 1)
        if u > v:
            return None, 0
        val, i_best = argmax(al, pl, u, v)
        net = c0 + val
        if net <= 0 or net < mnp:
            return None, counted[0]  # the piece's best fails the thresholds: so does every size in it
        if t > 0 and net < t * (cost0 - al * i_best):
            last = _last_bps_feasible(c0, cost0, al, pl, t, u, v, argmax)
            if last is None:
                return None, counted[0]
            val, i_best = argmax(al, pl, u, last)
        return p.point(lb * i_best), counted[0] + 1

    ahead: dict[int, tuple[Point | None, int]] = {}  # pieces solved before the loop, by first index
    known = p.known  # a feasible size at the envelope's peak: (index, whether the envelope falls past it)
    if known is not None and lo <= known[0] <= hi:
        ah, bh = lazy_heads(p)

        def first_net(pc: Piece) -> Decimal | None:  # solved ahead: the loop takes its result if it gets to it
            ahead[pc[1]] = got = solve(pc)
            return None if got[0] is None else got[0].net

        pieces = pieces_near_peak(p, lo, hi, a, q, known[0], known[1], ah, bh, first_net)
    else:
        pieces, ah, bh = all_pieces(p, lo, hi, a, q)

    best: Point | None = None
    floor = ZERO  # bounds below this cannot match the best (once there is one)
    for pc in pieces:
        if best is not None and pc[0] < floor:
            break  # sorted by bound: nothing left can match the best
        pt, n = ahead.pop(pc[1]) if pc[1] in ahead else solve(pc)
        steps += n
        if pt is not None and (best is None or (pt.net, -pt.buy_amount) > (best.net, -best.buy_amount)):
            best = pt
            floor = floor_of(pt.net)
    return best, steps


def _last_bps_feasible(
    c0: Decimal,
    cost0: Decimal,
    al: Decimal,
    pl: Decimal,
    t: Decimal,
    u: int,
    v: int,
    argmax: Callable[[Decimal, Decimal, int, int], tuple[Decimal, int]],
) -> int | None:
    """The largest i in [u, v] with net(i) ≥ t·cost(i), by binary search over suffix maxima."""
    al_g = al * (1 + t)  # net − t·cost = (c0 − t·cost0) + pl·ns(i) + al·(1+t)·i
    c_g = c0 - t * cost0

    def feasible_from(x: int) -> int | None:  # some feasible index >= x (the first best one), or None
        val, arg = argmax(al_g, pl, x, v)
        return arg if c_g + val >= 0 else None

    found = feasible_from(u)
    if found is None:
        return None
    good, bad = found, v + 1  # good is feasible; nothing >= bad is
    while bad - good > 1:
        mid = (good + bad) // 2
        hit = feasible_from(mid)
        if hit is None:
            bad = mid
        else:
            good = hit
    return good
