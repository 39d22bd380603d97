"""One side of a book on the market's integer grid: ticks, lots and prefix sums as Python ints.

The integer counterpart of :class:`arb.core.books.Ladder` for the integer evaluator (issue 16): it
loads levels lazily in the same order and on the same demands, so it reads exactly the levels the
Decimal ladder would. Walks are exact integer sums (cost in tick·lot units); :meth:`IntLadder.walk_decimal`
rebuilds the Decimal a :class:`Ladder` walk returns — same value *and* same digits (exponent), from
the exponents of ``Decimal(repr(x))`` that the Decimal path would have read.

A level that is not a positive float or Decimal exactly on the grid, or that breaks the side's
order, raises :class:`OffGrid`: the caller goes back to the Decimal path, which reads the book
itself (and raises the :class:`arb.core.errors.BookError` a bad level deserves). Never rounded.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Literal

from arb.core.intgrid import DBL_DIG_LIMIT, HUGE, TINY, Grid

PREC_LIMIT = 10**60  # coefficients the Decimal path (60 digits) holds exactly


class OffGrid(Exception):
    """The book (or a result) cannot be mirrored exactly in integers: use the Decimal path."""


class IntLadder:
    """Levels as (ticks, lots) with prefix sums ``cum_lots`` and ``cum_cost`` (ticks·lots), loaded on demand."""

    __slots__ = (
        "_raw",
        "amount_grid",
        "cum_cost",
        "cum_lots",
        "e_amt",
        "e_cost",
        "e_price",
        "lots",
        "price_grid",
        "side",
        "ticks",
    )

    def __init__(self, levels: Any, side: Literal["bids", "asks"], price_grid: Grid, amount_grid: Grid) -> None:
        if levels is None:
            levels = ()
        if (type(levels) is not list and not isinstance(levels, Sequence)) or isinstance(levels, str | bytes):
            raise OffGrid(side)
        self._raw: Sequence[Any] = levels
        self.side, self.price_grid, self.amount_grid = side, price_grid, amount_grid
        self.ticks: list[int] = []
        self.lots: list[int] = []
        self.cum_lots: list[int] = []
        self.cum_cost: list[int] = []
        # exponents of the Decimal path's numbers: each price and amount as read, and its prefix sums
        self.e_price: list[int] = []
        self.e_amt: list[int] = []  # of cum_amount
        self.e_cost: list[int] = []  # of cum_cost

    @property
    def loaded(self) -> int:
        return len(self.ticks)

    def raw_price(self, k: int) -> Any:
        """Level ``k``'s price as the book holds it (loaded)."""
        return self._raw[k][0]

    def load_one(self) -> bool:
        """Load the next level; False when the side is exhausted. Raises :class:`OffGrid`."""
        ticks = self.ticks
        i = len(ticks)
        if i >= len(self._raw):
            return False
        try:
            level = self._raw[i]
            x, y = level[0], level[1]
        except (TypeError, IndexError, KeyError) as e:
            raise OffGrid(self.side) from e
        if type(x) is float and type(y) is float:  # ccxt's case, inlined: Grid.of_float twice
            pg, ag = self.price_grid, self.amount_grid
            try:
                t = round(x * pg.per_unit) if TINY < x < HUGE else 0
                n = round(y * ag.per_unit) if TINY < y < HUGE else 0
            except OverflowError as e:  # a grid far finer than any book
                raise OffGrid(self.side) from e
            ct, cn = t * pg.m, n * ag.m
            if (
                t <= 0
                or n <= 0
                or ct / pg.p10 != x
                or cn / ag.p10 != y
                or (ct >= DBL_DIG_LIMIT and pg.of_float(x) is None)
                or (cn >= DBL_DIG_LIMIT and ag.of_float(y) is None)
            ):
                raise OffGrid(self.side)
        else:
            t0, n0 = self.price_grid.of(x), self.amount_grid.of(y)
            if t0 is None or n0 is None:
                raise OffGrid(self.side)
            t, n = t0, n0
        if i:
            if (t <= ticks[-1]) if self.side == "asks" else (t >= ticks[-1]):
                raise OffGrid(self.side)
            self.cum_lots.append(self.cum_lots[-1] + n)
            self.cum_cost.append(self.cum_cost[-1] + t * n)
        else:
            self.cum_lots.append(n)
            self.cum_cost.append(t * n)
        ticks.append(t)
        self.lots.append(n)
        return True

    def _exponents_to(self, k: int) -> None:
        """The exponents of the Decimal path's numbers for levels up to ``k`` (loaded): each price as read,
        and the prefix sums of amount and cost (the Decimal path adds ZERO, exponent 0, to the first level)."""
        e_price, e_amt, e_cost = self.e_price, self.e_amt, self.e_cost
        n = len(e_price)
        if n > k:
            return
        pg, ag, raw, ticks, lots = self.price_grid, self.amount_grid, self._raw, self.ticks, self.lots
        # Grid.repr_exponent's common case inlined: a last digit at 10^-d, fixed notation when fix_lo <= c < fix_hi
        pm, pd, plo, phi = pg.m, pg.d, pg.fix_lo, pg.fix_hi
        am, ad, alo, ahi = ag.m, ag.d, ag.fix_lo, ag.fix_hi
        p_fixed, a_fixed = -pd if pd else -1, -ad if ad else -1
        ea_min = e_amt[-1] if n else 0
        ec_min = e_cost[-1] if n else 0
        for i in range(n, k + 1):
            x, y = raw[i][0], raw[i][1]
            if type(x) is float:
                c = ticks[i] * pm
                ep = (p_fixed if plo <= c < phi else -pd) if c % 10 else pg.repr_exponent(ticks[i])
            else:
                ep = _exponent(x)
            if type(y) is float:
                c = lots[i] * am
                ea = (a_fixed if alo <= c < ahi else -ad) if c % 10 else ag.repr_exponent(lots[i])
            else:
                ea = _exponent(y)
            e_price.append(ep)
            if ea < ea_min:
                ea_min = ea
            if ep + ea < ec_min:
                ec_min = ep + ea
            e_amt.append(ea_min)
            e_cost.append(ec_min)

    def load_to(self, k: int) -> bool:
        """Load levels up to index ``k``; whether level ``k`` exists."""
        while len(self.ticks) <= k:
            if not self.load_one():
                return False
        return True

    def ensure_lots(self, n: int) -> bool:
        """Load levels until they hold ``n`` lots (as ``Ladder.ensure_amount(n·lot)``); False if too thin."""
        cum = self.cum_lots
        while not cum or cum[-1] < n:
            if not self.load_one():
                return False
        return True

    def level_index(self, n: int) -> int:
        """Index of the level holding the ``n``-th lot (loaded by the caller, as ``Ladder.level_index``)."""
        return bisect_left(self.cum_lots, n)

    def walk(self, n: int) -> tuple[int, int]:
        """Exact cost in tick·lot units of walking ``n`` lots from the top, and the worst level index."""
        if not self.ensure_lots(n):
            raise ValueError(f"{self.side}: walk of {n} lots exceeds depth")
        k = bisect_left(self.cum_lots, n)
        if k:
            return self.cum_cost[k - 1] + (n - self.cum_lots[k - 1]) * self.ticks[k], k
        return n * self.ticks[0], k

    def walk_decimal(self, n: int, amount_exponent: int) -> tuple[Decimal, int]:
        """``Ladder.walk(amount)`` for the Decimal ``amount`` worth ``n`` lots with exponent ``amount_exponent``:
        the same (value, digits) and level. Raises :class:`OffGrid` past 60 digits (the Decimal path rounds)."""
        cost, k = self.walk(n)
        self._exponents_to(k)
        e = min(amount_exponent, self.e_amt[k - 1] if k else 0) + self.e_price[k]  # (amount − before)·price
        e = min(e, self.e_cost[k - 1] if k else 0)  # + before_cost (ZERO at the top level)
        return to_decimal(cost * self.price_grid.m * self.amount_grid.m, -self.price_grid.d - self.amount_grid.d, e), k


def _exponent(v: Decimal) -> int:
    exp = v.as_tuple().exponent
    assert isinstance(exp, int)  # finite: checked by Grid.of_decimal
    return exp


def to_decimal(c: int, unit_exp: int, e: int) -> Decimal:
    """The Decimal worth ``c·10^unit_exp`` written with exponent ``e`` (exact; :class:`OffGrid` if it cannot be)."""
    if e >= unit_exp:
        coef, r = divmod(c, 10 ** (e - unit_exp))
        if r:
            raise OffGrid("not a multiple of the exponent")
    else:
        coef = c * 10 ** (unit_exp - e)
    if abs(coef) >= PREC_LIMIT:
        raise OffGrid("beyond 60 digits")
    return Decimal(coef).scaleb(e)
