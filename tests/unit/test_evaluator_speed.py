"""What the evaluator's speed work must not change: the float → Decimal memo of ladder loading, and the
evaluator's output digit for digit (every field's repr, the levels read, the reason code, the error) against
the evaluator before the speed work (``tests/refeval``), cold and with the memo warm."""

from __future__ import annotations

import math
import random
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arb.core import books
from arb.core.books import Ladder, ladders
from arb.core.errors import ArbError, BookError
from arb.core.evaluator import evaluate
from arb.core.model import Balances, Fee, Limits, MarketSpec
from tests.refeval.evaluator import evaluate as reference

BAD_FLOATS = [0.0, -0.0, -1.5, math.inf, -math.inf, math.nan]


def read(levels: list[Any], side: str = "asks") -> tuple[list[str], list[str], list[str], list[str]] | str:
    """Every level of a ladder as reprs of its Decimals, or the BookError's message."""
    lad = Ladder(levels, side, "x")  # type: ignore[arg-type]
    try:
        lad.load_all()
    except BookError as e:
        return str(e)
    return (
        [repr(p) for p in lad.prices],
        [repr(a) for a in lad.amounts],
        [repr(c) for c in lad.cum_amount],
        [repr(c) for c in lad.cum_cost],
    )


finite = st.floats(min_value=1e-9, max_value=1e9, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=8), st.data())
def test_memoised_floats_read_as_fresh_ones(pairs: list[tuple[float, float]], data: Any) -> None:
    """A level read with the memo warm gives the Decimals a cold read gives (``Decimal(repr(x))``), and a bad
    value is refused on every read: only checked positive finite values are ever memoised."""
    prices = sorted({p for p, _ in pairs})
    levels: list[Any] = [[p, a] for p, (_, a) in zip(prices, pairs, strict=False)]
    if data.draw(st.booleans()):
        k = data.draw(st.integers(0, len(levels) - 1))
        levels[k] = [levels[k][0], data.draw(st.sampled_from(BAD_FLOATS))]
    books._FLOATS.clear()
    cold = read(levels)
    warm = read(levels)
    assert cold == warm
    if isinstance(cold, tuple):
        assert cold[0] == [repr(D(repr(p))) for p, _ in levels]
        assert cold[1] == [repr(D(repr(a))) for _, a in levels]
    assert all(v > 0 and math.isfinite(v) for v in books._FLOATS)
    assert all(books._FLOATS[v] == D(repr(v)) for v in books._FLOATS)


@pytest.mark.parametrize("bad", BAD_FLOATS)
def test_a_bad_float_is_refused_after_its_good_neighbours_are_memoised(bad: float) -> None:
    good = [[100.5, 1.25], [101.5, 2.0]]
    assert isinstance(read(good), tuple)
    for levels in ([[100.5, 1.25], [bad, 2.0]], [[100.5, 1.25], [101.5, bad]], [[bad, bad]]):
        for _ in range(2):
            msg = read(levels)
            assert isinstance(msg, str) and "must be a positive number" in msg


def test_the_memo_is_bounded() -> None:
    books._FLOATS.clear()
    n = books._FLOATS_MAX + 10
    read([[1.0 + i / 1024, 1.0] for i in range(n)])
    assert 0 < len(books._FLOATS) <= books._FLOATS_MAX
    assert read([[1.0, 0.5], [1.0 + (n - 1) / 1024, 0.5]])[0] == ["Decimal('1.0')", repr(D(repr(1.0 + (n - 1) / 1024)))]


def test_ints_and_equal_floats_are_not_confused() -> None:
    """1 == 1.0 and hash alike: an int level must read as Decimal('1'), a float as Decimal('1.0')."""
    books._FLOATS.clear()
    assert read([[1.0, 2.0]])[0] == ["Decimal('1.0')"]
    assert read([[1, 2]])[0] == ["Decimal('1')"]
    assert read([["1.00", 2]])[0] == ["Decimal('1.00')"]
    assert read([[True, 2.0]]) == "x asks[0]: not a [price, amount] pair of numbers: [True, 2.0]"


# -- the evaluator against the reference, every repr ---------------------------------------------------------


def outcome(f: Any, buy: Any, sell: Any, kw: dict[str, Any]) -> Any:
    why: list[str] = []
    try:
        opp = f(buy, sell, why=why, **kw)
    except ArbError as e:
        return ("error", type(e).__name__, str(e))
    if opp is None:
        return (None, why)
    fields = ("symbol", "cost", "proceeds", "gross_profit", "fees_quote", "net_profit", "net_bps", "dust")
    return (
        repr(opp.buy),
        repr(opp.sell),
        [repr(getattr(opp, name)) for name in fields],
        {k: opp.meta[k] for k in ("buy_levels_loaded", "sell_levels_loaded", "approx", "shortfall")},
        why,
    )


