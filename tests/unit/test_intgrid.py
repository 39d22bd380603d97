"""Integer grids (arb.core.intgrid) agree with the Decimal path's reading of a level, digit for digit; never round."""

from __future__ import annotations

import math
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from arb.core.intgrid import Grid

STEPS = ["1", "0.1", "0.01", "0.5", "0.25", "0.00000001", "0.00001", "0.0001", "5", "10", "1E+1", "0.000000000001"]


def exact_ticks(x: D, step: D) -> int | None:
    """The oracle: x / step when it is a positive integer, by Decimal's exact integer ratio."""
    num, den = (x / step).as_integer_ratio() if x > 0 else (0, 1)
    return num if den == 1 and num > 0 and x == num * step else None


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(STEPS), st.integers(1, 10**17), st.integers(-3, 3))
def test_a_float_on_the_grid_is_found_and_its_repr_digits_predicted(step: str, n: int, shift: int) -> None:
    grid = Grid(D(step))
    value = n * D(step) * D(10) ** shift  # on the grid when shift >= 0; often off it otherwise
    x = float(value)
    if not math.isfinite(x) or x <= 0:
        return
    want = exact_ticks(D(repr(x)), D(step))
    got = grid.of_float(x)
    if got is not None:  # sound: what it returns is exactly the Decimal path's value
        assert want == got and D(repr(x)) == got * D(step)
        assert grid.repr_exponent(got) == D(repr(x)).as_tuple().exponent
    elif want is not None:  # complete where the float carries the value: up to 15 significant digits, n < 2^50
        assert len(str(want * grid.m).rstrip("0")) > 15 or want >= 2**50


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(STEPS), st.floats(allow_nan=True, allow_infinity=True))
def test_any_float_is_either_exactly_on_the_grid_or_refused(step: str, x: float) -> None:
    grid = Grid(D(step))
    got = grid.of_float(x)
    if got is None:
        return
    assert math.isfinite(x) and x > 0
    assert D(repr(x)) == got * D(step)
    assert grid.repr_exponent(got) == D(repr(x)).as_tuple().exponent


def test_book_values_finer_than_the_grid_are_refused_not_rounded() -> None:
    lot, tick = Grid(D("0.00001")), Grid(D("0.1"))
    assert lot.of_float(0.01234) == 1234
    assert lot.of_float(0.012345) is None  # a venue with finer precision than the market spec
    assert lot.of_float(0.0123456789) is None
    assert tick.of_float(65000.0) == 650000 and tick.repr_exponent(650000) == -1
    assert tick.of_float(65000.05) is None
    assert tick.of_float(-65000.0) is None and tick.of_float(0.0) is None
    assert tick.of_float(float("nan")) is None and tick.of_float(float("inf")) is None
    assert tick.of(D("65000.10")) == 650001 and tick.of(D("65000.15")) is None
    assert tick.of("65000.1") is None  # strings stay on the Decimal path
    assert Grid(D("0.00001")).repr_exponent(1) == -5  # repr(1e-05) == "1e-05"
    assert Grid(D("1")).repr_exponent(10**16) == 16  # repr(1e16) == "1e+16"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(STEPS), st.decimals(min_value=D("-1e6"), max_value=D("1e9"), places=10))
def test_decimals_on_the_grid_exactly(step: str, v: D) -> None:
    got = Grid(D(step)).of_decimal(v)
    assert got == exact_ticks(v, D(step)) if v > 0 else got is None
