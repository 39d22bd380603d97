"""Auth failures, rate limits and injected faults map to the exceptions ccxt raises for Bybit's real codes."""

from __future__ import annotations

import asyncio
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.base import ApiKey
from exchanges.sim.harness import LoopbackExchanges

SYM = "BTC/USDT"
V = "bybit"


@pytest.fixture
async def sim(sim_factory: Any) -> LoopbackExchanges:
    whitelisted = ApiKey(
        "bybit-ipkey", "ip-secret", "", frozenset({"read", "trade"}), ip_whitelist=("10.1.2.3",), label="iponly"
    )
    return await sim_factory(venues=[V], symbols=[SYM], seed=3, update_interval_ms=None, extra_keys={V: [whitelisted]})


async def converged(ex: Any, sim: LoopbackExchanges, book_as_floats: Any, timeout_s: float = 5.0) -> Any:
    """Watch until the client's book is the simulator's published book (ccxt has no update-id check for Bybit)."""
    bids, asks = book_as_floats(sim.book(V, SYM))
    async with asyncio.timeout(timeout_s):
        while True:
            ob = ex.orderbooks.get(SYM)
            if ob is not None and [x[:2] for x in ob["bids"]] == bids and [x[:2] for x in ob["asks"]] == asks:
                return ob
            try:
                await asyncio.wait_for(ex.watch_order_book(SYM), 0.2)
            except TimeoutError:
                continue


async def test_wrong_secret_is_authentication_error(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, secret="not-the-secret")
    with pytest.raises(ccxtpro.AuthenticationError, match="10004"):
        await ex.fetch_balance()


async def test_unknown_key_and_ip_whitelist(sim: LoopbackExchanges, client_factory: Any) -> None:
    with pytest.raises(ccxtpro.AuthenticationError, match="10003"):
        await client_factory(sim, V, apiKey="nobody").fetch_balance()
    with pytest.raises(ccxtpro.PermissionDenied, match="10010"):
        await client_factory(sim, V, key="iponly").fetch_balance()


async def test_stale_timestamp_is_invalid_nonce(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, options={"timeDifference": 60_000})  # client clock 60 s behind
    with pytest.raises(ccxtpro.InvalidNonce, match="10002"):
        await ex.fetch_balance()
    sim.venue(V).clock_offset_ms = -60_000  # now the server is skewed the same way: accepted
    assert "USDT" in await ex.fetch_balance()


async def test_read_only_key_cannot_trade(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, key="readonly")
    assert (await ex.fetch_balance())["USDT"]["total"] > 0
    px = float(sim.book(V, SYM).bids[0][0]) / 2
    with pytest.raises(ccxtpro.PermissionDenied, match="10005"):
        await ex.create_order(SYM, "limit", "buy", 0.001, px, {"clientOrderId": "ro1"})
    entry = sim.order_log[-1]
    assert (entry["client_id"], entry["status"], entry["reject_reason"]) == ("ro1", "rejected", "10005")
    info = await ex.private_get_v5_user_query_api()
    assert (info["result"]["readOnly"], info["result"]["permissions"]["Spot"]) == (1, [])


