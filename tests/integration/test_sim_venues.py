"""What every simulated venue does alike, run against each dialect with a stock ccxt.pro client.

Orders over WS, loopback-only URLs, auth and timestamp errors, REST faults (429 bursts, hangs, 5xx),
order faults, crossed books, keepalive, and venue aliases. Where the dialects differ only in a code or
a channel name, the difference is in :data:`tests.integration.sim_common.VENUES`.
"""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.harness import LoopbackExchanges
from tests.integration.sim_common import (
    FUNDS,
    SYM,
    VENUES,
    assert_same_book,
    field_of,
    ip_only_key,
    synced_book,
    url_leaves,
    watch_fails,
)


@pytest.fixture(params=list(VENUES))
def venue(request: Any) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
async def sim(sim_factory: Any, venue: str) -> LoopbackExchanges:
    """Manual market (no driver), two funded symbols."""
    return await sim_factory(venues=[venue], symbols=[SYM, "ETH/USDT"], seed=7, update_interval_ms=None, balances=FUNDS)


@pytest.fixture
async def fault_sim(sim_factory: Any, venue: str) -> LoopbackExchanges:
    """Manual market, one symbol, plus an IP-restricted key: the fault tests' venue."""
    return await sim_factory(
        venues=[venue], symbols=[SYM], seed=3, update_interval_ms=None, extra_keys={venue: [ip_only_key(venue)]}
    )


# ------------------------------------------------------------------------------- account, orders and URLs
async def test_fetch_balance_and_trading_fee(venue: str, sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, venue)
    balance = await ex.fetch_balance()
    acct = sim.venue(venue).engine.account("main")
    assert balance["USDT"]["total"] == float(acct.balances["USDT"]) == 1_000_000.0
    assert balance["BTC"]["free"] == float(acct.balances["BTC"]) == 20.0
    fee = await ex.fetch_trading_fee(SYM)
    assert (fee["maker"], fee["taker"]) == VENUES[venue].fees
    paths = tuple(r["path"].split("?")[0] for r in sim.venue(venue).request_log)
    assert paths == VENUES[venue].balance_paths


async def test_watch_orders_sees_the_fill(venue: str, sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, venue)
    await ex.load_markets()
    watcher = asyncio.create_task(ex.watch_orders(SYM))
    await sim.venue(venue).wait_for_subscription(VENUES[venue].orders_channel)
    best_px, best_sz = sim.book(venue, SYM).asks[0]
    placed = await ex.create_order(SYM, "limit", "buy", float(best_sz), float(best_px), {"timeInForce": "IOC"})
    seen: list[dict[str, Any]] = await asyncio.wait_for(watcher, 5)
    async with asyncio.timeout(5):
        while not any(o["id"] == placed["id"] and o["status"] == "closed" for o in seen):
            seen = await ex.watch_orders(SYM)
    final = next(o for o in seen if o["id"] == placed["id"] and o["status"] == "closed")
    assert final["filled"] == float(best_sz) and final["clientOrderId"] == placed["clientOrderId"]
    assert final["fee"]["currency"] == "BTC"  # buy fee in base


