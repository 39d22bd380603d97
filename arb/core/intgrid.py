"""Exact integer grids: a book's price or amount as a whole number of ticks or lots, or nothing.

The integer evaluator (issue 16) works on tick and lot indices. A level enters it only when its
value *as the Decimal path reads it* — ``Decimal(repr(x))`` for a ccxt float, the Decimal itself
otherwise — is exactly ``n`` steps of the market's grid. Anything else (off the grid, too many
digits to prove, not a positive finite number) gives ``None``: the caller falls back to the
Decimal path. Nothing is ever rounded to the grid.

Why the float test is exact: ``c = n·m`` (step ``m·10^-d``) is checked by ``c / 10^d == x``, a
correctly rounded integer division, so the decimal ``c·10^-d`` rounds to the double ``x``. When
that decimal has at most 15 significant digits (DBL_DIG) it is the only such decimal that does,
so it equals ``repr(x)`` — the shortest decimal rounding to ``x`` — in value. Normal doubles only.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

DBL_DIG_LIMIT = 10**15  # decimals with fewer significant digits than this bound are DBL_DIG-exact
TINY, HUGE = 1e-290, 1e290  # well inside the normal doubles (DBL_DIG holds there)


class Grid:
    """A positive step ``m·10^-d`` (integers ``m >= 1``, ``d >= 0``) and exact conversions onto it."""

    __slots__ = ("d", "fix_hi", "fix_lo", "m", "p10", "per_unit", "step")

    def __init__(self, step: Decimal) -> None:
        if not step.is_finite() or step <= 0:
            raise ValueError(f"grid step must be a positive Decimal, was {step!r}")
        _, digits, exp = step.as_tuple()
        coef = int("".join(map(str, digits)))
        assert isinstance(exp, int)
        self.step = step
        self.m: int = coef * 10**exp if exp >= 0 else coef
        self.d: int = 0 if exp >= 0 else -exp
        self.p10: int = 10**self.d
        self.per_unit: float = self.p10 / self.m  # a float: only proposes the candidate that is then checked
        # c·10^-d with a last digit at 10^-d prints in fixed notation when fix_lo <= c < fix_hi (leading digit
        # exponent in [-4, 15])
        self.fix_lo: int = 10 ** max(0, self.d - 4)
        self.fix_hi: int = 10 ** (16 + self.d)

    def of_float(self, x: float) -> int | None:
        """``n`` with ``Decimal(repr(x)) == n·step`` exactly (``n >= 1``), or None."""
        if not TINY < x < HUGE:  # also rejects NaN, infinities, zero and negatives
            return None
        try:
            n = round(x * self.per_unit)
        except OverflowError:  # x·per_unit beyond the doubles: a grid far finer than any book
            return None
        if n <= 0:
            return None
        c = n * self.m
        if c / self.p10 != x:
            return None
        if c >= DBL_DIG_LIMIT:
            while c % 10 == 0:
                c //= 10
            if c >= DBL_DIG_LIMIT:
                return None
        return n

    def of_decimal(self, v: Decimal) -> int | None:
        """``n`` with ``v == n·step`` exactly (``n >= 1``), or None."""
        if not v.is_finite() or v <= 0:
            return None
        num, den = v.as_integer_ratio()
        q, r = divmod(num * self.p10, den * self.m)
        return int(q) if r == 0 else None

    def of(self, x: object) -> int | None:
        """A ccxt number (float, Decimal; anything else is left to the Decimal path) on the grid, or None."""
        if type(x) is float:
            return self.of_float(x)
        if isinstance(x, Decimal):
            return self.of_decimal(x)
        return None

    def repr_exponent(self, n: int) -> int:
        """The exponent of ``Decimal(repr(x))`` for the float ``x`` whose repr is worth ``n`` steps: what
        the Decimal path's digits (and so every result's trailing zeros) are built from."""
        c, e = n * self.m, -self.d
        if c % 10:  # the common case: the last digit at 10^-d
            if self.fix_lo <= c < self.fix_hi:
                return e if e < 0 else -1
            return e
        while c % 10 == 0:
            c //= 10
            e += 1
        lead = e + len(str(c)) - 1  # exponent of the leading digit
        if -4 <= lead <= 15:  # repr prints fixed notation, with at least one fractional digit
            return e if e < 0 else -1
        return e


@lru_cache(maxsize=256)
def grid_of(step: Decimal) -> Grid:
    """The grid of a market step (a pure function of it, cached)."""
    return Grid(step)
