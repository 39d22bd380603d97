"""Paper fills shadow the venue's matching engine: what paper took stays taken until the book shows liquidity
coming back (issue 15). The books here are what the venue publishes, which never shows paper's own takes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arb.core.model import Fee
from arb.trade.paper import PaperVenue

D = Decimal
SYM = "BTC/USDT"
LOT = D("0.001")


class Market:
    """The bits of a ccxt.pro client PaperVenue reads; ``show`` publishes a new book (a new nonce)."""

    id = "okx"

    def __init__(self) -> None:
        self.markets = {SYM: {"symbol": SYM, "base": "BTC", "quote": "USDT", "limits": {"amount": {"min": 0.001}}}}
        self.orderbooks: dict[str, Any] = {}
        self.nonce = 0
        self.show(asks=[(100, 1), (101, 2)], bids=[(99, 1), (98, 2)])

    def show(self, *, asks: list[tuple[Any, Any]], bids: list[tuple[Any, Any]] | None = None) -> None:
        self.nonce += 1
        self.orderbooks[SYM] = {
            "asks": [[float(p), float(a)] for p, a in asks],
            "bids": [[float(p), float(a)] for p, a in (bids if bids is not None else [(90, 5)])],
            "nonce": self.nonce,
            "timestamp": self.nonce,
        }

    def amount_to_precision(self, symbol: str, amount: float) -> str:
        out = D(str(amount)).quantize(LOT, rounding="ROUND_DOWN")
        if out <= 0:
            raise ccxtpro.InvalidOrder("amount must be greater than minimum amount precision")
        return str(out)


def venue(market: Market | None = None) -> PaperVenue:
    return PaperVenue("okx", market or Market(), fees={("okx", SYM): Fee(D("0.001"))}, latency_ms=0, run_id="t")


async def buy(v: PaperVenue, amount: Any, limit: Any) -> Decimal:
    o = await v.create_order(SYM, "limit", "buy", float(amount), float(limit), {"timeInForce": "IOC"})
    return Decimal(o["filled"])


async def test_a_new_book_with_the_same_sizes_does_not_refill_what_paper_took() -> None:
    """Failed before: every new book (nonce) restored the full depth, so one dislocation was bought again and
    again (issue 15: ~30 times)."""
    m = Market()
    v = venue(m)
    assert await buy(v, 1, 100) == D(1)
    for _ in range(5):
        m.show(asks=[(100, 1), (101, 2)])  # the venue keeps publishing the level: it never saw paper's order
        assert await buy(v, 1, 100) == D(0)


async def test_size_added_on_top_is_available_and_the_take_stays_subtracted() -> None:
    m = Market()
    v = venue(m)
    assert await buy(v, 1, 100) == D(1)
    m.show(asks=[(100, D("1.4")), (101, 2)])  # makers added 0.4 at 100
    assert await buy(v, 1, 100) == D("0.4")
    m.show(asks=[(100, D("1.4")), (101, 2)])
    assert await buy(v, 1, 100) == D(0)


async def test_a_level_others_took_from_keeps_at_most_what_it_shows() -> None:
    m = Market()
    v = venue(m)
    assert await buy(v, D("0.5"), 100) == D("0.5")  # the venue still shows 1: really 0.5 is left
    m.show(asks=[(100, D("0.3")), (101, 2)])  # others took 0.7 there: in the real queue nothing is left
    assert await buy(v, 1, 100) == D(0)
    m.show(asks=[(100, D("0.8")), (101, 2)])  # makers add 0.5: that much is there for anyone
    assert await buy(v, 1, 100) == D("0.5")


async def test_a_level_that_went_away_comes_back_as_new_liquidity() -> None:
    m = Market()
    v = venue(m)
    assert await buy(v, 1, 100) == D(1)
    m.show(asks=[(101, 2), (102, 2)])  # 100 is gone (taken or cancelled by everyone)
    assert await buy(v, 1, 100) == D(0)
    m.show(asks=[(100, D("0.6")), (101, 2)])  # re-posted later: new orders
    assert await buy(v, 1, 100) == D("0.6")


async def test_a_level_scrolled_out_of_the_visible_depth_stays_taken() -> None:
    m = Market()
    v = venue(m)
    assert await buy(v, 1, 101) == D(1)  # takes 100
    m.show(asks=[(98, 1), (99, 1)])  # price dropped: 100 is beyond the visible depth, not gone
    assert await buy(v, 1, 97) == D(0)  # a look at that book (below every ask: fills nothing)
    m.show(asks=[(100, 1), (101, 2)])
    assert await buy(v, 1, 100) == D(0)


async def test_a_take_the_price_left_far_behind_is_dropped() -> None:
    m = Market()
    v = venue(m)
    assert await buy(v, 1, 100) == D(1)
    m.show(asks=[(90, 1), (91, 1), (92, 1)])  # 100 is 8 beyond the last level, the book is 2 wide: left behind
    assert await buy(v, 1, 89) == D(0)  # a look
    assert v.shadow.taken(SYM, "asks") == {}


async def test_sell_side_is_shadowed_the_same_way() -> None:
    m = Market()
    v = venue(m)
    o = await v.create_order(SYM, "limit", "sell", 2.0, 98.0)
    assert (o["filled"], o["cost"]) == (D(2), D(99 + 98))
    m.show(asks=[(100, 1)], bids=[(99, 1), (98, 2)])
    o = await v.create_order(SYM, "limit", "sell", 3.0, 98.0)
    assert o["filled"] == D(1)  # only what is left at 98


async def test_the_book_paper_sees_for_decisions_is_the_book_minus_its_takes() -> None:
    m = Market()
    v = venue(m)
    assert not v.holds(SYM)
    assert await buy(v, D("1.5"), 101) == D("1.5")
    m.show(asks=[(100, 1), (101, 2)])
    assert v.holds(SYM)
    view = v.book_view(SYM, m.orderbooks[SYM])
    assert view["asks"] == [[D(101), D("1.5")]]
    assert view["bids"] == [[D(90), D(5)]]


# ------------------------------------------------------------------------------------------ properties
SIZES = st.integers(min_value=0, max_value=3000).map(lambda n: D(n) * LOT)  # 0 .. 3 in lots
PRICES = (D(100), D("100.5"), D(101), D(102))


@st.composite
def scripts(draw: st.DrawFn) -> list[tuple[list[tuple[Decimal, Decimal]], Decimal, Decimal]]:
    """Book states (size per price; 0 = no level) each followed by one paper buy (amount, limit)."""
    steps = []
    for _ in range(draw(st.integers(min_value=1, max_value=12))):
        levels = [(p, draw(SIZES)) for p in PRICES]
        amount = draw(st.integers(min_value=1, max_value=6000).map(lambda n: D(n) * LOT))
        limit = draw(st.sampled_from((*PRICES, D("99"))))
        steps.append((levels, amount, limit))
    return steps


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
async def test_paper_never_takes_more_than_the_book_ever_showed_arriving(
    script: list[tuple[list[tuple[Decimal, Decimal]], Decimal, Decimal]],
) -> None:
    """Per price, everything paper bought ≤ the sum of the size increases the book showed there (a level
    appearing counts as all of its size): visible depth plus replenishment, never a refill per update. Each
    fill is exact Decimal on the lot grid, the VWAP within the limit, and no order fills more than asked."""
    m = Market()
    m.show(asks=[])
    v = venue(m)
    arrived = {p: D(0) for p in PRICES}
    shown = {p: D(0) for p in PRICES}
    bought = {p: D(0) for p in PRICES}
    for levels, amount, limit in script:
        m.show(asks=[(p, a) for p, a in levels if a > 0])
        for p, a in levels:
            arrived[p] += max(D(0), a - shown[p])
            shown[p] = a
        o = await v.create_order(SYM, "limit", "buy", float(amount), float(limit))
        trades = await v.fetch_order_trades(o["id"], SYM)
        assert o["filled"] <= amount and o["filled"] == sum((t["amount"] for t in trades), D(0))
        assert o["cost"] == sum((t["price"] * t["amount"] for t in trades), D(0))
        for t in trades:
            assert isinstance(t["amount"], Decimal) and t["amount"] % LOT == 0 and t["amount"] > 0
            assert t["price"] <= limit and t["amount"] <= shown[t["price"]]
            bought[t["price"]] += t["amount"]
        if o["filled"]:
            assert o["average"] <= limit
            assert o["fee"]["cost"] == o["filled"] * D("0.001")  # received: base, exact
    for p in PRICES:
        assert bought[p] <= arrived[p]
