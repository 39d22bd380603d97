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

The search is exact without enumerating every lot. Monotone constraints (depth, balances,
notional, min/max amount, limit-price edge) bound ``B`` to ``[lo, hi]`` by galloping search.
Within a segment where neither book changes level, net is linear in ``B`` except for lot rounding,
and that line is a global upper bound on net (cost is convex, proceeds concave), so segments are
taken outward from where the marginal edge changes sign and a direction stops once its bound
cannot beat the best. Inside a segment the rounding loss is ``w·((i·a) mod q)/q`` for lot index
``i`` — a linear congruence — so after the first feasible size the scan jumps straight to the next
index whose loss is small enough to compete (:func:`first_k`, O(log q)), instead of stepping lot
by lot. ``scan_cap`` optionally caps those evaluations per segment; then ``meta["approx"]`` may be
True and ``meta["shortfall"]`` bounds what was missed (at most one lot's value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction
from itertools import pairwise
from typing import Any

from arb.books import Ladder, ladders
from arb.model import (
    BPS,
    ONE,
    ZERO,
    Balances,
    Fee,
    Leg,
    Limits,
    MarketSpec,
    Opportunity,
    Side,
)

SCAN_CAP: int | None = None  # lots per segment, once a feasible size is known, before settling for a bounded shortfall
HARD_CAP = 1 << 20  # lots per segment in any case
_PREC = 60


def floor_to(x: Decimal, step: Decimal) -> Decimal:
    """Largest multiple of ``step`` ≤ ``x`` (sizes and sell prices round down)."""
    return (x / step).to_integral_value(ROUND_FLOOR) * step


def ceil_to(x: Decimal, step: Decimal) -> Decimal:
    """Smallest multiple of ``step`` ≥ ``x`` (buy limit prices round up)."""
    return (x / step).to_integral_value(ROUND_CEILING) * step


def _min_k_in(a: int, m: int, lo: int, hi: int) -> int | None:
    """Smallest k >= 0 with lo <= (a·k) mod m <= hi, for 0 <= lo <= hi < m (None if there is none).

    The classic reduction (a, m) -> (m mod a, a), like Euclid's algorithm: O(log m) steps.
    """
    if lo == 0:
        return 0
    a %= m
    if a == 0:
        return None
    k = (lo + a - 1) // a
    if a * k <= hi:
        return k
    y = _min_k_in(m % a, a, (a - hi % a) % a, (a - lo % a) % a)
    if y is None:
        return None
    k = (m * y + lo + a - 1) // a
    return k if a * k - m * y <= hi else None


def first_k(a: int, m: int, lo: int, hi: int) -> int | None:
    """Smallest k >= 1 with (a·k) mod m in the cyclic interval [lo, hi] (lo > hi wraps past m-1)."""
    if lo > hi:
        found = [k for k in (first_k(a, m, lo, m - 1), first_k(a, m, 0, hi)) if k is not None]
        return min(found) if found else None
    out: list[int] = []
    if lo == 0:
        out.append(m // math.gcd(a % m, m) if a % m else 1)  # first k >= 1 with a·k ≡ 0
        lo = 1
    if lo <= hi:
        k = _min_k_in(a, m, lo, hi)
        if k is not None:
            out.append(k)
    return min(out) if out else None


@dataclass(frozen=True, slots=True)
class _Point:
    buy_amount: Decimal
    sell_amount: Decimal
    cost_raw: Decimal  # sum of ask price × amount walked (no buffer, no fee)
    proceeds_raw: Decimal  # sum of bid price × amount walked
    buy_level: int
    sell_level: int
    buy_limit: Decimal
    sell_limit: Decimal
    cost: Decimal
    proceeds: Decimal
    net: Decimal


class _Problem:
    """One evaluation: the books as ladders plus every parameter, with exact point evaluation."""

    def __init__(
        self,
        asks: Ladder,
        bids: Ladder,
        bm: MarketSpec,
        sm: MarketSpec,
        buy_fee: Fee,
        sell_fee: Fee,
        limits: Limits,
        balances: Balances,
    ) -> None:
        self.asks, self.bids, self.bm, self.sm = asks, bids, bm, sm
        self.lb, self.ls = bm.amount_step, sm.amount_step
        self.phi = buy_fee.taker if buy_fee.currency == "received" else ZERO
        self.psi = buy_fee.taker if buy_fee.currency == "quote" else ZERO
        self.keep = ONE - self.phi  # fraction of B that can be sold
        self.fs = sell_fee.taker
        self.s = limits.slippage_bps / BPS
        self.buy_mult = (ONE + self.s) * (ONE + self.psi)  # cost per unit of raw ask cost
        self.sell_mult = (ONE - self.s) * (ONE - self.fs)  # proceeds per unit of raw bid proceeds
        self.t = limits.min_net_bps / BPS
        self.limits, self.balances = limits, balances

    # -- exact evaluation -------------------------------------------------------------------
    def sell_amount(self, b: Decimal) -> Decimal:
        return floor_to(b * self.keep, self.ls)

    def buy_limit(self, k: int) -> Decimal:
        return ceil_to(self.asks.prices[k] * (ONE + self.s), self.bm.price_step)

    def sell_limit(self, j: int) -> Decimal:
        return floor_to(self.bids.prices[j] * (ONE - self.s), self.sm.price_step)

    def upper_ok(self, b: Decimal) -> bool:
        """Constraints that, once broken, stay broken for every larger B."""
        if not self.asks.ensure_amount(b):
            return False
        s = self.sell_amount(b)
        if s > 0 and not self.bids.ensure_amount(s):
            return False
        cost_raw, k = self.asks.walk(b)
        lim = self.limits
        if lim.max_notional is not None and cost_raw > lim.max_notional:
            return False
        buy_limit = self.buy_limit(k)
        if self.balances.quote_on_buy is not None and b * buy_limit * (ONE + self.psi) > self.balances.quote_on_buy:
            return False
        if self.balances.base_on_sell is not None and s > self.balances.base_on_sell:
            return False
        if self.bm.max_amount is not None and b > self.bm.max_amount:
            return False
        if self.bm.max_cost is not None and b * buy_limit > self.bm.max_cost:
            return False
        if self.sm.max_amount is not None and s > self.sm.max_amount:
            return False
        if s > 0:
            j = self.bids.level_index(s)
            if self.sell_limit(j) <= buy_limit:
                return False
        return True

    def lower_ok(self, b: Decimal) -> bool:
        """Constraints that, once met, stay met for every larger B (within the upper bound)."""
        s = self.sell_amount(b)
        if s <= 0:
            return False
        if self.bm.min_amount is not None and b < self.bm.min_amount:
            return False
        if self.sm.min_amount is not None and s < self.sm.min_amount:
            return False
        if self.bm.min_cost is not None:
            _, k = self.asks.walk(b)
            if b * self.buy_limit(k) < self.bm.min_cost:
                return False
        return True

    def point(self, b: Decimal) -> _Point | None:
        """Exact economics at B if every non-monotone constraint holds (B within [lo, hi])."""
        s = self.sell_amount(b)
        if s <= 0:
            return None
        cost_raw, k = self.asks.walk(b)
        proceeds_raw, j = self.bids.walk(s)
        sell_limit = self.sell_limit(j)
        sell_value = s * sell_limit
        if self.sm.min_cost is not None and sell_value < self.sm.min_cost:
            return None
        if self.sm.max_cost is not None and sell_value > self.sm.max_cost:
            return None
        cost = cost_raw * self.buy_mult
        proceeds = proceeds_raw * self.sell_mult
        net = proceeds - cost
        if net <= 0 or net < self.limits.min_net_profit or net < self.t * cost:
            return None
        return _Point(b, s, cost_raw, proceeds_raw, k, j, self.buy_limit(k), sell_limit, cost, proceeds, net)

    # -- bounds -----------------------------------------------------------------------------
    def buy_depth_bound(self) -> Decimal:
        """An upper bound on B from depth and quote caps, loading only the levels it needs."""
        caps = [c for c in (self.limits.max_notional, self.bm.max_cost) if c is not None]
        if self.balances.quote_on_buy is not None:
            caps.append(self.balances.quote_on_buy / (ONE + self.psi))
        if caps:
            self.asks.ensure_cost(min(caps))
        else:
            # No cap: load asks only while a marginal lot could still pay against the best bid, then
            # enough beyond it that one more sell lot's worth is covered (lot rounding can make the
            # first lots of an unprofitable level worth buying when they complete a sell lot).
            limit = self.bids.prices[0] * self.sell_mult * self.keep / self.buy_mult
            self.asks.load_while(lambda price: price <= limit, extra=self.ls / self.keep + self.lb)
        b = self.asks.cum_amount[-1] if self.asks.loaded else ZERO
        if self.bm.max_amount is not None:
            b = min(b, self.bm.max_amount)
        s_caps = [c for c in (self.balances.base_on_sell, self.sm.max_amount) if c is not None]
        s_need = min([b * self.keep, *s_caps])
        self.bids.ensure_amount(s_need)
        s_depth = self.bids.cum_amount[-1] if self.bids.loaded else ZERO
        return min(b, (min(s_depth, s_need) + self.ls) / self.keep)

    def estimate_hi(self, b_cap: Decimal) -> Decimal:
        """A close guess of the largest feasible B (only speeds up the exact search): the notional
        and quote-balance caps inverted through the ask walk level by level."""
        est = [b_cap]
        asks = self.asks
        caps: list[tuple[Decimal, bool]] = []  # (quote cap, priced at the limit price?)
        if self.limits.max_notional is not None:
            caps.append((self.limits.max_notional, False))
        if self.balances.quote_on_buy is not None:
            caps.append((self.balances.quote_on_buy / (ONE + self.psi), True))
        for cap, at_limit in caps:
            for k in range(asks.loaded):
                before_amt = asks.cum_amount[k - 1] if k else ZERO
                if at_limit:  # B·limit_k <= cap while the walk ends in level k
                    b = cap / self.buy_limit(k)
                    if b <= asks.cum_amount[k]:
                        est.append(max(b, before_amt))
                        break
                elif asks.cum_cost[k] >= cap:
                    before_cost = asks.cum_cost[k - 1] if k else ZERO
                    est.append(before_amt + (cap - before_cost) / asks.prices[k])
                    break
        if self.balances.base_on_sell is not None:
            est.append((self.balances.base_on_sell + self.ls) / self.keep)
        return min(est)

    def estimate_lo(self) -> Decimal:
        """The smallest B the monotone lower constraints allow, assuming the walk stays in the top
        level (exact then; only speeds up the exact search otherwise)."""
        est = [self.lb, (self.ls / self.keep)]
        if self.bm.min_amount is not None:
            est.append(self.bm.min_amount)
        if self.sm.min_amount is not None:
            est.append(self.sm.min_amount / self.keep)
        if self.bm.min_cost is not None:
            est.append(self.bm.min_cost / self.buy_limit(0))
        return ceil_to(max(est), self.lb)

    def boundary(self, pred: Any, guess: Decimal, lo: int, hi: int, *, last_true: bool) -> int | None:
        """Exact boundary of a monotone predicate over B = n·lb, n in [lo, hi], found by galloping
        from ``guess``: the largest n with pred true (``last_true``: true…true false…false) or the
        smallest n with pred true (false…false true…true). None if there is none."""
        if last_true:
            return self._last_true(pred, guess, lo, hi)
        # the smallest true is one past the largest false
        last_false = self._last_true(lambda b: not pred(b), guess, lo, hi)
        if last_false is None:
            return lo if lo <= hi else None
        return last_false + 1 if last_false < hi else None

    def _last_true(self, pred: Any, guess: Decimal, lo: int, hi: int) -> int | None:
        """Largest n in [lo, hi] with pred(n·lb) for a true…true false…false predicate, or None."""
        if hi < lo:
            return None
        lb = self.lb
        n = min(hi, max(lo, int((guess / lb).to_integral_value(ROUND_FLOOR))))
        # Gallop from the guess to an interval (good, bad) with pred(good) and not pred(bad).
        if pred(n * lb):
            good, step = n, 1
            while good + step <= hi and pred((good + step) * lb):
                good += step
                step *= 2
            bad = min(good + step, hi + 1)
        else:
            bad, step = n, 1
            while bad - step >= lo and not pred((bad - step) * lb):
                bad -= step
                step *= 2
            if bad - step < lo and not pred(lo * lb):
                return None
            good = max(bad - step, lo)
        while bad - good > 1:
            mid = (good + bad) // 2
            if pred(mid * lb):
                good = mid
            else:
                bad = mid
        return good


def _as_market(m: MarketSpec | dict[str, Any]) -> MarketSpec:
    return m if isinstance(m, MarketSpec) else MarketSpec.from_ccxt(m)


class _Segment:
    """Linear economics of B while neither book changes level: net = c0 + beta·S − gamma·B."""

    __slots__ = ("b_before", "beta", "c0", "cost0", "gamma", "s_before", "s_end", "sell_limit")

    def __init__(self, p: _Problem, k: int, j: int) -> None:
        asks, bids = p.asks, p.bids
        self.b_before = asks.cum_amount[k - 1] if k else ZERO
        self.s_before = bids.cum_amount[j - 1] if j else ZERO
        self.s_end = bids.cum_amount[j]
        a_before_cost = asks.cum_cost[k - 1] if k else ZERO
        b_before_cost = bids.cum_cost[j - 1] if j else ZERO
        self.gamma = asks.prices[k] * p.buy_mult
        self.beta = bids.prices[j] * p.sell_mult
        self.cost0 = (a_before_cost - self.b_before * asks.prices[k]) * p.buy_mult  # cost = cost0 + gamma·B
        self.c0 = (b_before_cost - self.s_before * bids.prices[j]) * p.sell_mult - self.cost0
        self.sell_limit = p.sell_limit(j)


def _search(
    p: _Problem, b_lo: Decimal, b_hi: Decimal, cap: int | None
) -> tuple[_Point | None, Decimal | None, int]:
    """The feasible B in [b_lo, b_hi] with the largest net (ties: smaller B); see module docstring.

    Returns (best point, bound on the net a capped scan may have missed (None if every scan
    proved optimality), steps).
    """
    by_buy_lot = p.lb * p.keep >= p.ls  # parameterise by the coarser lattice
    lim, t = p.limits, p.t

    def index(x: Decimal) -> Decimal:
        return x / p.lb if by_buy_lot else x * p.keep / p.ls

    def at(i: int) -> tuple[Decimal, Decimal, Decimal]:
        """(B, S, c) for parameter index i; c is the unrounded S (by buy lot) or unrounded B (by sell lot)."""
        if by_buy_lot:
            b = i * p.lb
            return b, floor_to(b * p.keep, p.ls), b * p.keep
        s = i * p.ls
        return ceil_to(s / p.keep, p.lb), s, s / p.keep

    breaks = {b_lo, b_hi}
    breaks.update(ca for ca in p.asks.cum_amount if b_lo < ca < b_hi)
    breaks.update(x for x in (cb / p.keep for cb in p.bids.cum_amount) if b_lo < x < b_hi)
    points = sorted(breaks)
    lo_i = math.floor(index(b_lo))
    hi_i = math.ceil(index(b_hi))
    best: _Point | None = None
    missed: Decimal | None = None  # the highest envelope left unscanned by a capped scan
    steps = 0

    def consider(pt: _Point | None) -> None:
        nonlocal best
        if pt is not None and (
            best is None or pt.net > best.net or (pt.net == best.net and pt.buy_amount < best.buy_amount)
        ):
            best = pt

    consider(p.point(b_lo))
    consider(p.point(b_hi))
    # Lot rounding in a segment: net = line(i) - w·((i·a) mod q)/q, a linear congruence in the lot
    # index i (S rounded down by buy lot, or B rounded up by sell lot). Once a best is known, the
    # next index that can still match it is the nearest one whose residue is small enough — found
    # directly (first_k), instead of stepping lot by lot. Exact, and O(log q) per jump.
    ratio = Fraction(p.lb) * Fraction(p.keep) / Fraction(p.ls) if by_buy_lot else (
        Fraction(p.ls) / (Fraction(p.keep) * Fraction(p.lb)))
    q = ratio.denominator
    a_res = ratio.numerator % q if by_buy_lot else (-ratio.numerator) % q

    def jump(i: int, step: int, envelope: Decimal, w: Decimal) -> int | None:
        if best is None or w <= 0:
            return i + step
        room = envelope - best.net  # a later index needs loss <= room (its line is lower still)
        if room < 0:
            return None
        rmax = int((room * q / w).to_integral_value(ROUND_FLOOR))
        if rmax >= q - 1:
            return i + step
        r = (i * a_res) % q
        if step < 0:  # residue of i-k is (r - k·a) mod q
            k = first_k(a_res, q, (r - rmax) % q, r)
        else:  # residue of i+k is (r + k·a) mod q
            lo = (q - r) % q
            k = first_k(a_res, q, lo, (lo + rmax) % q)
        return None if k is None else i + step * k

    def self_eval(i: int, b: Decimal, s: Decimal, seg: _Segment) -> None:
        if not (seg.b_before < b and seg.s_before < s <= seg.s_end):
            consider(p.point(b))  # next to a level boundary: evaluate exactly the slow way
            return
        net = seg.c0 + seg.beta * s - seg.gamma * b
        if net <= 0 or net < lim.min_net_profit or net < t * (seg.cost0 + seg.gamma * b):
            return
        sell_value = s * seg.sell_limit
        if (p.sm.min_cost is not None and sell_value < p.sm.min_cost) or (
            p.sm.max_cost is not None and sell_value > p.sm.max_cost
        ):
            return
        if best is None or net > best.net or (net == best.net and b < best.buy_amount):
            consider(p.point(b))

    def scan(x0: Decimal, x1: Decimal, seg: _Segment) -> None:
        nonlocal missed, steps
        # Slopes per unit of B of the envelopes (S taken as B·keep, no rounding) and their values.
        slope_net = seg.beta * p.keep - seg.gamma
        # Upper envelopes (value at B=0, slope per B): a feasible B needs value + slope·B >= 0.
        cons: list[tuple[Decimal, Decimal]] = [(seg.c0, slope_net)]
        if lim.min_net_profit > 0:
            cons.append((seg.c0 - lim.min_net_profit, slope_net))
        if t > 0:
            cons.append((seg.c0 - t * seg.cost0, slope_net - t * seg.gamma))
        if p.sm.min_cost is not None:
            cons.append((-p.sm.min_cost, seg.sell_limit * p.keep))
        if p.sm.max_cost is not None:
            # rounding lowers S by < one lot, so this one's envelope sits one lot's value higher
            cons.append((p.sm.max_cost + seg.sell_limit * p.ls, -seg.sell_limit * p.keep))
        u = max(lo_i, math.floor(index(x0)) - 1)
        v = min(hi_i, math.ceil(index(x1)) + 1)
        for c0, sl in cons:
            if sl == 0:
                if c0 < 0:  # the envelope is negative across the segment: nothing here is feasible
                    u, v = 1, 0
                continue
            z = math.floor(index(-c0 / sl))
            if sl < 0:
                v = min(v, z + 1)
            else:
                u = max(u, z - 1)
        if u > v:
            return
        step = -1 if slope_net >= 0 else 1
        w = seg.beta * p.ls if by_buy_lot else seg.gamma * p.lb  # net lost per unit of residue / q
        i = v if step < 0 else u
        scanned = budget = 0
        while u <= i <= v:
            b, s, c = at(i)
            # The segment's line is a global upper bound on net (cost convex, proceeds concave).
            envelope = seg.c0 + seg.beta * c - seg.gamma * b if by_buy_lot else seg.c0 + seg.beta * s - seg.gamma * c
            if best is not None and envelope < best.net:
                break  # nothing further in this direction can beat the best
            if b_lo <= b <= b_hi:
                scanned += 1
                if best is not None and cap is not None:
                    budget += 1
                if (cap is not None and budget > cap) or scanned > HARD_CAP:
                    missed = envelope if missed is None else max(missed, envelope)
                    break
                self_eval(i, b, s, seg)
            nxt = jump(i, step, envelope, w)
            if nxt is None:
                break
            i = nxt
        steps += scanned
    # Net is concave in B (cost convex, proceeds concave), so each segment's line bound falls
    # monotonically away from the segment where the marginal edge changes sign: scan outward
    # from there and stop a direction once its bound cannot beat the best found.
    s_depth = p.bids.cum_amount[-1]
    segs: list[tuple[Decimal, Decimal, int, int]] = []
    for x0, x1 in pairwise(points):
        xm = (x0 + x1) / 2
        segs.append((x0, x1, p.asks.level_index(xm), p.bids.level_index(min(xm * p.keep, s_depth))))
    slopes = [p.bids.prices[j] * p.sell_mult * p.keep - p.asks.prices[k] * p.buy_mult for _, _, k, j in segs]
    peak = max((i for i, sl in enumerate(slopes) if sl >= 0), default=0)
    for direction in (range(peak, len(segs)), range(peak - 1, -1, -1)):
        for i in direction:
            x0, x1, k, j = segs[i]
            seg = _Segment(p, k, j)
            line_slope = seg.beta * p.keep - seg.gamma
            bound = seg.c0 + line_slope * (x0 if line_slope < 0 else x1)
            if best is not None and bound < best.net:
                break
            scan(x0, x1, seg)
    if missed is not None:
        missed = max(ZERO, missed - best.net) if best is not None else None
    return best, missed, steps


def evaluate(
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
    scan_cap: int | None = SCAN_CAP,
) -> Opportunity | None:
    """Buy on ``buy_book``'s asks, sell on ``sell_book``'s bids: the net-profit-maximising size, or None.

    Books are ccxt-shaped dicts (floats are read through ``str``); markets are ccxt market dicts or
    :class:`MarketSpec`. Raises :class:`arb.errors.BookError` for malformed or crossed books and
    :class:`arb.errors.MarketError` for markets without precision. When nothing qualifies and ``why``
    is a list, one reason code is appended: ``empty_book``, ``no_cross_after_fees``, ``capped``
    (balance, notional, max size or limit-price edge leave no lot), ``too_thin`` (min amount or
    min notional unreachable) or ``below_threshold`` (no size clears net > 0, min profit, min bps).
    """
    limits = limits or Limits()
    balances = balances or Balances()
    bm, sm = _as_market(buy_market), _as_market(sell_market)
    symbol = symbol or bm.symbol
    with localcontext() as ctx:
        ctx.prec = _PREC
        _, asks = ladders(buy_book, f"{buy_venue} {symbol}", venue=buy_venue, symbol=symbol)
        bids, _ = ladders(sell_book, f"{sell_venue} {symbol}", venue=sell_venue, symbol=symbol)
        best_ask, best_bid = asks.best(), bids.best()
        if best_ask is None or best_bid is None:
            return _reject(why, "empty_book")
        p = _Problem(asks, bids, bm, sm, buy_fee, sell_fee, limits, balances)
        # Cheap exit: the best levels do not cross after fees and buffer.
        if best_bid * p.sell_mult * p.keep <= best_ask * p.buy_mult:
            return _reject(why, "no_cross_after_fees")
        b_cap = p.buy_depth_bound()
        hi_index = int((b_cap / p.lb).to_integral_value(ROUND_FLOOR))
        hi = p.boundary(p.upper_ok, p.estimate_hi(b_cap), 1, hi_index, last_true=True)
        if hi is None:
            return _reject(why, "capped")
        lo = p.boundary(p.lower_ok, p.estimate_lo(), 1, hi, last_true=False)
        if lo is None:
            return _reject(why, "too_thin")
        b_lo, b_hi = lo * p.lb, hi * p.lb
        best, missed, steps = _search(p, b_lo, b_hi, scan_cap)
        if best is None:
            return _reject(why, "below_threshold")
        return _opportunity(p, best, symbol, buy_venue, sell_venue, missed, steps)


def _reject(why: list[str] | None, reason: str) -> None:
    if why is not None:
        why.append(reason)
    return None


def _leg(venue: str, side: Side, amount: Decimal, value: Decimal, ladder: Ladder, level: int, limit: Decimal,
         fee_quote: Decimal) -> Leg:
    """One leg as sent: ``value`` is the walked sum of price × amount over ``level + 1`` levels."""
    return Leg(venue=venue, side=side, amount=amount, vwap=value / amount, worst_price=ladder.prices[level],
               limit_price=limit, fee_quote=fee_quote, levels=level + 1)


def _opportunity(
    p: _Problem, pt: _Point, symbol: str, buy_venue: str, sell_venue: str, missed: Decimal | None, steps: int
) -> Opportunity:
    fee_buy = pt.cost_raw * (ONE + p.s) * (p.phi + p.psi)
    fee_sell = pt.proceeds_raw * (ONE - p.s) * p.fs
    fees = fee_buy + fee_sell
    buy = _leg(buy_venue, "buy", pt.buy_amount, pt.cost_raw, p.asks, pt.buy_level, pt.buy_limit, fee_buy)
    sell = _leg(sell_venue, "sell", pt.sell_amount, pt.proceeds_raw, p.bids, pt.sell_level, pt.sell_limit, fee_sell)
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
            "approx": missed is not None and missed > 0,
            "shortfall": str(missed or ZERO),
            "steps": steps,
            "buy_levels_loaded": p.asks.loaded,
            "sell_levels_loaded": p.bids.loaded,
        },
    )
