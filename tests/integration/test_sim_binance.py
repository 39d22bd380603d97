"""A stock ccxt.pro binance client against the Binance loopback simulator: markets, balance, fees, books, orders.

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
    assert_same_book,
    book_shows_the_fill,
    buy_half_the_best_ask,
    follow_book,
    rest_a_low_buy,
    sell_three_times_the_best_bid,
    sim_fixture,
    synced_book,
)

V = "binance"
# Manual market (no driver): the test steps it, so books are exactly comparable.
sim = sim_fixture(V, symbols=[SYM, "ETH/USDT"], seed=7, update_interval_ms=None, balances=FUNDS)


async def test_load_markets_uses_exchange_info_only(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)  # with keys: no sapi margin/currency calls either
    markets = await ex.load_markets()
    assert set(markets) == {SYM, "ETH/USDT"}
    m = markets[SYM]
    assert m["id"] == "BTCUSDT" and m["spot"] and m["active"] and m["info"]["status"] == "TRADING"
    assert m["precision"]["amount"] == 1e-5 and m["precision"]["price"] == 0.01  # Binance's real BTCUSDT
    assert m["limits"]["amount"]["min"] == 0.00001 and m["limits"]["cost"]["min"] == 5.0
    assert [r["path"] for r in sim.venue(V).request_log] == ["/api/v3/exchangeInfo"]


async def test_halted_symbol_is_inactive(sim: LoopbackExchanges, client_factory: Any) -> None:
    sim.venue(V).symbol_status["ETH/USDT"] = "HALT"  # type: ignore[attr-defined]
    markets = await client_factory(sim, V, key=None).load_markets()
    assert markets["ETH/USDT"]["active"] is False and markets[SYM]["active"] is True


async def test_watch_order_book_syncs_snapshot_and_diffs(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    assert any(r["path"] == "/api/v3/depth?symbol=BTCUSDT&limit=1000" for r in sim.venue(V).request_log)
    ob = await follow_book(ex, sim, V)
    assert ob["timestamp"] <= sim.venue(V).now_ms()  # E: the simulator's send time


async def test_snapshot_taken_while_diffs_flow(sim_factory: Any, client_factory: Any) -> None:
    """With a running market the REST snapshot lands between diffs; ccxt must splice them by update id."""
    sim = await sim_factory(venues=[V], symbols=[SYM], seed=9, update_interval_ms=10)
    ex = client_factory(sim, V, key=None)
    for _ in range(3):
        await ex.watch_order_book(SYM)
    await sim.stop()  # freeze: the last published book is the reference
    ob = await synced_book(ex, sim, V)
    assert_same_book(ob, sim, V)


async def test_limit_ioc_with_client_id_fills_fully(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    order, _, fee = await buy_half_the_best_ask(ex, sim, V)
    assert order["status"] == "closed"  # FULL response
    assert order["fee"] == {"currency": "BTC", "cost": float(fee)}  # buy fee in base
    by_client_id = await ex.fetch_order(None, SYM, {"clientOrderId": "arbLeg1"})
    assert by_client_id["id"] == order["id"]
    trades = await ex.fetch_my_trades(SYM)
    assert [t["order"] for t in trades] == [order["id"]] and trades[0]["fee"]["cost"] == float(fee)


async def test_limit_ioc_fills_partially_when_depth_short(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    fetched, best_px, best_sz = await sell_three_times_the_best_bid(ex, sim, V)
    assert fetched["status"] == "expired"  # Binance: IOC remainder EXPIRED
    assert fetched["remaining"] == float(best_sz * 2)
    trades = await ex.fetch_my_trades(SYM)
    assert {t["fee"]["currency"] for t in trades} == {"USDT"}  # sell fee in quote
    await book_shows_the_fill(ex, sim, V, best_px, best_sz)


async def test_open_order_cancel_and_client_id_reuse(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    order, low = await rest_a_low_buy(ex, sim, V)  # open, listed, duplicate client id refused, cost frozen
    assert order["status"] == "open"
    canceled = await ex.cancel_order(order["id"], SYM)
    assert canceled["status"] == "canceled"
    assert (await ex.fetch_order(order["id"], SYM))["status"] == "canceled"
    assert await ex.fetch_open_orders(SYM) == []
    with pytest.raises(ccxtpro.OrderNotFound, match="-2011"):
        await ex.cancel_order(order["id"], SYM)
    again = await ex.create_order(SYM, "limit", "buy", 0.001, low, {"clientOrderId": "rest1"})
    assert again["id"] != order["id"]  # reuse is fine once the first is closed
    await ex.cancel_order(None, SYM, {"clientOrderId": "rest1"})  # cancel by origClientOrderId
    with pytest.raises(ccxtpro.OrderNotFound, match="-2013"):
        await ex.fetch_order("123", SYM)


async def test_market_orders_by_quantity_and_by_cost(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    await ex.load_markets()
    sold = await ex.create_order("ETH/USDT", "market", "sell", 0.5)
    assert sold["status"] == "closed" and sold["filled"] == 0.5
    bought = await ex.create_market_buy_order_with_cost("ETH/USDT", 100.0)
    assert bought["status"] == "closed" and 99.0 < bought["cost"] <= 100.0
    trades = await ex.fetch_my_trades("ETH/USDT")
    assert sum(t["amount"] for t in trades if t["side"] == "sell") == pytest.approx(0.5)
