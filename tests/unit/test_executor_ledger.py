"""Money of executed legs (arb.core.ledger): parsing venue orders, flows, PnL, dust vs exposure.

Properties: the realised PnL of two legs filled exactly as evaluated equals the evaluator's net profit;
a full fill is base-neutral up to dust; flows add up; malformed venue data is refused, never guessed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from arb.core.evaluator import evaluate
from arb.core.ledger import LegFill, MalformedOrder, Position, dust_limit, flows, is_dust, journal_state, min_sellable
from arb.core.model import Fee, Limits
from tests.kit.builders import make_book, market

D = Decimal
SYM = "BTC/USDT"


def leg(side: str, filled: str, cost: str, fees: tuple[tuple[str, str], ...] = (), amount: str = "10") -> LegFill:
    return LegFill(
        "v",
        SYM,
        side,
        "cid",
        D(amount),
        D(1),
        state="closed",
        filled=D(filled),
        cost=D(cost),
        fees=tuple((c, D(f)) for c, f in fees),
    )


def test_flows_follow_side_and_fee_currency() -> None:
    assert flows(leg("buy", "2", "100", (("BTC", "0.002"),)), "BTC", "USDT") == (D("1.998"), D(-100), {})
    assert flows(leg("sell", "2", "100", (("USDT", "0.1"),)), "BTC", "USDT") == (D(-2), D("99.9"), {})
    assert flows(leg("sell", "2", "100", (("BNB", "0.01"),)), "BTC", "USDT") == (D(-2), D(100), {"BNB": D("0.01")})


def test_position_pnl_dust_and_exposure() -> None:
    buy = leg("buy", "1", "50000", (("BTC", "0.001"),))
    sell = leg("sell", "0.99899", "50100", (("USDT", "50.1"),))
    pos = Position.of(SYM, [buy, sell])
    assert pos.base_net == D("0.00001") and pos.quote_net == D("49.9")
    assert pos.exposure(D("0.0001")) == 0 and pos.pnl_quote == D("49.9")  # dust below one sell lot
    assert pos.exposure(D("0.000001")) == D("0.00001")  # a finer lot: that is exposure
    short = Position.of(SYM, [leg("sell", "1", "50000")])
    assert short.exposure(D("0.0001")) == D(-1)  # sold without buying: negative is never dust
    assert dict(Position.of(SYM, [buy, sell]).fees) == {"BTC": D("0.001"), "USDT": D("50.1")}


def test_with_order_reads_ccxt_orders_exactly() -> None:
    base = LegFill("okx", SYM, "buy", "c1", D("0.01"), D("65000.1"))
    o = base.with_order(
        {"id": "7", "status": "closed", "filled": 0.01, "average": 64999.9, "fee": {"cost": 1e-05, "currency": "BTC"}}
    )
    assert (o.state, o.order_id, o.filled, o.cost, o.fees) == (
        "closed",
        "7",
        D("0.01"),
        D("649.999"),
        (("BTC", D("0.00001")),),
    )
    assert base.with_order({"id": "8", "status": None}).state == "sent"
    assert base.with_order({"id": "8", "status": "expired", "filled": 0}).state == "canceled"
    assert [journal_state(s) for s in ("open", "canceled", "rejected", "weird")] == [
        "open",
        "canceled",
        "rejected",
        "sent",
    ]


@pytest.mark.parametrize(
    "bad",
    [
        {"filled": "abc"},
        {"filled": -1},
        {"filled": float("nan")},
        {"filled": 0.02, "average": 1},  # more than was sent
        {"filled": 0.01},  # fills without a price
        {"filled": 0.01, "average": 0},  # fills at no price: base counted without its quote
        {"filled": 0.01, "cost": 0},
        {"filled": 0.01, "average": -1},
        {"filled": 0.01, "average": 1, "fees": ["x"]},
        "not a dict",
    ],
)
def test_malformed_orders_are_refused(bad: object) -> None:
    with pytest.raises(MalformedOrder):
        LegFill("okx", SYM, "buy", "c1", D("0.01"), D(1)).with_order(bad)  # type: ignore[arg-type]


def test_with_trades_prefers_exact_trades_when_they_add_up() -> None:
    o = LegFill("okx", SYM, "sell", "c", D("0.3"), D(1)).with_order(
        {"id": "1", "status": "closed", "filled": 0.3, "average": 100.0333}
    )
    trades = [
        {"id": "t1", "amount": 0.1, "price": 100.1, "fee": {"cost": 0.01001, "currency": "USDT"}},
        {"id": "t2", "amount": 0.2, "price": 100.0, "fee": {"cost": 0.02, "currency": "USDT"}},
    ]
    t = o.with_trades(trades)
    assert t.cost == D("30.01") and t.fees == (("USDT", D("0.03001")),) and len(t.trade_rows()) == 2
    assert o.with_trades(trades[:1]) is o  # an incomplete list keeps the order's aggregate
    with pytest.raises(MalformedOrder):
        o.with_trades([{"amount": 1, "price": 1}])  # no trade id


levels = st.lists(
    st.tuples(st.integers(min_value=0, max_value=400), st.integers(min_value=1, max_value=50_000)),
    min_size=1,
    max_size=6,
    unique_by=lambda x: x[0],
)


@settings(max_examples=150, deadline=None)
@given(levels, levels, st.integers(min_value=20, max_value=300))
def test_pnl_of_legs_filled_as_evaluated_equals_the_evaluated_net(
    asks_raw: list[tuple[int, int]], bids_raw: list[tuple[int, int]], edge_ticks: int
) -> None:
    """Fills at exactly the walked levels: realised PnL == evaluator net; base left over == its dust."""
    tick, lot = D("0.1"), D("0.00001")
    asks = sorted((D(50000) + tick * t, lot * n) for t, n in asks_raw)
    bids = sorted(((D(50000) + tick * (edge_ticks * 10 - t), lot * n) for t, n in bids_raw), reverse=True)
    fee = Fee(D("0.001"))
    m = market(SYM, lot=str(lot), tick=str(tick))
    opp = evaluate(
        make_book(bids=[], asks=asks, floats=False),
        make_book(bids=bids, asks=[], floats=False),
        buy_market=m,
        sell_market=m,
        buy_fee=fee,
        sell_fee=fee,
        limits=Limits(),
        symbol=SYM,
        buy_venue="a",
        sell_venue="b",
    )
    assume(opp is not None)
    assert opp is not None

    def walk(book: list[tuple[Decimal, Decimal]], amount: Decimal) -> list[tuple[Decimal, Decimal]]:
        out, left = [], amount
        for px, size in book:
            take = min(size, left)
            if take > 0:
                out.append((px, take))
            left -= take
        return out

    b_fills, s_fills = walk(asks, opp.buy.amount), walk(bids, opp.sell.amount)
    b_cost = sum((p * a for p, a in b_fills), D(0))
    s_cost = sum((p * a for p, a in s_fills), D(0))
    buy = LegFill(
        "a",
        SYM,
        "buy",
        "b",
        opp.buy.amount,
        opp.buy.limit_price,
        state="closed",
        filled=opp.buy.amount,
        cost=b_cost,
        fees=(("BTC", sum((a * fee.taker for _, a in b_fills), D(0))),),
    )
    sell = LegFill(
        "b",
        SYM,
        "sell",
        "s",
        opp.sell.amount,
        opp.sell.limit_price,
        state="closed",
        filled=opp.sell.amount,
        cost=s_cost,
        fees=(("USDT", sum((p * a * fee.taker for p, a in s_fills), D(0))),),
    )
    pos = Position.of(SYM, [buy, sell])
    assert abs(pos.pnl_quote - opp.net_profit) < D("1e-18")
    assert pos.base_net == opp.dust and is_dust(pos.base_net, lot)  # base-neutral after fees
    assert pos.exposure(lot) == 0


def test_a_residual_no_venue_can_sell_is_dust_not_an_exposure() -> None:
    """The 24-kill chaos run: a Bybit buy charged its fee in BTC and the hedge sold on Bybit's lot grid,
    leaving 9.06E-7 BTC: above OKX's lot (1E-8, the old dust rule) but below what either venue accepts in
    one order (OKX minSz 0.00001; Bybit lot 0.000001, min 0.000011 and 5 USDT). It is dust, not an
    exposure that the hedge policy can never flatten."""
    okx = min_sellable(D("0.00000001"), D("0.00001"), None, D("100000"))
    bybit = min_sellable(D("0.000001"), D("0.000011"), D("5"), D("100000"))
    assert (okx, bybit) == (D("0.00001"), D("0.00005"))
    limit = dust_limit([okx, bybit])
    assert Position("BTC/USDT", D("9.06E-7")).exposure(limit) == 0
    assert Position("BTC/USDT", D("0.00001")).exposure(limit) == D("0.00001")  # OKX can sell it
    assert Position("BTC/USDT", D("-9.06E-7")).exposure(limit) == D("-9.06E-7")  # short: a buy always can


@given(
    lot_exp=st.integers(min_value=-8, max_value=0),
    min_amount=st.decimals(min_value=0, max_value=100, places=6),
    min_cost=st.decimals(min_value=0, max_value=20, places=2),
    price=st.decimals(min_value=D("0.0001"), max_value=D("100000"), places=4),
    residual=st.decimals(min_value=0, max_value=200, places=8),
)
def test_min_sellable_is_the_smallest_order_the_market_accepts(
    lot_exp: int, min_amount: D, min_cost: D, price: D, residual: D
) -> None:
    lot = D(1).scaleb(lot_exp)
    need = min_sellable(lot, min_amount, min_cost, price)
    assert need % lot == 0 and need >= lot and need >= min_amount and need * price >= min_cost
    sellable = (residual // lot) * lot  # the largest sell order the residual allows
    accepted = sellable >= max(lot, min_amount) and sellable * price >= min_cost
    assert accepted == (residual >= need)
