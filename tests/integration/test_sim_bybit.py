"""A stock ccxt.pro bybit client against the Bybit loopback simulator: markets, balance, fees, books, orders."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.harness import LoopbackExchanges

SYM = "BTC/USDT"
V = "bybit"
FUNDS = {"USDT": Decimal(1_000_000), "BTC": Decimal(20), "ETH": Decimal(200)}


@pytest.fixture
async def sim(sim_factory: Any) -> LoopbackExchanges:
    """Manual market (no driver): the test steps it, so books are exactly comparable."""
    return await sim_factory(venues=[V], symbols=[SYM, "ETH/USDT"], seed=7, update_interval_ms=None, balances=FUNDS)


async def synced_book(ex: Any, sim: LoopbackExchanges, symbol: str = SYM, timeout_s: float = 5.0) -> Any:
    """Watch until the client's book carries the last book message's ``ts`` (strictly increasing per symbol)."""
    target = sim.venue(V).last_book_ts(symbol)  # type: ignore[attr-defined]
    async with asyncio.timeout(timeout_s):
        while True:
            ob = ex.orderbooks.get(symbol)
            if ob is not None and ob["timestamp"] == target:
                return ob
            try:
                await asyncio.wait_for(ex.watch_order_book(symbol), 0.2)
            except TimeoutError:
                continue


def assert_same_book(ob: Any, sim: LoopbackExchanges, book_as_floats: Any, symbol: str = SYM) -> None:
    bids, asks = book_as_floats(sim.book(V, symbol))
    assert [list(x[:2]) for x in ob["bids"]] == bids
    assert [list(x[:2]) for x in ob["asks"]] == asks


async def test_load_markets_uses_instruments_info_only(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    markets = await ex.load_markets()
    assert set(markets) == {SYM, "ETH/USDT"}
    m = markets[SYM]
    assert m["id"] == "BTCUSDT" and m["spot"] and m["active"]
    assert m["precision"] == {"amount": 1e-8, "price": 0.1}
    assert m["limits"]["amount"]["min"] == 0.00001 and m["limits"]["cost"]["min"] == 5.0
    assert [r["path"] for r in sim.venue(V).request_log] == ["/v5/market/instruments-info?category=spot"]


async def test_fetch_balance_and_trading_fee(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    balance = await ex.fetch_balance()
    assert balance["USDT"]["total"] == 1_000_000.0 and balance["BTC"]["free"] == 20.0
    fee = await ex.fetch_trading_fee(SYM)
    assert (fee["maker"], fee["taker"]) == (0.001, 0.001)
    paths = [r["path"].split("?")[0] for r in sim.venue(V).request_log]
    assert paths == ["/v5/market/instruments-info", "/v5/account/wallet-balance", "/v5/account/fee-rate"]


async def test_unified_account_discovery_when_not_configured(sim: LoopbackExchanges, client_factory: Any) -> None:
    """Without enableUnifiedAccount/Margin ccxt asks query-api and account/info first; both answer like a UTA."""
    ex = client_factory(sim, V, options={"enableUnifiedAccount": None, "enableUnifiedMargin": None})
    assert (await ex.fetch_balance())["USDT"]["total"] == 1_000_000.0
    paths = [r["path"].split("?")[0] for r in sim.venue(V).request_log]
    assert {"/v5/user/query-api", "/v5/account/info"} <= set(paths)
    assert (ex.options["enableUnifiedAccount"], ex.options["enableUnifiedMargin"]) == (True, False)


async def test_watch_order_book_equals_simulator_book_after_many_updates(
    sim: LoopbackExchanges, client_factory: Any, book_as_floats: Any
) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    assert "orderbook.50.BTCUSDT" in next(iter(sim.venue(V).sessions)).subscriptions  # ccxt's spot default
    for i in range(150):
        sim.step()
        if i % 25 == 0:
            assert_same_book(await synced_book(ex, sim), sim, book_as_floats)
    ob = await synced_book(ex, sim)  # keyed by ts: the simulator's send time of the last message
    assert_same_book(ob, sim, book_as_floats)


async def test_limit_ioc_with_client_id_fills_fully(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    await ex.load_markets()
    best_px, best_sz = sim.book(V, SYM).asks[0]
    amount = (best_sz / 2).quantize(Decimal("0.00000001"))
    before = sim.venue(V).engine.account("main").balances["BTC"]
    order = await ex.create_order(
        SYM, "limit", "buy", float(amount), float(best_px), {"timeInForce": "IOC", "clientOrderId": "arbLeg1"}
    )
    assert order["clientOrderId"] == "arbLeg1"  # Bybit answers {orderId, orderLinkId} only
    fetched = await ex.fetch_order(order["id"], SYM)
    assert fetched["status"] == "closed" and fetched["timeInForce"] == "IOC"
    assert fetched["filled"] == float(amount) and fetched["average"] == float(best_px)
    fee = amount * Decimal("0.001")
    assert fetched["fee"] == {"cost": float(fee), "currency": "BTC"}  # buy fee in base
    after = sim.venue(V).engine.account("main").balances["BTC"]
    assert after - before == amount - fee
    entry = next(e for e in sim.order_log if e["order_id"] == order["id"])
    assert (entry["client_id"], entry["status"], entry["filled"], entry["tif"]) == ("arbLeg1", "filled", amount, "IOC")
    by_link_id = await ex.private_get_v5_order_realtime({"category": "spot", "orderLinkId": "arbLeg1"})
    assert by_link_id["result"]["list"][0]["orderId"] == order["id"]
    trades = await ex.fetch_my_trades(SYM)
    assert [t["order"] for t in trades] == [order["id"]] and trades[0]["fee"]["currency"] == "BTC"


async def test_limit_ioc_fills_partially_when_depth_short(
    sim: LoopbackExchanges, client_factory: Any, book_as_floats: Any
) -> None:
    ex = client_factory(sim, V)
    await ex.watch_order_book(SYM)
    best_px, best_sz = sim.book(V, SYM).bids[0]
    order = await ex.create_order(
        SYM, "limit", "sell", float(best_sz * 3), float(best_px), {"timeInForce": "IOC", "clientOrderId": "arbLeg2"}
    )
    fetched = await ex.fetch_order(order["id"], SYM)
    assert fetched["info"]["orderStatus"] == "PartiallyFilledCanceled"
    assert fetched["status"] == "closed"  # ccxt's mapping of PartiallyFilledCanceled
    assert fetched["filled"] == float(best_sz) and fetched["remaining"] == 0.0  # Bybit: leavesQty 0
    assert fetched["fee"]["currency"] == "USDT"  # sell fee in quote
    sim.step()  # the fill shows in the next published book; the level refills later
    ob = await synced_book(ex, sim)
    assert_same_book(ob, sim, book_as_floats)


async def test_watch_orders_sees_the_fill(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    await ex.load_markets()
    watcher = asyncio.create_task(ex.watch_orders(SYM))
    await sim.venue(V).wait_for_subscription(lambda sub: sub == "order")
    best_px, best_sz = sim.book(V, SYM).asks[0]
    placed = await ex.create_order(SYM, "limit", "buy", float(best_sz), float(best_px), {"timeInForce": "IOC"})
    seen: list[dict[str, Any]] = await asyncio.wait_for(watcher, 5)
    async with asyncio.timeout(5):
        while not any(o["id"] == placed["id"] and o["status"] == "closed" for o in seen):
            seen = await ex.watch_orders(SYM)
    final = next(o for o in seen if o["id"] == placed["id"] and o["status"] == "closed")
    assert final["filled"] == float(best_sz) and final["fee"]["currency"] == "BTC"


async def test_open_order_cancel_and_order_link_id_reuse(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    await ex.load_markets()
    low = round(float(sim.book(V, SYM).bids[0][0]) * 0.5, 1)
    order = await ex.create_order(SYM, "limit", "buy", 0.001, low, {"clientOrderId": "rest1"})
    open_orders = await ex.fetch_open_orders(SYM)
    assert [o["id"] for o in open_orders] == [order["id"]] and open_orders[0]["status"] == "open"
    with pytest.raises(ccxtpro.InvalidOrder, match="170141"):
        await ex.create_order(SYM, "limit", "buy", 0.001, low, {"clientOrderId": "rest1"})
    balance = await ex.fetch_balance()
    assert balance["USDT"]["used"] == pytest.approx(0.001 * low)
    await ex.cancel_order(order["id"], SYM)
    fetched = await ex.fetch_order(order["id"], SYM)
    assert fetched["status"] == "canceled" and fetched["info"]["cancelType"] == "CancelByUser"
    assert await ex.fetch_open_orders(SYM) == []
    assert [o["id"] for o in await ex.fetch_canceled_orders(SYM)] == [order["id"]]
    assert await ex.fetch_closed_orders(SYM) == []  # ccxt asks for orderStatus=Filled
    with pytest.raises(ccxtpro.OrderNotFound, match="170213"):
        await ex.cancel_order(order["id"], SYM)
    with pytest.raises(ccxtpro.InvalidOrder, match="170141"):  # Bybit: orderLinkId stays taken after close
        await ex.create_order(SYM, "limit", "buy", 0.001, low, {"clientOrderId": "rest1"})
    with pytest.raises(ccxtpro.OrderNotFound):
        await ex.fetch_order("123", SYM)


async def test_market_orders_by_quantity_and_by_cost(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    await ex.load_markets()
    sold = await ex.create_order("ETH/USDT", "market", "sell", 0.5)
    assert (await ex.fetch_order(sold["id"], "ETH/USDT"))["filled"] == 0.5
    bought = await ex.create_market_buy_order_with_cost("ETH/USDT", 100.0)
    fetched = await ex.fetch_order(bought["id"], "ETH/USDT")
    assert fetched["status"] == "closed" and 99.0 < fetched["cost"] <= 100.0
    assert fetched["info"]["marketUnit"] == "quoteCoin"
    trades = await ex.fetch_my_trades("ETH/USDT")
    assert sum(t["amount"] for t in trades if t["side"] == "sell") == pytest.approx(0.5)


def url_leaves(tree: Any) -> Iterator[str]:
    if isinstance(tree, dict):
        for v in tree.values():
            yield from url_leaves(v)
    elif isinstance(tree, str):
        yield tree


async def test_nothing_leaves_loopback(sim: LoopbackExchanges, client_factory: Any, monkeypatch: Any) -> None:
    """Every API URL ccxt could use points at the simulator, and a full session resolves no other host."""
    looked_up: list[Any] = []
    real = socket.getaddrinfo

    def spy(host: Any, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    ex = client_factory(sim, V, options={"enableUnifiedAccount": None, "enableUnifiedMargin": None})
    for tree in ("api", "test", "demotrading"):
        leaves = list(url_leaves(ex.urls[tree]))
        assert leaves and all(u.startswith(("http://127.0.0.1:", "ws://127.0.0.1:")) for u in leaves), tree
    await ex.load_markets()
    await ex.fetch_balance()
    await ex.fetch_trading_fee(SYM)
    await ex.fetch_time()
    await ex.watch_order_book(SYM)
    watcher = asyncio.create_task(ex.watch_orders(SYM))
    await sim.venue(V).wait_for_subscription(lambda sub: sub == "order")
    px, sz = sim.book(V, SYM).asks[0]
    await ex.create_order(SYM, "limit", "buy", float(sz), float(px), {"timeInForce": "IOC"})
    await asyncio.wait_for(watcher, 5)
    assert set(looked_up) <= {"127.0.0.1"}
