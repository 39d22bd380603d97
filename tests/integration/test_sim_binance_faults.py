"""Auth failures, rate limits and injected faults map to the exceptions ccxt raises for Binance's real codes.

What every venue does alike (wrong secret, stale timestamp, 429 bursts, 5xx and hangs, order faults,
crossed books) is tested once per venue in ``test_sim_venues.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.harness import LoopbackExchanges
from tests.integration.sim_common import SYM, ip_only_key, sim_fixture, synced_book, watch_fails

V = "binance"
sim = sim_fixture(V, symbols=[SYM], seed=3, update_interval_ms=None, extra_keys={V: [ip_only_key(V)]})


async def resynced(ex: Any, sim: LoopbackExchanges) -> Any:
    """Watch (through ccxt's own resubscribe after a sync error) until the book has the current update id."""
    return await synced_book(ex, sim, V, retry=(ccxtpro.InvalidNonce,))


async def test_unknown_key_and_ip_whitelist(sim: LoopbackExchanges, client_factory: Any) -> None:
    with pytest.raises(ccxtpro.AuthenticationError, match="-2015"):
        await client_factory(sim, V, apiKey="nobody").fetch_balance()
    with pytest.raises(ccxtpro.AuthenticationError, match="-2014"):
        await client_factory(sim, V, apiKey="not a key!").fetch_balance()
    with pytest.raises(ccxtpro.AuthenticationError, match="-2015"):  # Binance: -2015 for a foreign IP as well
        await client_factory(sim, V, key="iponly").fetch_balance()


async def test_read_only_key_cannot_trade(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, key="readonly")
    await ex.load_markets()
    px = float(sim.book(V, SYM).bids[0][0]) / 2
    with pytest.raises(ccxtpro.AuthenticationError, match="-2015") as info:
        await ex.create_order(SYM, "limit", "buy", 0.001, px, {"clientOrderId": "ro1"})
    assert type(info.value) is ccxtpro.AuthenticationError  # ccxt maps -2015 to AuthenticationError
    entry = sim.order_log[-1]
    assert (entry["client_id"], entry["status"], entry["reject_reason"]) == ("ro1", "rejected", "-2015")
    assert (await ex.fetch_balance())["USDT"]["total"] > 0  # reading works ...
    with pytest.raises(ccxtpro.DDoSProtection, match="-2015"):  # ... and after a successful private call ccxt
        await ex.create_order(SYM, "limit", "buy", 0.001, px)  # reads -2015 as a temporary ban (its workaround)
    restrictions = await ex.sapi_get_account_apirestrictions()
    assert (restrictions["enableReading"], restrictions["enableSpotAndMarginTrading"]) == (True, False)


async def test_request_weight_limit_then_ip_ban(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, V, enableRateLimit=False)
    await ex.load_markets()  # weight 20
    venue = sim.venue(V)
    for _ in range(59):  # depth with limit 5000 costs 250: 20 + 23 * 250 < 6000
        try:
            await ex.fetch_order_book(SYM, 5000)
        except ccxtpro.DDoSProtection as e:
            assert "429" in str(e) and "-1003" in str(e)
            break
    else:
        pytest.fail("the 6000/min weight budget was never exhausted")
    for _ in range(3):  # keep hammering after a 429: Binance bans the IP with HTTP 418
        with pytest.raises(ccxtpro.DDoSProtection):
            await ex.fetch_time()
    assert venue.banned_until  # type: ignore[attr-defined]
    with pytest.raises(ccxtpro.DDoSProtection, match="418"):
        await ex.fetch_time()


async def test_sequence_gap_then_resync(sim: LoopbackExchanges, client_factory: Any, book_as_floats: Any) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    snapshots = sum(r["path"].startswith("/api/v3/depth") for r in sim.venue(V).request_log)
    faults = sim.venue(V).faults
    faults.gap_rate = 1.0
    sim.step()  # this diff is dropped on the way to the client ...
    faults.gap_rate = 0.0
    sim.step()  # ... so this one starts at U > last u + 1
    await watch_fails(ex, ccxtpro.ChecksumError)
    ob = await resynced(ex, sim)  # ccxt resubscribes and fetches a new REST snapshot
    assert sum(r["path"].startswith("/api/v3/depth") for r in sim.venue(V).request_log) == snapshots + 1
    for _ in range(20):
        sim.step()
    ob = await resynced(ex, sim)
    bids, asks = book_as_floats(sim.book(V, SYM))
    assert ([x[:2] for x in ob["bids"]], [x[:2] for x in ob["asks"]]) == (bids, asks)


async def test_duplicates_are_harmless_reorders_force_a_resync(
    sim: LoopbackExchanges, client_factory: Any, book_as_floats: Any
) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    faults = sim.venue(V).faults
    faults.duplicate_rate = 1.0
    for _ in range(10):
        sim.step()
    ob = await resynced(ex, sim)  # a repeated diff has u <= the book's id and is skipped
    assert [x[:2] for x in ob["bids"]] == book_as_floats(sim.book(V, SYM))[0]
    faults.duplicate_rate, faults.reorder_rate = 0.0, 1.0
    sim.step()
    sim.step()  # the second diff overtakes the first: U != last u + 1
    faults.reorder_rate = 0.0
    sim.step()
    await watch_fails(ex, ccxtpro.ChecksumError)
    ob = await resynced(ex, sim)
    assert [x[:2] for x in ob["asks"]] == book_as_floats(sim.book(V, SYM))[1]


async def test_disconnect_and_delayed_messages(sim_factory: Any, client_factory: Any) -> None:
    sim = await sim_factory(venues=[V], symbols=[SYM], seed=5, update_interval_ms=20)
    ex = client_factory(sim, V, key=None)
    venue = sim.venue(V)
    await ex.watch_order_book(SYM)
    assert await venue.disconnect_all() == 1
    await watch_fails(ex, ccxtpro.NetworkError)
    ob = await asyncio.wait_for(ex.watch_order_book(SYM), 5)  # reconnects, resubscribes, new snapshot
    assert ob["bids"] and ob["asks"]
    venue.faults.delay_ms = 150  # every frame now leaves the server 150 ms after it was queued
    seq = await venue.wait_for_seq(SYM)
    assert ex.orderbooks[SYM]["nonce"] < seq  # published, not yet delivered
    async with asyncio.timeout(5):
        while ex.orderbooks[SYM]["nonce"] < seq:
            await ex.watch_order_book(SYM)
    venue.faults.delay_ms = 0


async def test_stall_discards_frames_then_ccxt_resyncs(
    sim: LoopbackExchanges, client_factory: Any, book_as_floats: Any, eventually: Any
) -> None:
    ex = client_factory(sim, V, key=None)
    await ex.watch_order_book(SYM)
    venue = sim.venue(V)
    session = next(iter(venue.sessions))
    venue.stall(60_000)  # connected but silent: queued frames are discarded
    sim.step()
    await eventually(lambda: session.dropped >= 1)
    venue.stalled_until = 0.0
    sim.step()  # the next diff no longer chains onto the client's book
    await watch_fails(ex, ccxtpro.ChecksumError)
    ob = await resynced(ex, sim)
    assert [x[:2] for x in ob["bids"]] == book_as_floats(sim.book(V, SYM))[0]
