"""The sizing problem behind :func:`arb.core.evaluator.evaluate`: both books as ladders plus every parameter.

:class:`Problem` evaluates one size exactly (:class:`Point`: amounts, levels walked, limit prices, cost, proceeds,
net) and bounds the feasible sizes by galloping search over the monotone constraints; :mod:`arb.core.search`
finds the best size inside those bounds. Rounding helpers (:func:`floor_to`, :func:`ceil_to`) live here too.
"""

from __future__ import annotations

from bisect import bisect_left
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, getcontext
from typing import Any, NamedTuple

from arb.core.books import Ladder
from arb.core.model import BPS, ONE, ZERO, Balances, Fee, Limits, MarketSpec

PREC = 60  # Decimal digits of every evaluation


def floor_to(x: Decimal, step: Decimal) -> Decimal:
    """Largest multiple of ``step`` ≤ ``x`` (sizes and sell prices round down)."""
    return (x / step).to_integral_value(ROUND_FLOOR) * step


def ceil_to(x: Decimal, step: Decimal) -> Decimal:
    """Smallest multiple of ``step`` ≥ ``x`` (buy limit prices round up)."""
    return (x / step).to_integral_value(ROUND_CEILING) * step


class Point(NamedTuple):
    """One size's exact economics (a tuple: built a few times per evaluation, cheaply)."""

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


def _rates(buy_fee: Fee, sell_fee: Fee, limits: Limits) -> tuple[Decimal, ...]:
    """(φ, ψ, keep, f_sell, s, 1+s, 1−s, buy_mult, sell_mult, t) of these fees and limits."""
    phi = buy_fee.taker if buy_fee.currency == "received" else ZERO
    psi = buy_fee.taker if buy_fee.currency == "quote" else ZERO
    keep = ONE - phi  # fraction of B that can be sold
    fs = sell_fee.taker
    s = limits.slippage_bps / BPS
    up, down = ONE + s, ONE - s  # the buffer on buy and sell prices
    buy_mult = up * (ONE + psi)  # cost per unit of raw ask cost
    sell_mult = down * (ONE - fs)  # proceeds per unit of raw bid proceeds
    return phi, psi, keep, fs, s, up, down, buy_mult, sell_mult, limits.min_net_bps / BPS


# _rates by (buy fee, sell fee, limits, precision): parameters, not books; the same few recur every call
_RATES: dict[tuple[Fee, Fee, Limits, int], tuple[Decimal, ...]] = {}


