"""The bounds of :mod:`arb.core.sizing` on integer ladders — the envelope walks, the depth bound and the
galloping guesses: the same Decimal operations on Decimal values equal to the Decimal path's (so the same
results, branches and levels read), fed from ticks and lots."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from arb.core.model import ONE, ZERO
from arb.core.sizing import ceil_to, floor_to

if TYPE_CHECKING:
    from arb.core.intsizing import IntProblem


def envelope_peak(self: IntProblem) -> Decimal:
    """The B where the envelope's slope turns negative (or the depth ends), loading levels to it."""
    asks, bids = self.asks, self.bids
    a_cum, g, bk, bx = self._ac, self._g, self._bk, self._bx
    at, bt = asks.ticks, bids.ticks
    b, k, j = ZERO, 0, 0
    while (k < len(at) or asks.load_to(k)) and (j < len(bt) or bids.load_to(j)):
        if (bk[j] if j < len(bk) else self.bid_rate(j)) < (g[k] if k < len(g) else self.ask_cost_rate(k)):
            break
        a_end, b_end = a_cum[k], bx[j]  # (built with g[k] and bk[j] just above)
        b = min(a_end, b_end)
        if b == a_end:
            k += 1
        if b == b_end:
            j += 1
    return b


def envelope_bound(self: IntProblem, floor_net: Decimal = ZERO) -> Decimal | None:
    """Without a quote cap: the right end of the sizes whose envelope — net with ``S = B·(1−φ)``
    unrounded, concave and ≥ net — clears ``net > 0``, ``min_net_profit``, ``min_net_bps`` and
    ``floor_net`` (the net of a feasible size; None if no size does). Walks both books level by
    level, loading only what it reads."""
    asks, bids, keep = self.asks, self.bids, self.keep
    a_cum, g, bks, bx = self._ac, self._g, self._bk, self._bx
    at, bt = asks.ticks, bids.ticks
    mnp, t = max(self.limits.min_net_profit, floor_net), self.t
    strict_e = not mnp
    b = e = et = ZERO  # B, envelope net, envelope net − t·cost
    k = j = 0
    started = False
    while True:
        if k >= len(at) and not asks.load_to(k):
            return b if started else None
        if j >= len(bt) and not bids.load_to(j):  # S = floor(B·keep) stays within the bids
            return (self.bid_cum(bids.loaded - 1) + self.ls) / keep if started else None
        rate = bks[j] if j < len(bks) else self.bid_rate(j)
        gamma = g[k] if k < len(g) else self.ask_cost_rate(k)
        a_end, b_end = a_cum[k], bx[j]
        x1 = a_end if a_end <= b_end else b_end
        s_e = rate - gamma
        s_t = s_e - t * gamma
        # Each condition h0 + s·(x − b) >= θ holds on a sub-interval of [b, x1]; intersect them. (A
        # division only when its bound can move: where h0 >= θ the rising condition holds from b on,
        # where the end value >= θ the falling one holds up to x1.) Written out for the two conditions.
        lo_x, hi_x, dead = b, x1, False
        # the envelope net e with slope s_e against mnp (strict when mnp is 0: net > 0) ...
        if s_e > 0:
            if e < mnp:
                lo_x = b + (mnp - e) / s_e
        else:
            end = e + s_e * (x1 - b)  # past its peak (concave) and failing at x1: it never holds again
            if s_e < 0:
                if end < mnp:
                    hi_x = b + (e - mnp) / -s_e
            elif e < mnp:
                hi_x = b - 1
            dead = end < mnp or (strict_e and end <= mnp)
        # ... and et (net − t·cost) with slope s_t against 0
        if s_t > 0:
            if et < 0:
                lo_x = max(lo_x, b + (ZERO - et) / s_t)
        else:
            end = et + s_t * (x1 - b)
            if s_t < 0:
                if end < 0:
                    hi_x = min(hi_x, b + (et - ZERO) / -s_t)
            elif et < 0:
                hi_x = b - 1
            dead = dead or end < 0
        if lo_x <= hi_x and hi_x > 0:
            started = True
            if hi_x < x1:
                return hi_x
        elif started:
            return b
        elif dead:
            return None
        e += s_e * (x1 - b)
        et += s_t * (x1 - b)
        b = x1
        if b == a_end:
            k += 1
        if b == b_end:
            j += 1


def estimate_lo(self: IntProblem) -> Decimal:
    """:meth:`Problem.estimate_lo`."""
    est = [self.lb, (self.ls / self.keep)]
    if self.bm.min_amount is not None:
        est.append(self.bm.min_amount)
    if self.sm.min_amount is not None:
        est.append(self.sm.min_amount / self.keep)
    if self.bm.min_cost is not None:
        est.append(self.bm.min_cost / self.buy_limit_decimal(0))
    return ceil_to(max(est), self.lb)


def estimate_hi(self: IntProblem, b_cap: Decimal) -> Decimal:
    """:meth:`Problem.estimate_hi`."""
    est = [b_cap]
    caps: list[tuple[Decimal, bool]] = []
    if self.limits.max_notional is not None:
        caps.append((self.limits.max_notional, False))
    if self.balances.quote_on_buy is not None:
        caps.append((self.balances.quote_on_buy / (ONE + self.psi), True))
    for cap, at_limit in caps:
        for k in range(self.asks.loaded):
            before_amt = self.ask_cum(k - 1) if k else ZERO
            if at_limit:
                b = cap / self.buy_limit_decimal(k)
                if b <= self.ask_cum(k):
                    est.append(max(b, before_amt))
                    break
            elif self.ask_cost(k) >= cap:
                before_cost = self.ask_cost(k - 1) if k else ZERO
                est.append(before_amt + (cap - before_cost) / self.ask_price(k))
                break
    if self.balances.base_on_sell is not None:
        est.append((self.balances.base_on_sell + self.ls) / self.keep)
    return min(est)


def buy_depth_bound(self: IntProblem) -> Decimal:
    """:meth:`Problem.buy_depth_bound`."""
    asks = self.asks
    caps = [c for c in (self.limits.max_notional, self.bm.max_cost) if c is not None]
    if self.balances.quote_on_buy is not None:
        caps.append(self.balances.quote_on_buy / (ONE + self.psi))
    if caps:
        self.ensure_ask_cost(min(caps))
        b = self.ask_cum(asks.loaded - 1) if asks.loaded else ZERO
    else:
        floor_net = ZERO
        b1 = floor_to(envelope_peak(self), self.lb)
        i1 = self.floor_index(b1)
        if b1 > 0 and self.upper_ok(i1) and self.lower_ok(i1):
            pt = self.point(i1)
            floor_net = self.net_decimal(pt[0]) if pt is not None else ZERO
        env = envelope_bound(self, floor_net)
        if env is None:
            self._has(self.bids, 0)
            limit = self.bid_price(0) * self.sell_mult * self.keep / self.buy_mult
            self.load_asks_while_at_most(limit, self.ls / self.keep + self.lb)
            b = self.ask_cum(asks.loaded - 1)
        else:
            b = env + self.lb
    if self.bm.max_amount is not None:
        b = min(b, self.bm.max_amount)
    s_caps = [c for c in (self.balances.base_on_sell, self.sm.max_amount) if c is not None]
    s_need = min([b * self.keep, *s_caps])
    self.ensure_bid_amount(s_need)
    s_depth = self.bid_cum(self.bids.loaded - 1) if self.bids.loaded else ZERO
    return min(b, (min(s_depth, s_need) + self.ls) / self.keep)
