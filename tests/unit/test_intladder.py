"""Integer ladders read the levels a Decimal Ladder reads and walk to the same Decimal, digit for digit."""

from __future__ import annotations

import random
from decimal import Decimal as D
from decimal import localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arb.core.books import Ladder
from arb.core.errors import BookError
from arb.core.intgrid import Grid
from arb.core.intladder import IntLadder, OffGrid


@st.composite
def sides(draw: st.DrawFn) -> tuple[str, list[list[object]], D, D]:
    r = random.Random(draw(st.integers(0, 2**32)))
    side = draw(st.sampled_from(["asks", "bids"]))
    tick = D(draw(st.sampled_from(["0.1", "0.01", "1", "0.5", "0.00001"])))
    lot = D(draw(st.sampled_from(["0.00000001", "0.00001", "0.001", "1", "0.25"])))
    start = r.randint(1000, 10**7)
    n = draw(st.integers(1, 40))
    ticks = [start + (1 if side == "asks" else -1) * i * r.randint(1, 30) for i in range(n)]
    ticks = sorted(set(ticks), reverse=side == "bids")
    as_decimal = draw(st.booleans())
    levels: list[list[object]] = []
    for t in ticks:
        price, amount = t * tick, r.randint(1, 10**6) * lot
        levels.append([price, amount] if as_decimal else [float(price), float(amount)])
    return side, levels, tick, lot


@settings(max_examples=300, deadline=None)
@given(sides(), st.lists(st.integers(1, 10**13), min_size=1, max_size=8))
def test_walks_equal_the_decimal_ladder_and_load_the_same_levels(sc: tuple, wants: list[int]) -> None:
    side, levels, tick, lot = sc
    exp_lot = lot.as_tuple().exponent
    assert isinstance(exp_lot, int)
    with localcontext() as ctx:
        ctx.prec = 60
        ref = Ladder(levels, side)  # type: ignore[arg-type]
        il = IntLadder(levels, side, Grid(tick), Grid(lot))
        depth = sum(int(D(str(a)) / lot) for _, a in levels)
        for w in wants:
            n = 1 + w % depth
            cost, k = ref.walk(n * lot)
            got, kk = il.walk_decimal(n, exp_lot)
            assert (str(got), kk) == (str(cost), k)
            assert il.loaded == ref.loaded
            assert il.ensure_lots(n + 1) == ref.ensure_amount((n + 1) * lot) and il.loaded == ref.loaded


def test_a_book_finer_than_the_grid_is_refused_not_rounded() -> None:
    il = IntLadder([[65000.1, 0.5], [65000.2, 0.123456789]], "asks", Grid(D("0.1")), Grid(D("0.00001")))
    assert il.walk(50_000) == (650001 * 50_000, 0)
    with pytest.raises(OffGrid):
        il.ensure_lots(60_000)  # the second level has more decimals than the lot


@pytest.mark.parametrize(
    "levels",
    [[[65000.1, 1.0], [65000.1, 1.0]], [[65000.1, 1.0], [65000.0, 1.0]], [[-1.0, 1.0]], [[1.0, 0.0]], [[1.0]], ["x"]],
)
def test_levels_the_decimal_path_rejects_leave_the_integer_path(levels: list) -> None:
    ref = Ladder(levels, "asks")
    with pytest.raises(BookError):
        ref.load_all()
    with pytest.raises(OffGrid):
        IntLadder(levels, "asks", Grid(D("0.1")), Grid(D("0.1"))).load_to(len(levels))
