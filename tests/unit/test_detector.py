"""Detector: pairs appear and disappear as updates arrive; fees and removed books suppress them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from arb.core.detector import Detector
from arb.core.model import Fee


def _det(rate: str = "0.001") -> Detector:
    d = Detector()
    for v in ("okx", "binance", "bybit"):
        d.set_fee(v, "BTC/USDT", Fee(Decimal(rate)))
    return d


def test_cross_appears_and_disappears() -> None:
    d = _det()
    assert d.check("okx", "BTC/USDT", 100.0, 100.1)[0] == []
    assert d.check("binance", "BTC/USDT", 100.0, 100.1)[0] == []
    # binance bid jumps: buy on okx (ask 100.1), sell on binance (bid 101) crosses after 0.2% fees
    assert d.check("binance", "BTC/USDT", 101.0, 101.1)[0] == [("okx", "binance")]
    assert d.check("okx", "BTC/USDT", 100.0, 100.1)[0] == [("okx", "binance")]  # seen from the other side too
    # back to normal: the pair is gone
    assert d.check("binance", "BTC/USDT", 100.0, 100.1)[0] == []
    assert d.check("okx", "BTC/USDT", 100.0, 100.1)[0] == []


def test_fees_exceeding_spread_suppress_and_count_near_miss() -> None:
    d = _det("0.001")
    d.check("okx", "BTC/USDT", 100.0, 100.1)
    assert d.check("bybit", "BTC/USDT", 100.2, 100.3) == ([], 1)  # 0.1% raw edge < 0.2% fees
    d0 = _det("0")
    d0.check("okx", "BTC/USDT", 100.0, 100.1)
    assert d0.check("bybit", "BTC/USDT", 100.2, 100.3)[0] == [("okx", "bybit")]


def test_removed_book_drops_its_pairs() -> None:
    d = _det("0")
    d.check("okx", "BTC/USDT", 100.0, 100.1)
    assert d.check("bybit", "BTC/USDT", 100.5, 100.6)[0] == [("okx", "bybit")]
    d.remove("bybit", "BTC/USDT")  # the engine removes a crossed, empty or stale book
    assert d.check("okx", "BTC/USDT", 100.0, 100.1) == ([], 0)
    d.remove("nowhere", "BTC/USDT")  # removing an unknown book is a no-op


def test_three_venues_both_directions_and_symbol_isolation() -> None:
    d = _det("0")
    d.check("okx", "BTC/USDT", 100.0, 100.1)
    d.check("binance", "BTC/USDT", 100.0, 100.1)
    pairs, _ = d.check("bybit", "BTC/USDT", 99.0, 99.5)  # bybit cheap: buy bybit, sell on both others
    assert sorted(pairs) == [("bybit", "binance"), ("bybit", "okx")]
    assert d.check("okx", "ETH/USDT", 10.0, 10.1) == ([], 0)
    d.remove("bybit", "BTC/USDT")
    assert d.check("okx", "BTC/USDT", 100.0, 100.1) == ([], 0)


def test_quote_fee_on_buy_side() -> None:
    d = Detector()
    d.set_fee("a", "X/USDT", Fee(Decimal("0.01"), "quote"))
    d.set_fee("b", "X/USDT", Fee(Decimal("0")))
    d.check("a", "X/USDT", 99.0, 100.0)
    assert d.check("b", "X/USDT", 100.5, 101.0)[0] == []  # 100 * 1.01 = 101 > 100.5
    assert d.check("b", "X/USDT", 101.5, 102.0)[0] == [("a", "b")]


def test_a_fee_changed_after_books_arrived_applies_to_the_next_check() -> None:
    """The detector keeps each venue's bid·(1−f) and ask·(1+ψ); a new fee must refresh them, not wait for a book."""
    d = Detector()
    d.set_fee("a", "X/USDT", Fee(Decimal("0")))
    d.set_fee("b", "X/USDT", Fee(Decimal("0")))
    d.check("a", "X/USDT", 99.0, 100.0)
    assert d.check("b", "X/USDT", 100.5, 101.0)[0] == [("a", "b")]  # sell on b at 100.5 > buy a at 100
    d.set_fee("b", "X/USDT", Fee(Decimal("0.01")))  # b's bid now nets 99.495: no cross
    assert d.check("a", "X/USDT", 99.0, 100.0) == ([], 1)
    d.set_fee("a", "X/USDT", Fee(Decimal("0.02"), "quote"))
    d.set_fee("b", "X/USDT", Fee(Decimal("0")))  # a's ask costs 102 with its quote fee: still no cross after fees
    assert d.check("b", "X/USDT", 100.5, 101.0) == ([], 1)


def _fresh(d: Detector, fees: dict[tuple[str, str], Fee], symbol: str, venue: str, bid: float, ask: float) -> Any:
    """What a detector without any remembered result answers: rebuilt from d's tops, records in d's order."""
    f = Detector()
    for (v, s), fee in fees.items():
        f.set_fee(v, s, fee)
    d.handle(venue, symbol)  # the record exists once checked (creating it first changes no answer)
    for v, rec in d._sym[symbol].items():  # in d's order: the order pairs come out in
        f.handle(v, symbol)
        if v != venue and rec[0] is not None:
            f.check(v, symbol, rec[0], rec[1])
    return f.check(venue, symbol, bid, ask)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("book"), st.sampled_from("abc"), st.sampled_from([99.0, 99.5, 100.0, 100.4])),
            st.tuples(st.just("fee"), st.sampled_from("abc"), st.sampled_from(["0", "0.001", "0.004"])),
            st.tuples(st.just("remove"), st.sampled_from("abc"), st.just(0)),
        ),
        max_size=40,
    )
)
def test_an_unchanged_top_reuses_the_last_answer_only_while_it_is_still_the_answer(ops: list[Any]) -> None:
    """Depth-only updates skip the pair loop; any top, fee or removal anywhere on the symbol must redo it."""
    d, fees = Detector(), {}
    for kind, venue, x in ops:
        if kind == "fee":
            fees[(venue, "X/USDT")] = Fee(Decimal(x))
            d.set_fee(venue, "X/USDT", fees[(venue, "X/USDT")])
        elif kind == "remove":
            d.remove(venue, "X/USDT")
        else:
            bid, ask = x, x + 0.2
            expected = _fresh(d, fees, "X/USDT", venue, bid, ask)
            assert d.check(venue, "X/USDT", bid, ask) == expected
            assert d.check(venue, "X/USDT", bid, ask) == expected  # the same book again (depth-only update)


def test_a_removed_book_drops_out_of_the_other_venues_next_unchanged_update() -> None:
    d = Detector()
    d.check("a", "X/USDT", 100.4, 100.6)
    assert d.check("b", "X/USDT", 99.0, 99.2) == ([("b", "a")], 0)
    d.remove("a", "X/USDT")
    assert d.check("b", "X/USDT", 99.0, 99.2) == ([], 0)  # same top on b, but a is gone
