"""The sizing problem on integers (issue 16): :class:`arb.core.sizing.Problem` with tick and lot indices.

Why it gives the Decimal path's answers exactly, levels read included: every value the Decimal path
computes *exactly* (walks, limit prices, balance, notional and min/max checks, net and its thresholds)
is computed here in integers — ticks, lots and rationals cross-multiplied; every value it *rounds*
(a division at 60 digits: the depth bound, the envelope, the galloping guesses) is computed by the
same Decimal operation on operands of the same value. Decimal results and comparisons depend on
values only, so each rounded result, each branch and each level loaded is the same. Books that are
not on the grid raise :class:`arb.core.intladder.OffGrid` and go to the Decimal path.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache
from math import gcd
from typing import Any

from arb.core.intgrid import grid_of
from arb.core.intladder import IntLadder, OffGrid
from arb.core.model import BPS, ONE, ZERO, Balances, Fee, Limits, MarketSpec

Ratio = tuple[int, int]
_LIMIT = 10**50  # integer money coefficients stay far inside the Decimal path's 60 exact digits


def ratio(x: Decimal) -> Ratio:
    n, d = x.as_integer_ratio()
    return n, d


def cmp(c: int, e: int, r: Ratio) -> int:
    """Sign of ``c·10^e − n/d`` for ``r = (n, d)``, ``d > 0``."""
    n, d = r
    left, right = (c * 10**e * d, n) if e >= 0 else (c * d, n * 10**-e)
    return (left > right) - (left < right)


def _opt(x: Decimal | None) -> Ratio | None:
    return None if x is None else ratio(x)


class Params:
    """The integers an evaluation derives from the markets, fees and limits alone: values only (cached per
    combination of equal values; Decimals, whose digits reach the result, are never taken from the cache)."""

    def __init__(self, bm: MarketSpec, sm: MarketSpec, buy_fee: Fee, sell_fee: Fee, limits: Limits) -> None:
        phi = buy_fee.taker if buy_fee.currency == "received" else ZERO
        psi = buy_fee.taker if buy_fee.currency == "quote" else ZERO
        s = limits.slippage_bps / BPS
        buy_mult, sell_mult = (ONE + s) * (ONE + psi), (ONE - s) * (ONE - sell_fee.taker)
        pa, la, pb, lbg = (
            grid_of(bm.price_step),
            grid_of(bm.amount_step),
            grid_of(sm.price_step),
            grid_of(sm.amount_step),
        )
        self.up, self.down, self.psi_r = ratio(ONE + s), ratio(ONE - s), ratio(ONE + psi)
        n, d = (bm.amount_step * (ONE - phi)).as_integer_ratio()
        n2, d2 = sm.amount_step.as_integer_ratio()
        num, den = n * d2, d * n2
        g = gcd(num, den)
        self.a, self.q = num // g, den // g  # sell lots per buy lot, in lowest terms
        # money in one integer scale: cost' = ka·(ask ticks·lots), proceeds' = kb·(bid ticks·lots), net' = net·f
        ea, eb = pa.d + la.d, pb.d + lbg.d
        x = max(ea, eb)
        bn, bd = ratio(buy_mult)
        sn, sd = ratio(sell_mult)
        self.ka = pa.m * la.m * 10 ** (x - ea) * bn * sd
        self.kb = pb.m * lbg.m * 10 ** (x - eb) * sn * bd
        self.f = bd * sd * 10**x
        self.mnp = ratio(limits.min_net_profit)
        self.t_r = ratio(limits.min_net_bps / BPS)
        self.max_notional = _opt(limits.max_notional)
        self.bmin, self.bmax, self.bcmin, self.bcmax = (
            _opt(bm.min_amount),
            _opt(bm.max_amount),
            _opt(bm.min_cost),
            _opt(bm.max_cost),
        )
        self.smin, self.smax, self.scmin, self.scmax = (
            _opt(sm.min_amount),
            _opt(sm.max_amount),
            _opt(sm.min_cost),
            _opt(sm.max_cost),
        )


params = lru_cache(maxsize=1024)(Params)


def _attributes(bm: MarketSpec, sm: MarketSpec, buy_fee: Fee, sell_fee: Fee, limits: Limits) -> dict[str, Any]:
    """Every attribute an evaluation derives from these very objects: the cached integers (by value) and the
    Decimal path's own Decimals, computed as it computes them (their digits reach the result, so they are
    shared only between calls with the *same* objects)."""
    d = dict(params(bm, sm, buy_fee, sell_fee, limits).__dict__)
    d["bm"], d["sm"], d["limits"] = bm, sm, limits
    d["lb"], d["ls"] = bm.amount_step, sm.amount_step
    d["phi"] = phi = buy_fee.taker if buy_fee.currency == "received" else ZERO
    d["psi"] = psi = buy_fee.taker if buy_fee.currency == "quote" else ZERO
    d["keep"] = keep = ONE - phi
    d["fs"] = fs = sell_fee.taker
    d["s"] = s = limits.slippage_bps / BPS
    d["buy_mult"] = buy_mult = (ONE + s) * (ONE + psi)
    d["sell_mult"] = sell_mult = (ONE - s) * (ONE - fs)
    d["t"] = limits.min_net_bps / BPS
    d["_gm"] = bm.price_step * buy_mult  # tick × buy_mult, exact
    d["_bmk"] = sm.price_step * sell_mult * keep
    return d


# id-keyed (the entry holds the objects, so an id stays theirs); values identical by identity, digits included
_BY_ID: dict[tuple[int, int, int, int, int], tuple[MarketSpec, MarketSpec, Fee, Fee, Limits, dict[str, Any]]] = {}


class IntProblem(Params):
    """One evaluation on integer ladders (buy venue's asks, sell venue's bids) plus every parameter."""

    # set from _attributes (the Decimal path's Decimals and the parameter objects themselves)
    bm: MarketSpec
    sm: MarketSpec
    limits: Limits
    lb: Decimal
    ls: Decimal
    phi: Decimal
    psi: Decimal
    keep: Decimal
    fs: Decimal
    s: Decimal
    buy_mult: Decimal
    sell_mult: Decimal
    t: Decimal
    _gm: Decimal
    _bmk: Decimal

    def __init__(
        self,
        asks: IntLadder,
        bids: IntLadder,
        bm: MarketSpec,
        sm: MarketSpec,
        buy_fee: Fee,
        sell_fee: Fee,
        limits: Limits,
        balances: Balances,
    ) -> None:
        key = (id(bm), id(sm), id(buy_fee), id(sell_fee), id(limits))
        hit = _BY_ID.get(key)
        if hit is None or not (
            hit[0] is bm and hit[1] is sm and hit[2] is buy_fee and hit[3] is sell_fee and hit[4] is limits
        ):
            hit = (bm, sm, buy_fee, sell_fee, limits, _attributes(bm, sm, buy_fee, sell_fee, limits))
            if len(_BY_ID) >= 1024:
                _BY_ID.clear()
            _BY_ID[key] = hit  # (holding the objects keeps their ids unique while the entry lives)
        self.__dict__.update(hit[5])
        self.asks, self.bids, self.balances = asks, bids, balances
        self.quote, self.base = _opt(balances.quote_on_buy), _opt(balances.base_on_sell)
        # Decimal values equal to the Decimal path's, for its rounded computations (built as levels are read)
        self._ac: list[Decimal] = []  # ask cum amount
        self._g: list[Decimal] = []  # ask price × buy_mult
        self._bk: list[Decimal] = []  # bid price × sell_mult × keep
        self._bx: list[Decimal] = []  # bid cum amount / keep

    # -- integer pieces ---------------------------------------------------------------------
    def ns(self, i: int) -> int:
        """Sell lots for ``i`` buy lots: ``floor(i·lb·(1−φ)/ls)``."""
        return self.a * i // self.q

    def buy_limit(self, k: int) -> int:
        """Buy limit in ticks: ask ``k`` × (1+s), up to the tick."""
        n, d = self.up
        return -(-self.asks.ticks[k] * n // d)

    def sell_limit(self, j: int) -> int:
        n, d = self.down
        return self.bids.ticks[j] * n // d

    def _amount(self, i: int) -> tuple[int, int]:
        la = self.asks.amount_grid
        return i * la.m, -la.d

    def _sell(self, s: int) -> tuple[int, int]:
        g = self.bids.amount_grid
        return s * g.m, -g.d

    def _buy_value(self, i: int, bl: int) -> tuple[int, int]:
        la, pa = self.asks.amount_grid, self.asks.price_grid
        return i * la.m * bl * pa.m, -(la.d + pa.d)

    def _sell_value(self, s: int, sl: int) -> tuple[int, int]:
        lg, pg = self.bids.amount_grid, self.bids.price_grid
        return s * lg.m * sl * pg.m, -(lg.d + pg.d)

    def limits_cross(self, j: int, bl: int) -> bool:
        """Whether sell limit ``j`` > buy limit ``bl`` (ticks of two grids)."""
        pa, pb = self.asks.price_grid, self.bids.price_grid
        return self.sell_limit(j) * pb.m * pa.p10 > bl * pa.m * pb.p10

    def upper_ok(self, i: int) -> bool:
        """:meth:`Problem.upper_ok` at B = i lots."""
        asks, bids = self.asks, self.bids
        if not asks.ensure_lots(i):
            return False
        s = self.ns(i)
        if s > 0 and not bids.ensure_lots(s):
            return False
        cost, k = asks.walk(i)
        if self.max_notional is not None:
            pa, la = asks.price_grid, asks.amount_grid
            if cmp(cost * pa.m * la.m, -(pa.d + la.d), self.max_notional) > 0:
                return False
        bl = self.buy_limit(k)
        if self.quote is not None:
            c, e = self._buy_value(i, bl)
            n, d = self.psi_r
            if cmp(c * n, e, (self.quote[0] * d, self.quote[1])) > 0:
                return False
        if self.base is not None and cmp(*self._sell(s), self.base) > 0:
            return False
        if self.bmax is not None and cmp(*self._amount(i), self.bmax) > 0:
            return False
        if self.bcmax is not None and cmp(*self._buy_value(i, bl), self.bcmax) > 0:
            return False
        if self.smax is not None and cmp(*self._sell(s), self.smax) > 0:
            return False
        return not (s > 0 and not self.limits_cross(bids.level_index(s), bl))

    def lower_ok(self, i: int) -> bool:
        """:meth:`Problem.lower_ok` at B = i lots."""
        s = self.ns(i)
        if s <= 0:
            return False
        if self.bmin is not None and cmp(*self._amount(i), self.bmin) < 0:
            return False
        if self.smin is not None and cmp(*self._sell(s), self.smin) < 0:
            return False
        if self.bcmin is not None:
            _, k = self.asks.walk(i)
            if cmp(*self._buy_value(i, self.buy_limit(k)), self.bcmin) < 0:
                return False
        return True

    def point(self, i: int) -> tuple[int, int] | None:
        """(net', cost') at B = i lots (both × ``f``) if every non-monotone constraint holds, as
        :meth:`Problem.point`; None otherwise."""
        s = self.ns(i)
        if s <= 0:
            return None
        c, _ = self.asks.walk(i)
        pr, j = self.bids.walk(s)
        if self.scmin is not None or self.scmax is not None:
            v = self._sell_value(s, self.sell_limit(j))
            if self.scmin is not None and cmp(*v, self.scmin) < 0:
                return None
            if self.scmax is not None and cmp(*v, self.scmax) > 0:
                return None
        return self.judge(self.kb * pr - self.ka * c, self.ka * c)

    def judge(self, net: int, cost: int) -> tuple[int, int] | None:
        """(net', cost') if net > 0, ≥ min_net_profit and ≥ t·cost; else None."""
        if net <= 0 or abs(net) >= _LIMIT or cost >= _LIMIT:
            if net > 0:
                raise OffGrid("money beyond the exact digits")
            return None
        mn, md = self.mnp
        if net * md < mn * self.f:
            return None
        tn, td = self.t_r
        if net * td < tn * cost:
            return None
        return net, cost

    def net_decimal(self, net: int) -> Decimal:
        """The Decimal path's net (same value) from net'."""
        v = Decimal(net) / Decimal(self.f)
        if v * self.f != net:
            raise OffGrid("net not exact")
        return v

    # -- Decimal values of the Decimal path's per-level numbers ---------------------------------
    def _has(self, ladder: IntLadder, k: int) -> bool:
        return k < ladder.loaded or ladder.load_to(k)

    def ask_cum(self, k: int) -> Decimal:
        self.ask_cost_rate(k)
        return self._ac[k]

    def ask_price(self, k: int) -> Decimal:
        g = self.asks.price_grid
        return Decimal(self.asks.ticks[k] * g.m).scaleb(-g.d)

    def bid_price(self, j: int) -> Decimal:
        g = self.bids.price_grid
        return Decimal(self.bids.ticks[j] * g.m).scaleb(-g.d)

    def bid_cum(self, j: int) -> Decimal:
        g = self.bids.amount_grid
        return Decimal(self.bids.cum_lots[j] * g.m).scaleb(-g.d)

    def ask_cost(self, k: int) -> Decimal:
        pa, la = self.asks.price_grid, self.asks.amount_grid
        return Decimal(self.asks.cum_cost[k] * pa.m * la.m).scaleb(-(pa.d + la.d))

    def ask_cost_rate(self, k: int) -> Decimal:
        """Builds ask level tables up to ``k``: price × buy_mult and the cumulative amount (Decimal values)."""
        g, ac, asks = self._g, self._ac, self.asks
        if len(g) <= k:
            gm, lb, ticks, cum = self._gm, self.lb, asks.ticks, asks.cum_lots
            for n in range(len(g), k + 1):
                g.append(Decimal(ticks[n]) * gm)  # = price·buy_mult: exact products, the same value
                ac.append(Decimal(cum[n]) * lb)
        return g[k]

    def bid_rate(self, j: int) -> Decimal:
        """Builds bid level tables up to ``j``: price × sell_mult × keep, and cumulative amount / keep."""
        bk, bx, bids = self._bk, self._bx, self.bids
        if len(bk) <= j:
            bm, ls, keep, ticks, cum = self._bmk, self.ls, self.keep, bids.ticks, bids.cum_lots
            for n in range(len(bk), j + 1):
                bk.append(Decimal(ticks[n]) * bm)
                bx.append(Decimal(cum[n]) * ls / keep)  # the Decimal path's rounded division, of the same value
        return bk[j]

    def bid_end(self, j: int) -> Decimal:
        self.bid_rate(j)
        return self._bx[j]

    def buy_limit_decimal(self, k: int) -> Decimal:
        g = self.asks.price_grid
        return Decimal(self.buy_limit(k) * g.m).scaleb(-g.d)

    # -- loads on Decimal demands (as Ladder.ensure_amount / ensure_cost / load_while) -----------
    def ensure_bid_amount(self, amount: Decimal) -> None:
        bids, r = self.bids, ratio(amount)
        while not bids.cum_lots or cmp(*self._sell(bids.cum_lots[-1]), r) < 0:
            if not bids.load_one():
                return

    def ensure_ask_cost(self, cost: Decimal) -> None:
        asks, r = self.asks, ratio(cost)
        pa, la = asks.price_grid, asks.amount_grid
        while not asks.cum_cost or cmp(asks.cum_cost[-1] * pa.m * la.m, -(pa.d + la.d), r) < 0:
            if not asks.load_one():
                return

    def load_asks_while_at_most(self, limit: Decimal, extra: Decimal) -> None:
        """``asks.load_while(lambda price: price <= limit, extra)``."""
        asks, r = self.asks, ratio(limit)
        pa = asks.price_grid
        while (not asks.ticks or cmp(asks.ticks[-1] * pa.m, -pa.d, r) <= 0) and asks.load_one():
            pass
        if not asks.ticks:
            return
        n = asks.loaded
        target = ratio((self.ask_cum(n - 2) if n > 1 else ZERO) + extra)
        while cmp(*self._amount(asks.cum_lots[-1]), target) < 0 and asks.load_one():
            pass

    # -- bounds (Decimal where the Decimal path rounds) -----------------------------------------
    def last_true(self, pred: Callable[[int], bool], guess: Decimal, lo: int, hi: int) -> int | None:
        """:meth:`Problem._last_true` over lot indices."""
        if hi < lo:
            return None
        n = min(hi, max(lo, int((guess / self.lb).to_integral_value(ROUND_FLOOR))))
        if pred(n):
            good, step = n, 1
            while good + step <= hi and pred(good + step):
                good += step
                step *= 2
            bad = min(good + step, hi + 1)
        else:
            bad, step = n, 1
            while bad - step >= lo and not pred(bad - step):
                bad -= step
                step *= 2
            if bad - step < lo and not pred(lo):
                return None
            good = max(bad - step, lo)
        while bad - good > 1:
            mid = (good + bad) // 2
            if pred(mid):
                good = mid
            else:
                bad = mid
        return good

    def boundary(self, pred: Callable[[int], bool], guess: Decimal, lo: int, hi: int, *, last_true: bool) -> int | None:
        if last_true:
            return self.last_true(pred, guess, lo, hi)
        last_false = self.last_true(lambda n: not pred(n), guess, lo, hi)
        if last_false is None:
            return lo if lo <= hi else None
        return last_false + 1 if last_false < hi else None

    def floor_index(self, b: Decimal) -> int:
        """``floor(b / lb)`` as the Decimal path computes it."""
        return int((b / self.lb).to_integral_value(ROUND_FLOOR))
