"""Auth failures, rate limits and injected faults map to the exceptions ccxt raises for OKX's real codes."""

from __future__ import annotations

import asyncio
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.base import ApiKey
from exchanges.sim.harness import DEMO_PASSPHRASE, LoopbackExchanges

SYM = "BTC/USDT"


@pytest.fixture
async def sim(sim_factory: Any) -> LoopbackExchanges:
    whitelisted = ApiKey(
        "okx-ipkey",
        "ip-secret",
        DEMO_PASSPHRASE,
        frozenset({"read", "trade"}),
        ip_whitelist=("10.1.2.3",),
        label="iponly",
    )
    return await sim_factory(
        venues=["okx"], symbols=[SYM], seed=3, update_interval_ms=None, extra_keys={"okx": [whitelisted]}
    )


async def test_wrong_secret_is_authentication_error(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx", secret="not-the-secret")
    with pytest.raises(ccxtpro.AuthenticationError, match="50113"):
        await ex.fetch_balance()


async def test_wrong_passphrase_and_unknown_key(sim: LoopbackExchanges, client_factory: Any) -> None:
    with pytest.raises(ccxtpro.AuthenticationError, match="50105"):
        await client_factory(sim, "okx", password="wrong").fetch_balance()
    with pytest.raises(ccxtpro.AuthenticationError, match="50111"):
        await client_factory(sim, "okx", apiKey="nobody").fetch_balance()


async def test_stale_timestamp_is_invalid_nonce(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx", options={"timeDifference": 60_000})  # client clock 60 s behind
    with pytest.raises(ccxtpro.InvalidNonce, match="50102"):
        await ex.fetch_balance()
    sim.venue("okx").clock_offset_ms = -60_000  # now the server is skewed the same way: accepted
    assert "USDT" in await ex.fetch_balance()


async def test_read_only_key_cannot_trade(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx", key="readonly")
    assert (await ex.fetch_balance())["USDT"]["total"] > 0
    with pytest.raises(ccxtpro.ExchangeError, match="50120") as info:
        await ex.create_order(SYM, "limit", "buy", 0.001, 1000.0, {"clientOrderId": "ro1"})
    assert type(info.value) is ccxtpro.ExchangeError  # ccxt 4.5 has no mapping for OKX's 50120
    entry = sim.order_log[-1]
    assert (entry["client_id"], entry["status"], entry["reject_reason"]) == ("ro1", "rejected", "50120")
    config = await ex.private_get_account_config()
    assert config["data"][0]["perm"] == "read_only"


async def test_ip_whitelist_is_permission_denied(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx", key="iponly")
    with pytest.raises(ccxtpro.PermissionDenied, match="50110"):
        await ex.fetch_balance()


async def test_rate_limit_burst_and_real_limit(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx")
    await ex.load_markets()
    sim.venue("okx").faults.rate_limit_burst = 2
    for _ in range(2):
        with pytest.raises(ccxtpro.RateLimitExceeded, match="50011"):
            await ex.fetch_balance()
    await ex.fetch_balance()
    fast = client_factory(sim, "okx", enableRateLimit=False)
    await fast.load_markets()
    with pytest.raises(ccxtpro.RateLimitExceeded):
        for _ in range(6):  # OKX: account/config 5 requests per 2 s per key
            await fast.private_get_account_config()


async def test_rest_5xx_and_timeout(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx", timeout=300)
    await ex.load_markets()
    faults = sim.venue("okx").faults
    faults.rest_5xx_rate = 1.0
    with pytest.raises(ccxtpro.ExchangeNotAvailable):
        await ex.fetch_ticker(SYM)
    faults.rest_5xx_rate, faults.rest_timeout_rate, faults.rest_timeout_ms = 0.0, 1.0, 800
    with pytest.raises(ccxtpro.RequestTimeout):
        await ex.fetch_ticker(SYM)
    faults.rest_timeout_rate = 0.0
    assert (await ex.fetch_ticker(SYM))["bid"] > 0


async def test_order_reject_and_forced_partial_fill(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx")
    await ex.load_markets()
    venue = sim.venue("okx")
    px, sz = sim.book("okx", SYM).asks[0]
    venue.faults.reject_rate = 1.0
    with pytest.raises(ccxtpro.InvalidOrder, match="51006"):
        await ex.create_order(SYM, "limit", "buy", float(sz), float(px), {"timeInForce": "IOC"})
    venue.faults.reject_rate = 0.0
    venue.faults.partial_fill_ratio = 0.5
    order = await ex.create_order(SYM, "limit", "buy", 0.0002, float(px), {"timeInForce": "IOC"})
    fetched = await ex.fetch_order(order["id"], SYM)
    assert fetched["filled"] == 0.0001 and fetched["status"] == "canceled"
    venue.faults.partial_fill_ratio = 0.0
    order = await ex.create_order(SYM, "limit", "buy", 0.0002, float(px), {"timeInForce": "IOC"})
    assert (await ex.fetch_order(order["id"], SYM))["filled"] == 0.0002


async def test_sequence_gap_then_resync(sim: LoopbackExchanges, client_factory: Any, book_as_floats: Any) -> None:
    ex = client_factory(sim, "okx", key=None)
    await ex.watch_order_book(SYM)
    faults = sim.venue("okx").faults
    faults.gap_rate = 1.0
    sim.step()  # this update is dropped on the way to the client ...
    faults.gap_rate = 0.0
    sim.step()  # ... so this one arrives with a prevSeqId the client has not seen
    with pytest.raises(ccxtpro.InvalidNonce):
        async with asyncio.timeout(5):
            while True:
                await ex.watch_order_book(SYM)
    ob = await ex.watch_order_book(SYM)  # unsubscribes, resubscribes, gets a fresh snapshot
    assert ob["nonce"] == sim.book("okx", SYM).seq
    for _ in range(20):
        sim.step()
    async with asyncio.timeout(5):
        while ex.orderbooks[SYM]["nonce"] != sim.book("okx", SYM).seq:
            await ex.watch_order_book(SYM)
    bids, asks = book_as_floats(sim.book("okx", SYM))
    assert [x[:2] for x in ex.orderbooks[SYM]["bids"]] == bids
    assert [x[:2] for x in ex.orderbooks[SYM]["asks"]] == asks


async def test_crossed_book_injection(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx", key=None)
    await ex.watch_order_book(SYM)
    sim.venue("okx").inject_crossed(SYM, duration_ms=300, ticks=2)
    sim.step()
    view = sim.book("okx", SYM)
    assert view.bids[0][0] >= view.asks[0][0]
    async with asyncio.timeout(5):
        ob = await ex.watch_order_book(SYM)
        while ob["nonce"] != view.seq:
            ob = await ex.watch_order_book(SYM)
    assert ob["bids"][0][0] >= ob["asks"][0][0]
    for _ in range(5):
        sim.step()  # 500 ms of market time later the book is sane again
    view = sim.book("okx", SYM)
    assert view.bids[0][0] < view.asks[0][0]


async def test_keepalive_ping_pong_stall_and_disconnect(sim_factory: Any, client_factory: Any) -> None:
    sim = await sim_factory(venues=["okx"], symbols=[SYM], seed=5, update_interval_ms=20)
    ex = client_factory(sim, "okx", key=None, streaming={"keepAlive": 100})
    venue = sim.venue("okx")
    await ex.watch_order_book(SYM)
    session = next(iter(venue.sessions))
    async with asyncio.timeout(5):
        while session.pings < 3:  # the client pings every 100 ms and accepts our text pongs
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


async def test_wait_for_seq_hook(sim_factory: Any) -> None:
    sim = await sim_factory(venues=["okx"], symbols=[SYM], seed=5, update_interval_ms=20)
    start = sim.book("okx", SYM).seq
    seq = await sim.venue("okx").wait_for_seq(SYM, start + 10)
    assert seq >= start + 10