@st.composite
def markets_and_books(draw: Any) -> tuple[Any, Any, dict[str, Any]]:
    """Float (or string) books around a BTC-like mid with venues' ticks and lots, every cap and threshold the
    evaluator knows, and now and then a malformed level anywhere in either book."""
    r = random.Random(draw(st.integers(0, 2**32)))
    levels = draw(st.sampled_from([1, 2, 3, 5, 12, 40]))
    tick_b, tick_s = D(draw(st.sampled_from(["0.1", "0.01", "1"]))), D(draw(st.sampled_from(["0.1", "0.01"])))
    lot_b = D(draw(st.sampled_from(["0.00000001", "0.00001", "0.001"])))
    lot_s = D(draw(st.sampled_from(["0.00001", "0.0001", "0.7"])))
    mid, edge, step = 65000.0, draw(st.integers(-5, 80)) / 10_000, draw(st.integers(1, 10)) / 100_000
    asks: list[Any] = [[round(mid * (1 + i * step), 1), round(r.uniform(0.001, 0.5), 5)] for i in range(levels)]
    bids: list[Any] = [[round(mid * (1 + edge - i * step), 2), round(r.uniform(0.001, 0.5), 5)] for i in range(levels)]
    if draw(st.integers(0, 9)) == 0:
        side = asks if draw(st.booleans()) else bids
        k = draw(st.integers(0, len(side) - 1))
        side[k] = draw(st.sampled_from([[0.0, 1.0], [1.0, -2.0], ["x", 1], [math.nan, 1.0], [side[k][0], math.inf]]))
        if draw(st.booleans()):
            side[k], side[-1] = side[-1], side[k]  # out of order, or bad at the far end
    if draw(st.integers(0, 9)) == 0:
        asks = [[str(p), str(a)] for p, a in asks]
    buy = {"bids": [[round(mid * 0.999, 1), 1.0]], "asks": asks}
    sell = {"bids": bids, "asks": [[round(mid * (1 + edge) * 1.001, 2), 1.0]]}
    opt = st.one_of(st.none(), st.sampled_from([D("1"), D("30000")]))
    bm = MarketSpec("BTC/USDT", "BTC", "USDT", lot_b, tick_b, draw(opt), draw(opt), D("5"), draw(opt))
    sm = MarketSpec("BTC/USDT", "BTC", "USDT", lot_s, tick_s, draw(opt), draw(opt), draw(opt), draw(opt))
    rate = st.sampled_from(["0", "0.0005", "0.001", "0.002"])
    currency = st.sampled_from(["received", "quote"])
    kw = {
        "buy_market": bm,
        "sell_market": sm,
        "buy_fee": Fee(D(draw(rate)), draw(currency)),
        "sell_fee": Fee(D(draw(rate)), draw(currency)),
        "limits": Limits(
            min_net_bps=D(draw(st.sampled_from(["0", "1", "5"]))),
            min_net_profit=D(draw(st.sampled_from(["0", "0.5"]))),
            max_notional=draw(st.one_of(st.none(), st.sampled_from([D("1000"), D("20000")]))),
            slippage_bps=D(draw(st.sampled_from(["0", "1", "3"]))),
        ),
        "balances": Balances(
            quote_on_buy=draw(st.one_of(st.none(), st.sampled_from([D("500"), D("50000")]))),
            base_on_sell=draw(st.one_of(st.none(), st.sampled_from([D("0.01"), D("2")]))),
        ),
    }
    return buy, sell, kw


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markets_and_books(), st.booleans())
def test_every_repr_equals_the_reference(sc: tuple[Any, Any, dict[str, Any]], cold: bool) -> None:
    buy, sell, kw = sc
    if cold:
        books._FLOATS.clear()
    want = outcome(reference, buy, sell, kw)
    assert outcome(evaluate, buy, sell, kw) == want
    assert outcome(evaluate, buy, sell, kw) == want  # memo warm: the same again


def test_the_bench_books_equal_the_reference() -> None:
    from bench import evaluator_bench as eb

    lim = Limits(min_net_bps=D("1"), slippage_bps=D("1"))
    kw = {"buy_market": eb.BUY, "sell_market": eb.SELL, "buy_fee": eb.FEE, "sell_fee": eb.FEE, "limits": lim}
    for levels in (5, 20, 50, 400):
        buy, sell = eb.books(levels)
        got = outcome(evaluate, buy, sell, kw)
        assert got[0] is not None and got == outcome(reference, buy, sell, kw)


def test_the_other_sides_are_checked_as_before() -> None:
    """ladders() still validates the top of the side the evaluation does not walk, and the crossed check."""
    with pytest.raises(BookError, match=r"bids\[0\]: price must be a positive number"):
        ladders({"bids": [[0.0, 1.0]], "asks": [[1.0, 1.0]]}, "v")
    with pytest.raises(BookError, match="crossed book"):
        ladders({"bids": [[2.0, 1.0]], "asks": [[1.0, 1.0]]}, "v")


@settings(max_examples=500, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_exponent_read_off_the_string_is_as_tuples(d: D) -> None:
    from arb.core.search import _exponent

    assert _exponent(d) == d.as_tuple().exponent


def test_rates_are_memoised_per_parameters_and_precision() -> None:
    """Problem's derived rates (slippage and bps as fractions, multipliers) come from a memo keyed by the
    fees, the limits and the precision: another precision computes its own."""
    from decimal import localcontext

    from arb.core.sizing import Problem

    lim = Limits(min_net_bps=D("1"), slippage_bps=D("1"))
    fee = Fee(D("0.001"))
    asks, bids = Ladder([[1.0, 1.0]], "asks"), Ladder([[2.0, 1.0]], "bids")
    spec = MarketSpec("X/Y", "X", "Y", D("1"), D("1"))
    rates = []
    for prec in (60, 60, 3):
        with localcontext() as ctx:
            ctx.prec = prec
            p = Problem(asks, bids, spec, spec, fee, Fee(D("0.002"), "quote"), lim, Balances())
            want = ((1 + lim.slippage_bps / 10_000) * (1 + D(0)), (1 - lim.slippage_bps / 10_000) * (1 - D("0.002")))
            assert (p.buy_mult, p.sell_mult) == want
            rates.append((p.keep, p.buy_mult, p.sell_mult, p.t, p.s))
    assert rates[0] == rates[1] and rates[2] != rates[0]
