"""A stock ccxt.pro bybit client against the Bybit loopback simulator: markets, balance, fees, books, orders.

Balance and fees, orders seen over WS and the loopback-only URL check run for every venue in ``test_sim_venues.py``.
"""

from __future__ import annotations

from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.harness import LoopbackExchanges
from tests.integration.sim_common import (
    FUNDS,
    SYM,
    book_shows_the_fill,
    buy_half_the_best_ask,
    follow_book,
    rest_a_low_buy,
    sell_three_times_the_best_bid,
    sim_fixture,
)

V = "bybit"
# Manual market (no driver): the test steps it, so books are exactly comparable.
sim = sim_fixture(V, symbols=[SYM, "ETH/USDT"], seed=7, update_interval_ms=None, balances=FUNDS)


async def test_load_markets_uses_instruments_info_only(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    markets = await ex.load_markets()
    assert set(markets) == {SYM, "ETH/USDT"}
    m = markets[SYM]
    assert m["id"] == "BTCUSDT" and m["spot"] and m["active"]
    assert m["precision"] == {"amount": 1e-6, "price": 0.1}  # Bybit's real BTCUSDT
    assert m["limits"]["amount"]["min"] == 0.000011 and m["limits"]["cost"]["min"] == 5.0
    assert [r["path"] for r in sim.venue(V).request_log] == ["/v5/market/instruments-info?category=spot"]


async def test_unified_account_discovery_when_not_configured(sim: LoopbackExchanges, client_factory: Any) -> None:
    """Without enableUnifiedAccount/Margin ccxt asks query-api and account/info first; both answer like a UTA."""
    ex = client_factory(sim, V, options={"enableUnifiedAccount": None, "enableUnifiedMargin": None})
    assert (await ex.fetch_balance())["USDT"]["total"] == 1_000_000.0
    paths = [r["path"].split("?")[0] for r in sim.venue(V).request_log]
    assert {"/v5/user/query-api", "/v5/account/info"} <= set(paths)
    assert (ex.options["enableUnifiedAccount"], ex.options["enableUnifiedMargin"]) == (True, False)


async def test_watch_order_book_equals_simulator_book_after_many_updates(
    sim: LoopbackExchanges, client_factory: Any
) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    assert "orderbook.50.BTCUSDT" in next(iter(sim.venue(V).sessions)).subscriptions  # ccxt's spot default
    await follow_book(ex, sim, V)  # synced by ts: the simulator's send time of the last message


async def test_limit_ioc_with_client_id_fills_fully(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    order, fetched, fee = await buy_half_the_best_ask(ex, sim, V)  # Bybit answers {orderId, orderLinkId} only
    assert fetched["fee"] == {"cost": float(fee), "currency": "BTC"}  # buy fee in base
    by_link_id = await ex.private_get_v5_order_realtime({"category": "spot", "orderLinkId": "arbLeg1"})
    assert by_link_id["result"]["list"][0]["orderId"] == order["id"]
    trades = await ex.fetch_my_trades(SYM)
    assert [t["order"] for t in trades] == [order["id"]] and trades[0]["fee"]["currency"] == "BTC"


async def test_limit_ioc_fills_partially_when_depth_short(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    fetched, best_px, best_sz = await sell_three_times_the_best_bid(ex, sim, V)
    assert fetched["info"]["orderStatus"] == "PartiallyFilledCanceled"
    assert fetched["status"] == "closed"  # ccxt's mapping of PartiallyFilledCanceled
    assert fetched["remaining"] == 0.0  # Bybit: leavesQty 0
    assert fetched["fee"]["currency"] == "USDT"  # sell fee in quote
    await book_shows_the_fill(ex, sim, V, best_px, best_sz)


async def test_open_order_cancel_and_order_link_id_reuse(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    order, low = await rest_a_low_buy(ex, sim, V)  # open, listed, duplicate client id refused, cost frozen
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
