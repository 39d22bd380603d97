"""Auth failures, rate limits and injected faults map to the exceptions ccxt raises for Bybit's real codes.

What every venue does alike (wrong secret, stale timestamp, 429 bursts, 5xx and hangs, order faults,
crossed books, keepalive) is tested once per venue in ``test_sim_venues.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.harness import LoopbackExchanges
from tests.integration.sim_common import SYM, ip_only_key, same_book, sim_fixture, watch_until

V = "bybit"
sim = sim_fixture(V, symbols=[SYM], seed=3, update_interval_ms=None, extra_keys={V: [ip_only_key(V)]})


async def converged(ex: Any, sim: LoopbackExchanges) -> Any:
    """Watch until the client's book is the simulator's published book (ccxt has no update-id check for Bybit)."""
    view = sim.book(V, SYM)
    return await watch_until(ex, SYM, lambda ob: same_book(ob, view))


async def test_unknown_key_and_ip_whitelist(sim: LoopbackExchanges, client_factory: Any) -> None:
    with pytest.raises(ccxtpro.AuthenticationError, match="10003"):
        await client_factory(sim, V, apiKey="nobody").fetch_balance()
    with pytest.raises(ccxtpro.PermissionDenied, match="10010"):
        await client_factory(sim, V, key="iponly").fetch_balance()


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
    """Bybit's real limits (the rate_limit_burst fault: test_sim_venues.py)."""
    fast = client_factory(sim, V, enableRateLimit=False)
    await fast.load_markets()
    with pytest.raises(ccxtpro.RateLimitExceeded, match="10006"):
        for _ in range(11):  # fee-rate: 10 requests per second per key
            await fast.fetch_trading_fee(SYM)
    sim.venue(V).limiter.limits["ip"] = (3, 5_000)
    with pytest.raises(ccxtpro.RateLimitExceeded, match="403"):  # the IP limit: HTTP 403 from the gateway
        for _ in range(4):
            await fast.fetch_ticker(SYM)


async def test_sequence_gap_is_repaired_by_a_snapshot(sim: LoopbackExchanges, client_factory: Any) -> None:
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
    await converged(ex, sim)
    for _ in range(20):
        sim.step()
    await converged(ex, sim)


async def test_reorders_and_duplicates_keep_the_book_right(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    faults = sim.venue(V).faults
    faults.duplicate_rate, faults.reorder_rate = 0.3, 0.3
    for _ in range(30):
        sim.step()
    faults.duplicate_rate = faults.reorder_rate = 0.0
    sim.step()
    sim.step()  # a held delta is released by the first, the snapshot repair goes out with the second
    await converged(ex, sim)


async def test_private_ws_auth_failure(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, secret="not-the-secret")
    await ex.load_markets()
    with pytest.raises(ccxtpro.ExchangeError, match="signature verification failed"):
        await asyncio.wait_for(ex.watch_orders(SYM), 5)  # ccxt 4.5 reads a failed v5 auth as ExchangeError


async def test_delayed_messages_arrive_late_and_in_order(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    venue = sim.venue(V)
    venue.faults.delay_ms = 150  # every frame leaves the server 150 ms after it was queued
    sim.step()
    assert ex.orderbooks[SYM]["timestamp"] < venue.last_book_ts(SYM)  # type: ignore[attr-defined]
    ob = await converged(ex, sim)
    assert ob["timestamp"] == venue.last_book_ts(SYM)  # type: ignore[attr-defined]
    venue.faults.delay_ms = 0