class Problem:
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
        key = (buy_fee, sell_fee, limits, getcontext().prec)
        rates = _RATES.get(key)
        if rates is None:
            if len(_RATES) >= 1024:
                _RATES.clear()
            rates = _RATES[key] = _rates(buy_fee, sell_fee, limits)
        self.phi, self.psi, self.keep, self.fs, self.s = rates[:5]
        self.up, self.down, self.buy_mult, self.sell_mult, self.t = rates[5:]
        self.limits, self.balances = limits, balances
        self._g: list[Decimal] = []  # ask_cost_rate by level
        self._bk: list[Decimal] = []  # bid_rate by level
        self._bx: list[Decimal] = []  # cum_bids_j / (1−φ): the B whose unrounded sell amount ends bid level j
        self._ah: list[Decimal] = []  # ask_head by level
        self._bh: list[Decimal] = []  # bid_head by level
        self._bl: dict[int, Decimal] = {}  # buy_limit by ask level
        self._sl: dict[int, Decimal] = {}  # sell_limit by bid level
        self._sold: tuple[Decimal | None, Decimal] = (None, ZERO)  # the last sell_amount: (B, S)
        # (index, envelope falls past it) of a feasible size at the envelope's peak, once known
        self.known: tuple[int, bool] | None = None

    # -- exact evaluation -------------------------------------------------------------------
    def sell_amount(self, b: Decimal) -> Decimal:
        if b is self._sold[0]:  # the same size asked again (upper_ok, lower_ok and point at one size)
            return self._sold[1]
        s = floor_to(b * self.keep, self.ls)
        self._sold = (b, s)
        return s

    def buy_limit(self, k: int) -> Decimal:
        v = self._bl.get(k)
        if v is None:
            v = self._bl[k] = ceil_to(self.asks.prices[k] * self.up, self.bm.price_step)
        return v

    def sell_limit(self, j: int) -> Decimal:
        v = self._sl.get(j)
        if v is None:
            v = self._sl[j] = floor_to(self.bids.prices[j] * self.down, self.sm.price_step)
        return v

    def upper_ok(self, b: Decimal) -> bool:
        """Constraints that, once broken, stay broken for every larger B."""
        asks = self.asks
        if not asks.ensure_amount(b):
            return False
        s = self.sell_amount(b)
        if s > ZERO and not self.bids.ensure_amount(s):
            return False
        k = bisect_left(asks.cum_amount, b)  # the walk's last level (asks.level_index: depth ensured above)
        lim = self.limits
        if lim.max_notional is not None and asks.walk(b)[0] > lim.max_notional:
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
        if s > ZERO:
            j = bisect_left(self.bids.cum_amount, s)  # bids.level_index(s), depth ensured above
            if self.sell_limit(j) <= buy_limit:
                return False
        return True

    def lower_ok(self, b: Decimal) -> bool:
        """Constraints that, once met, stay met for every larger B (within the upper bound)."""
        s = self.sell_amount(b)
        if s <= ZERO:
            return False
        if self.bm.min_amount is not None and b < self.bm.min_amount:
            return False
        if self.sm.min_amount is not None and s < self.sm.min_amount:
            return False
        if self.bm.min_cost is not None:
            k = self.asks.level_index(b)
            if b * self.buy_limit(k) < self.bm.min_cost:
                return False
        return True

    def point(self, b: Decimal) -> Point | None:
        """Exact economics at B if every non-monotone constraint holds (B within [lo, hi])."""
        s = self.sell_amount(b)
        if s <= ZERO:
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
        return Point(b, s, cost_raw, proceeds_raw, k, j, self.buy_limit(k), sell_limit, cost, proceeds, net)

    # -- per-level values, computed once per evaluation (the walks below and the search share them) ---
    def ask_cost_rate(self, k: int) -> Decimal:
        """``ask_k·(1+s)(1+ψ)``: cost per unit bought at ask level ``k`` (level loaded)."""
        g = self._g
        while len(g) <= k:
            g.append(self.asks.prices[len(g)] * self.buy_mult)
        return g[k]

    def bid_rate(self, j: int) -> Decimal:
        """``bid_j·(1−s)(1−f)·(1−φ)``: proceeds per unit *bought* sold at bid level ``j`` (level loaded)."""
        bk, bx, bids = self._bk, self._bx, self.bids
        while len(bk) <= j:
            n = len(bk)
            bk.append(bids.prices[n] * self.sell_mult * self.keep)
            bx.append(bids.cum_amount[n] / self.keep)
        return bk[j]

    def ask_head(self, k: int) -> Decimal:
        """``(cost_before_k − amount_before_k·ask_k)·(1+s)(1+ψ)``: the cost of a walk into ask level ``k``
        less its amount times ``ask_k`` — the constant of the cost line there (level loaded)."""
        heads, asks = self._ah, self.asks
        while len(heads) <= k:
            n = len(heads)
            before_amt = asks.cum_amount[n - 1] if n else ZERO
            before_cost = asks.cum_cost[n - 1] if n else ZERO
            heads.append((before_cost - before_amt * asks.prices[n]) * self.buy_mult)
        return heads[k]

    def bid_head(self, j: int) -> Decimal:
        """The proceeds line's constant in bid level ``j``, as :meth:`ask_head` (level loaded)."""
        heads, bids = self._bh, self.bids
        while len(heads) <= j:
            n = len(heads)
            before_amt = bids.cum_amount[n - 1] if n else ZERO
            before_cost = bids.cum_cost[n - 1] if n else ZERO
            heads.append((before_cost - before_amt * bids.prices[n]) * self.sell_mult)
        return heads[j]

    def level_tables(self) -> tuple[list[Decimal], list[Decimal], list[Decimal], list[Decimal]]:
        """(ask_cost_rate, ask_head, bid_rate, bid_head) of every loaded level, as lists by level."""
        na, nb = self.asks.loaded, self.bids.loaded
        if na:
            self.ask_cost_rate(na - 1)
            self.ask_head(na - 1)
        if nb:
            self.bid_rate(nb - 1)
            self.bid_head(nb - 1)
        return self._g, self._ah, self._bk, self._bh

    # -- bounds (the envelope walks are in arb.core.envelope) ------------------------------
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
