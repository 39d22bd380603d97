"""A stock ccxt.pro okx client against the OKX loopback simulator: markets, balance, fees, books, orders.

Balance and fees, orders seen over WS and the loopback-only URL check run for every venue in ``test_sim_venues.py``.
"""

from __future__ import annotations

from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.harness import LoopbackExchanges
from tests.integration.sim_common import (
    SYM,
    book_as_floats,
    book_shows_the_fill,
    buy_half_the_best_ask,
    follow_book,
    rest_a_low_buy,
    sell_three_times_the_best_bid,
    sim_fixture,
)

V = "okx"
# Manual market (no driver): the test steps it, so books are exactly comparable.
sim = sim_fixture(V, symbols=[SYM, "ETH/USDT"], seed=7, update_interval_ms=None)


async def test_load_markets_uses_instruments(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, key=None)
    markets = await ex.load_markets()
    assert set(markets) == {SYM, "ETH/USDT"}
    m = markets[SYM]
    assert m["id"] == "BTC-USDT" and m["spot"] and m["active"]
    assert m["precision"] == {"amount": 1e-8, "price": 0.1}
    assert m["limits"]["amount"]["min"] == 0.00001
    assert [r["path"] for r in sim.venue(V).request_log] == ["/api/v5/public/instruments?instType=SPOT"]


async def test_watch_order_book_equals_simulator_book_after_many_updates(
    sim: LoopbackExchanges, client_factory: Any
) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    await follow_book(ex, sim, V)


async def test_books5_is_top_five(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, key=None)
    ob = await ex.watch_order_book("ETH/USDT", 5)
    bids, asks = book_as_floats(sim.book(V, "ETH/USDT", depth=5))
    assert [list(x[:2]) for x in ob["bids"]] == bids and [list(x[:2]) for x in ob["asks"]] == asks


async def test_limit_ioc_with_client_id_fills_fully(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    order, fetched, fee = await buy_half_the_best_ask(ex, sim, V)
    assert fetched["fee"] == {"cost": float(fee), "currency": "BTC"}  # buy fee in base ("received")
    by_client_id = await ex.fetch_order(None, SYM, {"clientOrderId": "arbLeg1"})
    assert by_client_id["id"] == order["id"]


async def test_limit_ioc_fills_partially_when_depth_short(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    fetched, best_px, best_sz = await sell_three_times_the_best_bid(ex, sim, V)
    assert fetched["status"] == "canceled"  # OKX cancels an IOC remainder
    assert fetched["remaining"] == float(best_sz * 2)
    assert fetched["fee"]["currency"] == "USDT"  # sell fee in quote
    await book_shows_the_fill(ex, sim, V, best_px, best_sz)


async def test_open_order_cancel_and_client_id_reuse(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    order, low = await rest_a_low_buy(ex, sim, V)  # open, listed, duplicate client id refused, cost frozen
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
    ex = client_factory(sim, V)
    await ex.load_markets()
    order = await ex.create_order("ETH/USDT", "market", "sell", 0.5)
    fetched = await ex.fetch_order(order["id"], "ETH/USDT")
    assert fetched["status"] == "closed" and fetched["filled"] == 0.5
    trades = await ex.fetch_my_trades("ETH/USDT")
    assert sum(t["amount"] for t in trades) == pytest.approx(0.5)
    assert {t["fee"]["currency"] for t in trades} == {"USDT"}
