"""The integer evaluator (arb.core.intevaluator) equals the reference evaluator digit for digit, levels read and
reason codes included, and leaves books off the grid to the Decimal path instead of rounding them."""

from __future__ import annotations

from decimal import Decimal as D
from decimal import localcontext
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from arb.core.errors import ArbError, BookError
from arb.core.evaluator import evaluate
from arb.core.intevaluator import _evaluate, evaluate_int
from arb.core.intladder import OffGrid
from arb.core.model import Balances, Fee, Limits, MarketSpec
from tests.refeval.evaluator import evaluate as reference
from tests.unit.test_evaluator import make_book, oracle, scenarios
from tests.unit.test_evaluator_reference import deep_books


def same(buy_book: Any, sell_book: Any, **kw: Any) -> None:
    outs = []
    for f in (evaluate_int, reference):
        why: list[str] = []
        try:
            opp = f(buy_book, sell_book, why=why, **kw)
        except ArbError as e:
            outs.append(("error", type(e).__name__, str(e)))
            continue
        meta = None if opp is None else {k: opp.meta[k] for k in ("buy_levels_loaded", "sell_levels_loaded")}
        digits = None if opp is None else [str(getattr(opp, f)) for f in ("cost", "net_profit", "net_bps", "dust")]
        legs = None if opp is None else (str(opp.buy), str(opp.sell))
        outs.append((opp, meta, why, digits, legs))
    assert outs[0] == outs[1]


def integer_path_taken(buy_book: Any, sell_book: Any, bm: MarketSpec, sm: MarketSpec, **kw: Any) -> bool:
    try:
        _evaluate(
            buy_book,
            sell_book,
            bm,
            sm,
            kw["buy_fee"],
            kw["sell_fee"],
            kw["limits"],
            kw["balances"],
            "X",
            {"buy_venue": "buy", "sell_venue": "sell"},
            None,
        )
    except OffGrid:
        return False
    return True


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_equals_the_reference_on_the_oracle_scenarios(sc: Any) -> None:
    asks, bids, bm, sm, bf, sf, lim, bal, floats = sc
    buy_book = make_book(
        bids=[(asks[0][0] - bm.price_step, 1)] if asks[0][0] > bm.price_step else [], asks=asks, floats=floats
    )
    sell_book = make_book(bids=bids, asks=[(bids[0][0] + sm.price_step, 1)], floats=floats)
    same(buy_book, sell_book, buy_market=bm, sell_market=sm, buy_fee=bf, sell_fee=sf, limits=lim, balances=bal)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deep_books())
def test_equals_the_reference_on_deep_float_books(sc: Any) -> None:
    buy, sell, bm, sm, bf, sf, lim, bal = sc
    same(buy, sell, buy_market=bm, sell_market=sm, buy_fee=bf, sell_fee=sf, limits=lim, balances=bal)


BTC = MarketSpec("BTC/USDT", "BTC", "USDT", D("0.00001"), D("0.1"), D("0.00001"), None, D("5"))
FEE = Fee(D("0.001"))
KW: dict[str, Any] = {
    "buy_market": BTC,
    "sell_market": BTC,
    "buy_fee": FEE,
    "sell_fee": FEE,
    "limits": Limits(slippage_bps=D("1")),
    "balances": Balances(),
}


def test_the_bench_books_take_the_integer_path() -> None:
    buy = {"bids": [[64999.9, 1.0]], "asks": [[65000.0, 0.01234], [65006.5, 0.5]]}
    sell = {"bids": [[65300.0, 0.2], [65290.1, 0.3]], "asks": [[65300.1, 1.0]]}
    assert integer_path_taken(buy, sell, BTC, BTC, **KW)
    same(buy, sell, **KW)


def test_a_book_finer_than_the_market_grid_goes_to_the_decimal_path_unrounded() -> None:
    buy = {"bids": [[64999.9, 1.0]], "asks": [[65000.0, 0.012345], [65006.5, 0.5]]}  # 6 decimals, lot 1e-5
    sell = {"bids": [[65300.05, 0.2], [65290.1, 0.3]], "asks": [[65300.1, 1.0]]}  # 2 decimals, tick 0.1
    assert not integer_path_taken(buy, sell, BTC, BTC, **KW)
    got = evaluate_int(buy, sell, **KW)
    assert got is not None and got == evaluate(buy, sell, **KW)
    assert got.buy.worst_price in (D("65000.0"), D("65006.5"))
    same(buy, sell, **KW)


@pytest.mark.parametrize(
    "buy",
    [
        {"bids": [[65001.0, 1.0]], "asks": [[65000.0, 0.5]]},  # crossed
        {"bids": [[64999.9, 1.0]], "asks": [[65000.0, -0.5]]},  # negative amount
        {"bids": [[64999.9, 1.0]], "asks": [[65000.0, 0.5], [64990.0, 0.5]]},  # out of order (read on a deep walk)
        {"bids": [[64999.9, 1.0]], "asks": "65000"},
    ],
)
def test_bad_books_raise_what_the_decimal_path_raises(buy: dict[str, Any]) -> None:
    sell = {"bids": [[65300.0, 2.0]], "asks": [[65300.1, 1.0]]}
    with pytest.raises(BookError) as want:
        reference(buy, sell, **KW)
    with pytest.raises(BookError) as got:
        evaluate_int(buy, sell, **KW)
    assert str(got.value) == str(want.value)


def test_steps_written_with_other_digits_keep_their_own_digits() -> None:
    """Equal markets with differently written steps (0.1 and 0.10) share cached integers, never digits."""
    buy = {"bids": [[64999.9, 1.0]], "asks": [[65000.0, 0.01234], [65006.5, 0.5]]}
    sell = {"bids": [[65300.0, 0.2], [65290.1, 0.3]], "asks": [[65300.1, 1.0]]}
    for tick, lot, slip in (("0.1", "0.00001", "1"), ("0.10", "0.000010", "1.0"), ("0.1", "0.00001", "1")):
        m = MarketSpec("BTC/USDT", "BTC", "USDT", D(lot), D(tick), D("0.00001"), None, D("5"))
        kw = {**KW, "buy_market": m, "sell_market": m, "limits": Limits(slippage_bps=D(slip))}
        assert integer_path_taken(buy, sell, m, m, **kw)
        same(buy, sell, **kw)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_equals_the_brute_force_oracle(sc: Any) -> None:
    asks, bids, bm, sm, bf, sf, lim, bal, floats = sc
    buy_book = make_book(
        bids=[(asks[0][0] - bm.price_step, 1)] if asks[0][0] > bm.price_step else [], asks=asks, floats=floats
    )
    sell_book = make_book(bids=bids, asks=[(bids[0][0] + sm.price_step, 1)], floats=floats)
    with localcontext() as ctx:
        ctx.prec = 60
        want = oracle(asks, bids, bm, sm, bf, sf, lim, bal)
    got = evaluate_int(
        buy_book, sell_book, buy_market=bm, sell_market=sm, buy_fee=bf, sell_fee=sf, limits=lim, balances=bal
    )
    if want is None:
        assert got is None
    else:
        assert got is not None and (got.net_profit, got.buy.amount) == (want[0], want[1])
