"""The walks that bound the evaluator's search from above: depth and quote caps, and the envelope.

The *envelope* is net with ``S = B·(1−φ)`` unrounded: concave, piecewise linear with a break wherever
either book changes level, and never below net. Without a quote cap its peak gives a feasible size (a lower
bound on the best net) and the right end of the sizes whose envelope can still reach that net and clear
the thresholds bounds the search. Both walks read levels one at a time as they go (so a decision reads
only the levels it needs) and share the :class:`arb.core.sizing.Problem`'s per-level tables.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from arb.core.model import ONE, ZERO
from arb.core.sizing import Problem


def buy_depth_bound(p: Problem) -> Decimal:
    """An upper bound on B from depth and quote caps, loading only the levels it needs."""
    asks, bids, limits, balances = p.asks, p.bids, p.limits, p.balances
    caps = [c for c in (limits.max_notional, p.bm.max_cost) if c is not None]
    if balances.quote_on_buy is not None:
        caps.append(balances.quote_on_buy / (ONE + p.psi))
    if caps:
        asks.ensure_cost(min(caps))
        b = asks.cum_amount[-1] if asks.loaded else ZERO
    else:
        # A feasible size near the envelope's peak is a lower bound on the best net: sizes whose
        # envelope falls below it cannot win, so the walk past the peak stays short.
        floor_net = ZERO
        peak, falls = envelope_peak(p)
        n1 = (peak / p.lb).to_integral_value(ROUND_FLOOR)
        b1 = n1 * p.lb  # floor_to(peak, lb)
        if b1 > 0 and p.upper_ok(b1) and p.lower_ok(b1):
            pt = p.point(b1)
            if pt is not None:
                floor_net = pt.net
                p.known = (int(n1), falls)  # lets the search skip pieces that cannot reach its net
        env = envelope_bound(p, floor_net)
        if env is None:  # no size clears the thresholds; bound as before so the reason codes stay
            limit = bids.prices[0] * p.sell_mult * p.keep / p.buy_mult
            asks.load_while(lambda price: price <= limit, extra=p.ls / p.keep + p.lb)
            b = asks.cum_amount[-1]
        else:
            b = env + p.lb  # the crossing point is a rounded quotient: keep a lot of slack
    if p.bm.max_amount is not None:
        b = min(b, p.bm.max_amount)
    s_caps = [c for c in (balances.base_on_sell, p.sm.max_amount) if c is not None]
    s_need = min([b * p.keep, *s_caps])
    bids.ensure_amount(s_need)
    s_depth = bids.cum_amount[-1] if bids.loaded else ZERO
    return min(b, (min(s_depth, s_need) + p.ls) / p.keep)


def envelope_peak(p: Problem) -> tuple[Decimal, bool]:
    """The B where the envelope's slope turns negative (or the depth ends), loading levels to it, and
    whether it turns there (False: a book ended first)."""
    asks, bids, keep, buy_mult, sell_mult = p.asks, p.bids, p.keep, p.buy_mult, p.sell_mult
    a_prices, b_prices, a_cum, b_cum = asks.prices, bids.prices, asks.cum_amount, bids.cum_amount
    a_load, b_load = asks._load_one, bids._load_one  # the walk reads level k only once k-1 is read
    g, bk, bx = p._g, p._bk, p._bx  # the Problem's per-level tables, filled here as levels are read
    na, nb, ng, nk = len(a_prices), len(b_prices), len(g), len(bk)
    b, k, j = ZERO, 0, 0
    while True:
        if k >= na:
            if not a_load():
                break
            na += 1
        if j >= nb:
            if not b_load():
                break
            nb += 1
        if j >= nk:  # Problem.bid_rate, inlined (with cum_bids_j / (1−φ) beside it)
            if j == nk:
                bk.append(b_prices[j] * sell_mult * keep)
                bx.append(b_cum[j] / keep)
            else:
                p.bid_rate(j)
            nk = len(bk)
        if k >= ng:  # Problem.ask_cost_rate, inlined
            if k == ng:
                g.append(a_prices[k] * buy_mult)
            else:
                p.ask_cost_rate(k)
            ng = len(g)
        if bk[j] < g[k]:
            return b, True
        a_end, b_end = a_cum[k], bx[j]
        if a_end <= b_end:
            b = a_end
            k += 1
            if b == b_end:
                j += 1
        else:
            b = b_end
            j += 1
    return b, False


def envelope_bound(p: Problem, floor_net: Decimal = ZERO) -> Decimal | None:
    """Without a quote cap: the right end of the sizes whose envelope — net with ``S = B·(1−φ)``
    unrounded, concave and ≥ net — clears ``net > 0``, ``min_net_profit``, ``min_net_bps`` and
    ``floor_net`` (the net of a feasible size; None if no size does). Walks both books level by
    level, loading only what it reads."""
    asks, bids, keep, buy_mult, sell_mult = p.asks, p.bids, p.keep, p.buy_mult, p.sell_mult
    a_prices, b_prices, a_cum, b_cum = asks.prices, bids.prices, asks.cum_amount, bids.cum_amount
    a_load, b_load = asks._load_one, bids._load_one  # as envelope_peak: level k is read after k-1
    g, bks, bx = p._g, p._bk, p._bx
    na, nb, ng, nk = len(a_prices), len(b_prices), len(g), len(bks)
    mnp, t = max(p.limits.min_net_profit, floor_net), p.t
    strict_e = not mnp
    b = e = et = ZERO  # B, envelope net, envelope net − t·cost
    k = j = 0
    started = False
    while True:
        if k >= na:
            if not a_load():
                return b if started else None
            na += 1
        if j >= nb:
            if not b_load():  # S = floor(B·keep) stays within the bids
                return (b_cum[-1] + p.ls) / keep if started else None
            nb += 1
        if j >= nk:  # as envelope_peak
            if j == nk:
                bks.append(b_prices[j] * sell_mult * keep)
                bx.append(b_cum[j] / keep)
            else:
                p.bid_rate(j)
            nk = len(bks)
        if k >= ng:
            if k == ng:
                g.append(a_prices[k] * buy_mult)
            else:
                p.ask_cost_rate(k)
            ng = len(g)
        rate = bks[j]
        a_end, b_end = a_cum[k], bx[j]
        x1 = a_end if a_end <= b_end else b_end
        gamma = g[k]
        s_e = rate - gamma
        s_t = s_e - t * gamma
        dx = x1 - b
        # Each condition h0 + s·(x − b) >= θ holds on a sub-interval of [b, x1]; intersect them. (A
        # division only when its bound can move: where h0 >= θ the rising condition holds from b on,
        # where the end value >= θ the falling one holds up to x1.) Written out for the two conditions.
        lo_x, hi_x, dead = b, x1, False
        e_end = e + s_e * dx
        et_end = et + s_t * dx
        # the envelope net e with slope s_e against mnp (strict when mnp is 0: net > 0) ...
        if s_e > ZERO:
            if e < mnp:
                lo_x = b + (mnp - e) / s_e
        else:  # past its peak (concave) and failing at x1: it never holds again
            if s_e < ZERO:
                if e_end < mnp:
                    hi_x = b + (e - mnp) / -s_e
            elif e < mnp:
                hi_x = b - 1
            dead = e_end < mnp or (strict_e and e_end <= mnp)
        # ... and et (net − t·cost) with slope s_t against 0
        if s_t > ZERO:
            if et < ZERO:
                x = b + (ZERO - et) / s_t
                if x > lo_x:
                    lo_x = x
        else:
            if s_t < ZERO:
                if et_end < ZERO:
                    x = b + (et - ZERO) / -s_t
                    if x < hi_x:
                        hi_x = x
            elif et < ZERO:
                hi_x = b - 1
            dead = dead or et_end < ZERO
        if lo_x <= hi_x and hi_x > ZERO:
            started = True
            if hi_x < x1:
                return hi_x
        elif started:
            return b
        elif dead:
            return None
        e, et, b = e_end, et_end, x1
        if b == a_end:
            k += 1
        if b == b_end:
            j += 1