async def test_rate_limits(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    await ex.load_markets()
    sim.venue(V).faults.rate_limit_burst = 2
    for _ in range(2):
        with pytest.raises(ccxtpro.RateLimitExceeded, match="10006"):
            await ex.fetch_balance()
    await ex.fetch_balance()
    fast = client_factory(sim, V, enableRateLimit=False)
    await fast.load_markets()
    with pytest.raises(ccxtpro.RateLimitExceeded, match="10006"):
        for _ in range(11):  # fee-rate: 10 requests per second per key
            await fast.fetch_trading_fee(SYM)
    sim.venue(V).limiter.limits["ip"] = (3, 5_000)
    with pytest.raises(ccxtpro.RateLimitExceeded, match="403"):  # the IP limit: HTTP 403 from the gateway
        for _ in range(4):
            await fast.fetch_ticker(SYM)


async def test_rest_5xx_and_timeout(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, timeout=300)
    await ex.load_markets()
    faults = sim.venue(V).faults
    faults.rest_5xx_rate = 1.0
    with pytest.raises(ccxtpro.ExchangeNotAvailable):
        await ex.fetch_ticker(SYM)
    faults.rest_5xx_rate, faults.rest_timeout_rate, faults.rest_timeout_ms = 0.0, 1.0, 800
    with pytest.raises(ccxtpro.RequestTimeout):
        await ex.fetch_ticker(SYM)
    faults.rest_timeout_rate = 0.0
    assert (await ex.fetch_ticker(SYM))["bid"] > 0


async def test_order_reject_and_forced_partial_fill(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V)
    await ex.load_markets()
    venue = sim.venue(V)
    px, sz = sim.book(V, SYM).asks[0]
    venue.faults.reject_rate = 1.0
    with pytest.raises(ccxtpro.InvalidOrder, match="170210"):
        await ex.create_order(SYM, "limit", "buy", float(sz), float(px), {"timeInForce": "IOC"})
    venue.faults.reject_rate = 0.0
    venue.faults.partial_fill_ratio = 0.5  # every taker fill stops at half the order
    order = await ex.create_order(SYM, "limit", "buy", 0.0002, float(px), {"timeInForce": "IOC"})
    fetched = await ex.fetch_order(order["id"], SYM)
    assert fetched["filled"] == 0.0001 and fetched["info"]["orderStatus"] == "PartiallyFilledCanceled"


async def test_sequence_gap_is_repaired_by_a_snapshot(
    sim: LoopbackExchanges, client_factory: Any, book_as_floats: Any
) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    venue = sim.venue(V)
    session = next(iter(venue.sessions))
    faults = venue.faults
    faults.gap_rate = 1.0
    sim.step()  # this delta is dropped on the way to the client (ccxt cannot notice: it does not check u)
    faults.gap_rate = 0.0
    assert session.dropped == 1 and venue.resync[session] == {"orderbook.50.BTCUSDT"}  # type: ignore[attr-defined]
    sim.step()  # ... so, as Bybit does, the server sends this one as a snapshot
    assert not venue.resync[session]  # type: ignore[attr-defined]
    await converged(ex, sim, book_as_floats)
    for _ in range(20):
        sim.step()
    await converged(ex, sim, book_as_floats)


async def test_reorders_and_duplicates_keep_the_book_right(
    sim: LoopbackExchanges, client_factory: Any, book_as_floats: Any
) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    faults = sim.venue(V).faults
    faults.duplicate_rate, faults.reorder_rate = 0.3, 0.3
    for _ in range(30):
        sim.step()
    faults.duplicate_rate = faults.reorder_rate = 0.0
    sim.step()
    sim.step()  # a held delta is released by the first, the snapshot repair goes out with the second
    await converged(ex, sim, book_as_floats)


async def test_crossed_book_injection(sim: LoopbackExchanges, client_factory: Any, book_as_floats: Any) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    sim.venue(V).inject_crossed(SYM, duration_ms=300, ticks=2)
    sim.step()
    view = sim.book(V, SYM)
    assert view.bids[0][0] >= view.asks[0][0]
    ob = await converged(ex, sim, book_as_floats)
    assert ob["bids"][0][0] >= ob["asks"][0][0]
    for _ in range(5):
        sim.step()  # 500 ms of market time later the book is sane again
    view = sim.book(V, SYM)
    assert view.bids[0][0] < view.asks[0][0]


async def test_keepalive_ping_pong_stall_and_disconnect(sim_factory: Any, client_factory: Any) -> None:
    sim = await sim_factory(venues=[V], symbols=[SYM], seed=5, update_interval_ms=20)
    ex = client_factory(sim, V, key=None, streaming={"keepAlive": 100})
    venue = sim.venue(V)
    await ex.watch_order_book(SYM)
    session = next(iter(venue.sessions))
    async with asyncio.timeout(5):
        while session.pings < 3:  # the client sends {"op": "ping"} every 100 ms and accepts our pongs
            await ex.watch_order_book(SYM)
    venue.stall(3000)  # connected but silent: no data, no pong
    with pytest.raises(ccxtpro.NetworkError):
        async with asyncio.timeout(5):
            while True:
                await ex.watch_order_book(SYM)
    venue.stalled_until = 0.0
    ob = await asyncio.wait_for(ex.watch_order_book(SYM), 5)  # reconnects, fresh snapshot
    assert ob["bids"] and ob["asks"]
    assert await venue.disconnect_all() == 1
    with pytest.raises(ccxtpro.NetworkError):
        async with asyncio.timeout(5):
            while True:
                await ex.watch_order_book(SYM)
    assert (await asyncio.wait_for(ex.watch_order_book(SYM), 5))["asks"]


async def test_private_ws_auth_failure(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, secret="not-the-secret")
    await ex.load_markets()
    with pytest.raises(ccxtpro.ExchangeError, match="signature verification failed"):
        await asyncio.wait_for(ex.watch_orders(SYM), 5)  # ccxt 4.5 reads a failed v5 auth as ExchangeError


async def test_delayed_messages_arrive_late_and_in_order(
    sim: LoopbackExchanges, client_factory: Any, book_as_floats: Any
) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    venue = sim.venue(V)
    venue.faults.delay_ms = 150  # every frame leaves the server 150 ms after it was queued
    sim.step()
    assert ex.orderbooks[SYM]["timestamp"] < venue.last_book_ts(SYM)  # type: ignore[attr-defined]
    ob = await converged(ex, sim, book_as_floats)
    assert ob["timestamp"] == venue.last_book_ts(SYM)  # type: ignore[attr-defined]
    venue.faults.delay_ms = 0
