"""The simulator's matching engine: IOC/FOK/GTC/market, partial fills, fees, balances, client ids, log."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchanges.sim.market import MarketParams, MarketProcess, VenueProfile
from exchanges.sim.matching import MatchingEngine, Reject

SYM = "BTC/USDT"
D = Decimal


@pytest.fixture
def engine() -> MatchingEngine:
    market = MarketProcess(
        [SYM],
        ["okx"],
        seed=4,
        profiles={"okx": VenueProfile(levels=5)},
        params=MarketParams(dislocation_rate_per_min=0.0),
    )
    eng = MatchingEngine("okx", market, client_id_scope="pending")
    eng.fund("main", {"USDT": D(1_000_000), "BTC": D(10)})
    return eng


def levels(eng: MatchingEngine, side: str) -> list[tuple[Decimal, Decimal]]:
    book = eng.market.book("okx", SYM)
    return [(book.grid.price(t), book.grid.size(n)) for t, n in book.sorted_levels(side, published=False)]


def place(eng: MatchingEngine, **kw: object) -> object:
    args: dict[str, object] = {"account": "main", "key": "k", "symbol": SYM, "now_ms": 1, "tif": "GTC"}
    args.update(kw)
    return eng.place(**args)  # type: ignore[arg-type]


def test_ioc_buy_walks_levels_and_pays_fee_in_base(engine: MatchingEngine) -> None:
    asks = levels(engine, "ask")
    amount = asks[0][1] + asks[1][1] / 2
    o = place(engine, side="buy", type="limit", tif="IOC", amount=amount, price=asks[1][0], client_id="c1")
    assert o.status == "filled" and o.filled == amount and len(o.fills) == 2
    assert o.cost == asks[0][0] * asks[0][1] + asks[1][0] * (asks[1][1] / 2)
    assert (o.fee, o.fee_currency) == (amount * D("0.001"), "BTC")
    acct = engine.account("main")
    assert acct.balances["BTC"] == D(10) + amount - o.fee
    assert acct.balances["USDT"] == D(1_000_000) - o.cost
    assert levels(engine, "ask")[0] == (asks[1][0], asks[1][1] / 2)  # the book lost the liquidity


def test_ioc_remainder_cancelled_when_depth_short(engine: MatchingEngine) -> None:
    bids = levels(engine, "bid")
    o = place(engine, side="sell", type="limit", tif="IOC", amount=bids[0][1] * 2, price=bids[0][0])
    assert o.status == "canceled" and o.filled == bids[0][1]
    assert (o.fee, o.fee_currency) == (bids[0][0] * bids[0][1] * D("0.001"), "USDT")  # sell fee in quote
    assert engine.resting == {}


def test_fok_fills_all_or_nothing(engine: MatchingEngine) -> None:
    asks = levels(engine, "ask")
    miss = place(engine, side="buy", type="limit", tif="FOK", amount=asks[0][1] + D("0.00000001"), price=asks[0][0])
    assert miss.status == "canceled" and miss.filled == 0 and levels(engine, "ask") == asks
    hit = place(engine, side="buy", type="limit", tif="FOK", amount=asks[0][1], price=asks[0][0])
    assert hit.status == "filled" and hit.filled == asks[0][1]


def test_gtc_rests_freezes_and_cancel_releases(engine: MatchingEngine) -> None:
    low = (levels(engine, "bid")[0][0] * D("0.9")).quantize(D("0.1"))
    o = place(engine, side="buy", type="limit", amount=D(1), price=low, client_id="rest")
    acct = engine.account("main")
    assert o.status == "live" and acct.frozen["USDT"] == low and acct.free("USDT") == D(1_000_000) - low
    with pytest.raises(Reject) as dup:
        place(engine, side="buy", type="limit", amount=D(1), price=low, client_id="rest")
    assert dup.value.reason == "duplicate_client_id"
    engine.cancel("main", order_id=None, client_id="rest", now_ms=2)
    assert o.status == "canceled" and acct.frozen["USDT"] == 0
    again = place(engine, side="buy", type="limit", amount=D(1), price=low, client_id="rest")
    assert again.order_id != o.order_id  # OKX rule: unique among pending orders only
    with pytest.raises(Reject, match="already_canceled"):
        engine.cancel("main", order_id=o.order_id, client_id=None, now_ms=3)


def test_resting_order_fills_when_market_reaches_it(engine: MatchingEngine) -> None:
    ask = levels(engine, "ask")[0]
    o = place(engine, side="buy", type="limit", amount=D("0.001"), price=ask[0] - D("0.1"))
    assert o.status == "live" and engine.account("main").frozen["USDT"] == o.price * D("0.001")
    engine.market.mids[SYM] *= 0.995  # the market falls 50 bps through the bid
    engine.market.step(100)
    engine.match_resting(SYM, 100)
    assert o.status == "filled" and o.avg_price is not None and o.avg_price <= o.price
    assert o.fills[0].maker and o.fee == D("0.001") * D("0.0008")  # a resting order pays the maker rate
    assert engine.account("main").frozen["USDT"] == 0 and engine.resting == {}


def test_market_orders_by_base_and_by_quote(engine: MatchingEngine) -> None:
    sell = place(engine, side="sell", type="market", amount=D("0.5"), price=None)
    assert sell.status == "filled" and sell.filled == D("0.5")
    buy = place(engine, side="buy", type="market", amount=D(1000), price=None, quote_amount=True)
    assert buy.status == "filled" and D(0) < buy.cost <= D(1000) and buy.fee_currency == "BTC"


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"side": "buy", "type": "limit", "amount": D("0.000001"), "price": D(1)}, "min_size"),
        ({"side": "buy", "type": "limit", "amount": D("0.000010001"), "price": D(1)}, "lot_size"),
        ({"side": "buy", "type": "limit", "amount": D("0.001"), "price": D("1.05")}, "tick_size"),
        ({"side": "buy", "type": "limit", "amount": D(100), "price": D(60000)}, "insufficient_balance"),
        ({"side": "sell", "type": "market", "amount": D(11), "price": None}, "insufficient_balance"),
        ({"side": "hold", "type": "limit", "amount": D(1), "price": D(1)}, "bad_side"),
        ({"side": "buy", "type": "stop", "amount": D(1), "price": D(1)}, "bad_type"),
        ({"side": "buy", "type": "limit", "amount": D(-1), "price": D(1)}, "bad_amount"),
        ({"side": "buy", "type": "limit", "amount": D(1), "price": None}, "bad_price"),
        ({"symbol": "NOPE/USDT", "side": "buy", "type": "limit", "amount": D(1), "price": D(1)}, "unknown_symbol"),
    ],
)
def test_rejects_are_logged(engine: MatchingEngine, kw: dict[str, object], reason: str) -> None:
    with pytest.raises(Reject) as info:
        place(engine, client_id="bad", **kw)
    assert info.value.reason == reason
    entry = engine.order_log[-1]
    assert (entry["client_id"], entry["status"], entry["reject_reason"]) == ("bad", "rejected", reason)


def test_forced_partial_fill_and_order_log(engine: MatchingEngine) -> None:
    engine.forced_fill_ratio = D("0.5")
    ask = levels(engine, "ask")[0]
    o = place(engine, side="buy", type="limit", tif="IOC", amount=D("0.0002"), price=ask[0], client_id="half")
    assert o.filled == D("0.0001") and o.status == "canceled"
    entry = engine.order_log[-1]
    assert entry["order_id"] == o.order_id and entry["filled"] == D("0.0001") and entry["status"] == "canceled"
    assert entry["fee_currency"] == "BTC" and entry["avg_price"] == ask[0] and entry["venue"] == "okx"


def test_listeners_see_fills_then_final_state(engine: MatchingEngine) -> None:
    events: list[tuple[str, bool]] = []
    engine.listeners.append(lambda order, fill: events.append((order.status, fill is not None)))
    bids = levels(engine, "bid")
    place(engine, side="sell", type="limit", tif="IOC", amount=bids[0][1] * 2, price=bids[0][0])
    assert events == [("partially_filled", True), ("canceled", False)]
