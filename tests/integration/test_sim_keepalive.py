"""Connection upkeep as each venue does it (exchanges/sim/keepalive.py), at test-sized intervals:
OKX and Bybit close connections that stay silent; Binance pings and closes connections that do not
answer, and rotates old connections. Stock ccxt.pro clients (pinging at the same ratio to the limit as
their defaults do: 18 s against 30 s) stay connected through all of it, or reconnect after a rotation.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.harness import LoopbackExchanges
from tests.kit.poll import eventually

SYM = "BTC/USDT"
WS_PATHS = {"okx": "/ws/v5/public", "binance": "/ws", "bybit": "/v5/public/spot"}


@pytest.fixture
async def sim(sim_factory: Any) -> LoopbackExchanges:
    return await sim_factory(venues=["okx", "binance", "bybit"], symbols=[SYM], seed=2, update_interval_ms=20)


def conn_ids(sim: LoopbackExchanges, venue: str) -> set[str]:
    return {s.conn_id for s in sim.venue(venue).sessions}


async def watch_for(ex: Any, updates: int) -> None:
    for _ in range(updates):  # 20 ms per market step: time passes with the data
        await ex.watch_order_book(SYM)


async def silent_client_is_closed(sim: LoopbackExchanges, venue: str, http: aiohttp.ClientSession) -> None:
    url = sim.base_urls[venue].replace("http://", "ws://") + WS_PATHS[venue]
    async with http.ws_connect(url, autoping=False) as ws:
        while True:  # server pings (Binance) go unanswered; nothing else is sent
            msg = await ws.receive(timeout=5)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return


@pytest.mark.parametrize("venue", ["okx", "bybit"])
async def test_idle_connections_are_closed_and_pinging_clients_stay(
    sim: LoopbackExchanges, client_factory: Any, http: aiohttp.ClientSession, venue: str
) -> None:
    sim.venue(venue).ws_idle_timeout_ms = 300
    await silent_client_is_closed(sim, venue, http)
    ex = client_factory(sim, venue, key=None, streaming={"keepAlive": 100})
    await ex.watch_order_book(SYM)
    first = conn_ids(sim, venue)
    await watch_for(ex, 60)  # ~1.2 s: four idle timeouts
    assert conn_ids(sim, venue) == first and len(first) == 1
    assert next(iter(sim.venue(venue).sessions)).pings >= 3


async def test_binance_pings_and_closes_connections_without_pong(
    sim: LoopbackExchanges, client_factory: Any, http: aiohttp.ClientSession
) -> None:
    sim.venue("binance").ws_ping_interval_ms = 200
    await silent_client_is_closed(sim, "binance", http)
    ex = client_factory(sim, "binance", key=None)
    await ex.watch_order_book(SYM)
    first = conn_ids(sim, "binance")
    await watch_for(ex, 60)  # ~1.2 s: six server pings, each answered by ccxt
    assert conn_ids(sim, "binance") == first and len(first) == 1


async def test_binance_rotates_old_connections_and_ccxt_reconnects(sim: LoopbackExchanges, client_factory: Any) -> None:
    sim.venue("binance").ws_max_lifetime_ms = 300
    ex = client_factory(sim, "binance", key=None)
    seen: set[str] = set()
    books = 0

    async def rotated_twice() -> bool:
        nonlocal books
        try:
            await ex.watch_order_book(SYM)
            books += 1
        except ccxtpro.NetworkError:  # the rotation: the next call reconnects and resubscribes
            pass
        seen.update(conn_ids(sim, "binance"))
        return len(seen) >= 3

    await eventually(rotated_twice, timeout_s=10)
    await ex.watch_order_book(SYM)
    assert books > 0 and len(conn_ids(sim, "binance")) == 1
