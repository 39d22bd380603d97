"""A stock ccxt.pro okx client against the OKX loopback simulator: markets, balance, fees, books, orders."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.harness import LoopbackExchanges

SYM = "BTC/USDT"


@pytest.fixture
async def sim(sim_factory: Any) -> LoopbackExchanges:
    """Manual market (no driver): the test steps it, so books are exactly comparable."""
    return await sim_factory(venues=["okx"], symbols=[SYM, "ETH/USDT"], seed=7, update_interval_ms=None)


async def synced_book(ex: Any, sim: LoopbackExchanges, symbol: str = SYM, timeout_s: float = 5.0) -> Any:
    """Watch until the client's book carries the simulator's current seq (coalescing-safe)."""
    target = sim.book("okx", symbol).seq
    async with asyncio.timeout(timeout_s):
        while True:
            ob = ex.orderbooks.get(symbol)
            if ob is not None and ob["nonce"] == target:
                return ob
            try:
                await asyncio.wait_for(ex.watch_order_book(symbol), 0.2)
            except TimeoutError:
                continue


def assert_same_book(ob: Any, sim: LoopbackExchanges, book_as_floats: Any, symbol: str = SYM) -> None:
    bids, asks = book_as_floats(sim.book("okx", symbol))
    assert [list(x[:2]) for x in ob["bids"]] == bids
    assert [list(x[:2]) for x in ob["asks"]] == asks


async def test_load_markets_uses_instruments(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx", key=None)
    markets = await ex.load_markets()
    assert set(markets) == {SYM, "ETH/USDT"}
    m = markets[SYM]
    assert m["id"] == "BTC-USDT" and m["spot"] and m["active"]
    assert m["precision"] == {"amount": 1e-8, "price": 0.1}
    assert m["limits"]["amount"]["min"] == 0.00001
    assert [r["path"] for r in sim.venue("okx").request_log] == ["/api/v5/public/instruments?instType=SPOT"]


async def test_fetch_balance_and_trading_fee(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx")
    balance = await ex.fetch_balance()
    acct = sim.venue("okx").engine.account("main")
    assert balance["USDT"]["total"] == float(acct.balances["USDT"])
    assert balance["BTC"]["free"] == float(acct.balances["BTC"])
    fee = await ex.fetch_trading_fee(SYM)
    assert (fee["maker"], fee["taker"]) == (0.0008, 0.001)


async def test_watch_order_book_equals_simulator_book_after_many_updates(
    sim: LoopbackExchanges, client_factory: Any, book_as_floats: Any
) -> None:
    ex = client_factory(sim, "okx", key=None)
    await ex.watch_order_book(SYM)
    for i in range(150):
        sim.step()
        if i % 25 == 0:
            assert_same_book(await synced_book(ex, sim), sim, book_as_floats)
    ob = await synced_book(ex, sim)
    assert_same_book(ob, sim, book_as_floats)


async def test_books5_is_top_five(sim: LoopbackExchanges, client_factory: Any, book_as_floats: Any) -> None:
    ex = client_factory(sim, "okx", key=None)
    ob = await ex.watch_order_book("ETH/USDT", 5)
    bids, asks = book_as_floats(sim.book("okx", "ETH/USDT", depth=5))
    assert [list(x[:2]) for x in ob["bids"]] == bids and [list(x[:2]) for x in ob["asks"]] == asks


async def test_limit_ioc_with_client_id_fills_fully(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx")
    await ex.load_markets()
    best_px, best_sz = sim.book("okx", SYM).asks[0]
    amount = (best_sz / 2).quantize(Decimal("0.00000001"))
    before = sim.venue("okx").engine.account("main").balances["BTC"]
    order = await ex.create_order(
        SYM, "limit", "buy", float(amount), float(best_px), {"timeInForce": "IOC", "clientOrderId": "arbLeg1"}
    )
    assert order["clientOrderId"] == "arbLeg1"
    fetched = await ex.fetch_order(order["id"], SYM)
    assert fetched["status"] == "closed" and fetched["timeInForce"] == "IOC"
    assert fetched["filled"] == float(amount) and fetched["average"] == float(best_px)
    fee = amount * Decimal("0.001")
    assert fetched["fee"] == {"cost": float(fee), "currency": "BTC"}  # buy fee in base ("received")
    after = sim.venue("okx").engine.account("main").balances["BTC"]
    assert after - before == amount - fee
    entry = next(e for e in sim.order_log if e["order_id"] == order["id"])
    assert (entry["client_id"], entry["status"], entry["filled"], entry["tif"]) == ("arbLeg1", "filled", amount, "IOC")
    by_client_id = await ex.fetch_order(None, SYM, {"clientOrderId": "arbLeg1"})
    assert by_client_id["id"] == order["id"]


async def test_limit_ioc_fills_partially_when_depth_short(
    sim: LoopbackExchanges, client_factory: Any, book_as_floats: Any
) -> None:
    ex = client_factory(sim, "okx")
    await ex.watch_order_book(SYM)
    best_px, best_sz = sim.book("okx", SYM).bids[0]
    order = await ex.create_order(
        SYM, "limit", "sell", float(best_sz * 3), float(best_px), {"timeInForce": "IOC", "clientOrderId": "arbLeg2"}
    )
    fetched = await ex.fetch_order(order["id"], SYM)
    assert fetched["status"] == "canceled"  # OKX cancels an IOC remainder
    assert fetched["filled"] == float(best_sz) and fetched["remaining"] == float(best_sz * 2)
    assert fetched["fee"]["currency"] == "USDT"  # sell fee in quote
    sim.step()  # the fill shows in the next published book; the level refills later
    ob = await synced_book(ex, sim)
    assert_same_book(ob, sim, book_as_floats)
    assert not ob["bids"] or ob["bids"][0][0] != float(best_px) or ob["bids"][0][1] < float(best_sz)


async def test_watch_orders_sees_the_fill(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx")
    await ex.load_markets()
    watcher = asyncio.create_task(ex.watch_orders(SYM))
    await sim.venue("okx").wait_for_subscription(lambda sub: sub[0] == "orders")
    best_px, best_sz = sim.book("okx", SYM).asks[0]
    placed = await ex.create_order(SYM, "limit", "buy", float(best_sz), float(best_px), {"timeInForce": "IOC"})
    seen: list[dict[str, Any]] = await asyncio.wait_for(watcher, 5)
    async with asyncio.timeout(5):
        while not any(o["id"] == placed["id"] and o["status"] == "closed" for o in seen):
            seen = await ex.watch_orders(SYM)
    final = next(o for o in seen if o["id"] == placed["id"] and o["status"] == "closed")
    assert final["filled"] == float(best_sz) and final["fee"]["currency"] == "BTC"


async def test_open_order_cancel_and_client_id_reuse(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx")
    await ex.load_markets()
    low = round(float(sim.book("okx", SYM).bids[0][0]) * 0.5, 1)
    order = await ex.create_order(SYM, "limit", "buy", 0.001, low, {"clientOrderId": "rest1"})
    assert [o["id"] for o in await ex.fetch_open_orders(SYM)] == [order["id"]]
    with pytest.raises(ccxtpro.InvalidOrder, match="51016"):  # clOrdId unique among pending orders
        await ex.create_order(SYM, "limit", "buy", 0.001, low, {"clientOrderId": "rest1"})
    free = await ex.fetch_balance()
    assert free["USDT"]["used"] == pytest.approx(0.001 * low)
    await ex.cancel_order(order["id"], SYM)
    assert (await ex.fetch_order(order["id"], SYM))["status"] == "canceled"
    assert await ex.fetch_open_orders(SYM) == []
    with pytest.raises(ccxtpro.OrderNotFound):
        await ex.cancel_order(order["id"], SYM)
    again = await ex.create_order(SYM, "limit", "buy", 0.001, low, {"clientOrderId": "rest1"})
    assert again["id"] != order["id"]  # reuse is fine once the first is no longer pending
    with pytest.raises(ccxtpro.OrderNotFound):
        await ex.fetch_order("123", SYM)


async def test_market_order_and_fills(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx")
    await ex.load_markets()
    order = await ex.create_order("ETH/USDT", "market", "sell", 0.5)
    fetched = await ex.fetch_order(order["id"], "ETH/USDT")
    assert fetched["status"] == "closed" and fetched["filled"] == 0.5
    trades = await ex.fetch_my_trades("ETH/USDT")
    assert sum(t["amount"] for t in trades) == pytest.approx(0.5)
    assert {t["fee"]["currency"] for t in trades} == {"USDT"}