async def test_nothing_leaves_loopback(
    venue: str, sim: LoopbackExchanges, client_factory: Any, monkeypatch: Any
) -> None:
    """Every API URL ccxt could use points at the simulator, and a full session resolves no other host."""
    looked_up: list[Any] = []
    real = socket.getaddrinfo

    def spy(host: Any, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    facts = VENUES[venue]
    ex = client_factory(sim, venue, **facts.session_config)
    for tree in facts.url_trees:
        leaves = list(url_leaves(ex.urls[tree]))
        assert leaves and all(u.startswith(("http://127.0.0.1:", "ws://127.0.0.1:")) for u in leaves), tree
    await ex.load_markets()
    await ex.fetch_balance()
    await ex.fetch_trading_fee(SYM)
    await ex.fetch_time()
    await ex.watch_order_book(SYM)
    watcher = asyncio.create_task(ex.watch_orders(SYM))
    await sim.venue(venue).wait_for_subscription(facts.orders_channel)
    px, sz = sim.book(venue, SYM).asks[0]
    await ex.create_order(SYM, "limit", "buy", float(sz), float(px), {"timeInForce": "IOC"})
    await asyncio.wait_for(watcher, 5)
    assert set(looked_up) <= {"127.0.0.1"}


# ------------------------------------------------------------------------------- auth
async def test_wrong_secret_is_authentication_error(
    venue: str, fault_sim: LoopbackExchanges, client_factory: Any
) -> None:
    ex = client_factory(fault_sim, venue, secret="not-the-secret")
    with pytest.raises(ccxtpro.AuthenticationError, match=VENUES[venue].bad_signature):
        await ex.fetch_balance()


async def test_stale_timestamp_is_invalid_nonce(venue: str, fault_sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(fault_sim, venue, options={"timeDifference": 60_000})  # client clock 60 s behind
    with pytest.raises(ccxtpro.InvalidNonce, match=VENUES[venue].stale_timestamp):
        await ex.fetch_balance()
    fault_sim.venue(venue).clock_offset_ms = -60_000  # now the server is skewed the same way: accepted
    assert "USDT" in await ex.fetch_balance()


# ------------------------------------------------------------------------------- REST faults
async def test_rate_limit_burst(venue: str, fault_sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(fault_sim, venue)
    await ex.load_markets()
    error, code = VENUES[venue].rate_limited
    fault_sim.venue(venue).faults.rate_limit_burst = 2
    for _ in range(2):
        with pytest.raises(error, match=code):
            await ex.fetch_balance()
    assert "USDT" in await ex.fetch_balance()


async def test_rate_limited_placements_in_the_order_log(
    venue: str, fault_sim: LoopbackExchanges, client_factory: Any
) -> None:
    """With ``log_rate_limited_orders`` a burst 429 on an order placement is a rejected order log entry."""
    ex = client_factory(fault_sim, venue)
    await ex.load_markets()
    server = fault_sim.venue(venue)
    error, code = VENUES[venue].rate_limited
    px = float(fault_sim.book(venue, SYM).bids[0][0]) / 2

    async def refused(client_id: str) -> None:
        server.faults.rate_limit_burst = 1
        with pytest.raises(error, match=code):
            await ex.create_order(SYM, "limit", "buy", 0.001, px, {"clientOrderId": client_id})

    server.log_rate_limited_orders = False  # the switch: omitted entirely when off
    await refused("rl0")
    assert fault_sim.order_log == []
    server.log_rate_limited_orders = True  # the default
    server.faults.rate_limit_burst = 1
    with pytest.raises(error, match=code):
        await ex.fetch_balance()
    assert fault_sim.order_log == []  # not a placement
    await refused("rl1")
    entry = fault_sim.order_log[-1]
    assert (entry["venue"], entry["key"], entry["client_id"]) == (venue, f"{venue}-trader-key", "rl1")
    assert (entry["status"], entry["reject_reason"], entry["side"], entry["type"]) == ("rejected", code, "buy", "limit")
    placed = await ex.create_order(SYM, "limit", "buy", 0.001, px, {"clientOrderId": "rl2"})
    assert [e["client_id"] for e in fault_sim.order_log] == ["rl1", "rl2"] and placed["id"]


async def test_rest_5xx_and_timeout(venue: str, fault_sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(fault_sim, venue, timeout=300)
    await ex.load_markets()
    faults = fault_sim.venue(venue).faults
    faults.rest_5xx_rate = 1.0
    with pytest.raises(ccxtpro.ExchangeNotAvailable):
        await ex.fetch_ticker(SYM)
    faults.rest_5xx_rate, faults.rest_timeout_rate, faults.rest_timeout_ms = 0.0, 1.0, 800
    with pytest.raises(ccxtpro.RequestTimeout):
        await ex.fetch_ticker(SYM)
    faults.rest_timeout_rate = 0.0
    assert (await ex.fetch_ticker(SYM))["bid"] > 0


async def test_rest_timeout_next_hangs_a_burst_of_requests(
    venue: str, fault_sim: LoopbackExchanges, client_factory: Any
) -> None:
    ex = client_factory(fault_sim, venue, timeout=300)
    await ex.load_markets()
    faults = fault_sim.venue(venue).faults
    faults.rest_timeout_next, faults.rest_timeout_ms = 2, 800
    for left in (1, 0):
        with pytest.raises(ccxtpro.RequestTimeout):
            await ex.fetch_ticker(SYM)
        assert faults.rest_timeout_next == left
    assert (await ex.fetch_ticker(SYM))["bid"] > 0  # the burst is spent


# ------------------------------------------------------------------------------- order faults and books
async def test_order_reject_and_forced_partial_fill(
    venue: str, fault_sim: LoopbackExchanges, client_factory: Any
) -> None:
    ex = client_factory(fault_sim, venue)
    await ex.load_markets()
    server, facts = fault_sim.venue(venue), VENUES[venue]
    px, sz = fault_sim.book(venue, SYM).asks[0]
    server.faults.reject_rate = 1.0
    with pytest.raises(ccxtpro.InvalidOrder, match=facts.fault_reject):
        await ex.create_order(SYM, "limit", "buy", float(sz), float(px), {"timeInForce": "IOC"})
    server.faults.reject_rate = 0.0
    server.faults.partial_fill_ratio = 0.5  # every taker fill stops at half the order
    order = await ex.create_order(SYM, "limit", "buy", 0.0002, float(px), {"timeInForce": "IOC"})
    fetched = await ex.fetch_order(order["id"], SYM)
    state_field, state = facts.ioc_partial
    assert fetched["filled"] == 0.0001 and field_of(fetched, state_field) == state
    server.faults.partial_fill_ratio = 0.0
    order = await ex.create_order(SYM, "limit", "buy", 0.0002, float(px), {"timeInForce": "IOC"})
    assert (await ex.fetch_order(order["id"], SYM))["filled"] == 0.0002


async def test_crossed_book_injection(venue: str, fault_sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(fault_sim, venue, key=None)
    await ex.watch_order_book(SYM)
    fault_sim.venue(venue).inject_crossed(SYM, duration_ms=300, ticks=2)
    fault_sim.step()
    view = fault_sim.book(venue, SYM)
    assert view.bids[0][0] >= view.asks[0][0]
    ob = await synced_book(ex, fault_sim, venue)
    assert_same_book(ob, fault_sim, venue)
    assert ob["bids"][0][0] >= ob["asks"][0][0]
    for _ in range(5):
        fault_sim.step()  # 500 ms of market time later the book is sane again
    view = fault_sim.book(venue, SYM)
    assert view.bids[0][0] < view.asks[0][0]


@pytest.mark.parametrize("venue", ["okx", "bybit"])  # Binance: no client pings (see its stall test)
async def test_keepalive_ping_pong_stall_and_disconnect(venue: str, sim_factory: Any, client_factory: Any) -> None:
    sim = await sim_factory(venues=[venue], symbols=[SYM], seed=5, update_interval_ms=20)
    ex = client_factory(sim, venue, key=None, streaming={"keepAlive": 100})
    server = sim.venue(venue)
    await ex.watch_order_book(SYM)
    session = next(iter(server.sessions))
    async with asyncio.timeout(5):
        while session.pings < 3:  # the client pings every 100 ms and accepts our pongs
            await ex.watch_order_book(SYM)
    server.stall(3000)  # connected but silent: no data, no pong
    await watch_fails(ex, ccxtpro.NetworkError)
    server.stalled_until = 0.0
    ob = await asyncio.wait_for(ex.watch_order_book(SYM), 5)  # reconnects, fresh snapshot
    assert ob["bids"] and ob["asks"]
    assert await server.disconnect_all() == 1
    await watch_fails(ex, ccxtpro.NetworkError)
    assert (await asyncio.wait_for(ex.watch_order_book(SYM), 5))["asks"]


# ------------------------------------------------------------------------------- aliases
async def test_alias_runs_a_second_server_of_the_dialect(venue: str, sim_factory: Any, client_factory: Any) -> None:
    alias = f"{venue}2"
    sim = await sim_factory(venues=[venue], symbols=[SYM], seed=7, update_interval_ms=None, aliases={alias: venue})
    assert sim.venues == [venue, alias] and sim.dialect_of(alias) == venue and sim.dialect_of(venue) == venue
    server = sim.venue(alias)
    assert server.venue == alias and type(server) is type(sim.venue(venue))
    assert sim.base_urls[alias] != sim.base_urls[venue]
    urls = json.dumps(sim.ccxt_config(alias)["urls"])
    assert sim.base_urls[alias].split("//")[1] in urls and sim.base_urls[venue].split("//")[1] not in urls
    ex = client_factory(sim, alias)
    assert isinstance(ex, getattr(ccxtpro, venue))
    await ex.load_markets()
    px, sz = sim.book(alias, SYM).asks[0]
    await ex.create_order(SYM, "limit", "buy", float(sz), float(px), {"timeInForce": "IOC", "clientOrderId": "al1"})
    entry = sim.order_log[-1]
    assert (entry["venue"], entry["key"], entry["client_id"], entry["status"]) == (
        alias,
        f"{alias}-trader-key",
        "al1",
        "filled",
    )
    assert sim.venue(venue).engine.orders == {}  # the dialect's own server saw nothing
    assert sim.market.book(alias, SYM) is not sim.market.book(venue, SYM)  # one market, a book per venue
