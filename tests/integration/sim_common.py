"""Helpers shared by the simulator tests (``test_sim_*.py``): sims per venue, book sync, recorded samples.

``VENUES`` holds what differs between the dialects where a test is otherwise the same (error codes,
channel names, URL trees), so such tests are written once and parametrized over the venues.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.base import ApiKey
from exchanges.sim.harness import DEMO_PASSPHRASE, LoopbackExchanges

SYM = "BTC/USDT"
FUNDS = {"USDT": Decimal(1_000_000), "BTC": Decimal(20), "ETH": Decimal(200)}
FIXTURES = Path(__file__).parent.parent / "fixtures"


@dataclass(frozen=True, slots=True)
class VenueFacts:
    """Where one dialect differs in tests that are otherwise the same for every venue."""

    bad_signature: str  # code for a wrong secret
    stale_timestamp: str  # code for a timestamp outside the accepted window
    rate_limited: tuple[type[Exception], str]  # what ccxt raises for a rate_limit_burst 429, and the code
    fault_reject: str  # code of an order rejected by reject_rate
    ioc_partial: tuple[str, str]  # after an IOC partial fill: (field of fetch_order, or info.<field>, value)
    orders_channel: Callable[[Any], bool]  # matches the server-side subscription of watch_orders
    url_trees: tuple[str, ...]  # ccxt URL trees the config rewrites to loopback
    fees: tuple[float, float]  # (maker, taker) from fetch_trading_fee
    balance_paths: tuple[str, ...]  # REST paths of load_markets + fetch_balance + fetch_trading_fee
    duplicate_client_id: str  # code/message when a client order id repeats an open order's
    session_config: dict[str, Any] = field(default_factory=dict)  # client overrides for a full session


VENUES: dict[str, VenueFacts] = {
    "okx": VenueFacts(
        bad_signature="50113",
        stale_timestamp="50102",
        rate_limited=(ccxtpro.RateLimitExceeded, "50011"),
        fault_reject="51006",
        ioc_partial=("status", "canceled"),
        orders_channel=lambda sub: sub[0] == "orders",
        url_trees=("api", "test"),
        fees=(0.0008, 0.001),
        balance_paths=("/api/v5/public/instruments", "/api/v5/account/balance", "/api/v5/account/trade-fee"),
        duplicate_client_id="51016",  # clOrdId unique among pending orders
    ),
    "binance": VenueFacts(
        bad_signature="-1022",
        stale_timestamp="-1021",
        rate_limited=(ccxtpro.DDoSProtection, "-1003"),  # HTTP 429: ccxt raises before reading the code
        fault_reject="-2010",
        ioc_partial=("status", "expired"),
        orders_channel=lambda sub: sub[0] == "userData",
        url_trees=("api", "test", "demo"),
        fees=(0.001, 0.001),
        balance_paths=("/api/v3/exchangeInfo", "/api/v3/account", "/sapi/v1/asset/tradeFee"),
        duplicate_client_id="Duplicate order sent",  # -2010 while the first is open
    ),
    "bybit": VenueFacts(
        bad_signature="10004",
        stale_timestamp="10002",
        rate_limited=(ccxtpro.RateLimitExceeded, "10006"),
        fault_reject="170210",
        ioc_partial=("info.orderStatus", "PartiallyFilledCanceled"),
        orders_channel=lambda sub: sub == "order",
        url_trees=("api", "test", "demotrading"),
        fees=(0.001, 0.001),
        balance_paths=("/v5/market/instruments-info", "/v5/account/wallet-balance", "/v5/account/fee-rate"),
        duplicate_client_id="170141",
        session_config={"options": {"enableUnifiedAccount": None, "enableUnifiedMargin": None}},
    ),
}


def sim_fixture(venue: str, **kwargs: Any) -> Any:
    """A ``sim`` fixture for a test module: ``sim = sim_fixture("okx", seed=7, update_interval_ms=None)``."""

    @pytest.fixture
    async def sim(sim_factory: Any) -> LoopbackExchanges:
        return await sim_factory(venues=[venue], **kwargs)  # type: ignore[no-any-return]

    return sim


def ip_only_key(venue: str) -> ApiKey:
    """A read+trade key usable only from 10.1.2.3 (so every request from 127.0.0.1 is refused); label ``iponly``."""
    return ApiKey(
        f"{venue}-ipkey",
        "ip-secret",
        DEMO_PASSPHRASE,
        frozenset({"read", "trade"}),
        ip_whitelist=("10.1.2.3",),
        label="iponly",
    )


def recorded(venue: str, name: str) -> Any:
    """The ``response`` of a recorded sample under ``tests/fixtures/<venue>/``."""
    return json.loads((FIXTURES / venue / name).read_text())["response"]


def field_of(d: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        d = d[part]
    return d


# ------------------------------------------------------------------------------- books
def book_as_floats(view: Any) -> tuple[list[list[float]], list[list[float]]]:
    """A simulator BookView in ccxt's representation ([price, size] floats, best first)."""
    return ([[float(p), float(s)] for p, s in view.bids], [[float(p), float(s)] for p, s in view.asks])


def same_book(ob: Any, view: Any) -> bool:
    bids, asks = book_as_floats(view)
    return [list(x[:2]) for x in ob["bids"]] == bids and [list(x[:2]) for x in ob["asks"]] == asks


def assert_same_book(ob: Any, sim: LoopbackExchanges, venue: str, symbol: str = SYM) -> None:
    bids, asks = book_as_floats(sim.book(venue, symbol))
    assert [list(x[:2]) for x in ob["bids"]] == bids
    assert [list(x[:2]) for x in ob["asks"]] == asks


async def watch_until(
    ex: Any, symbol: str, done: Callable[[Any], bool], *, timeout_s: float = 5.0, retry: tuple[type, ...] = ()
) -> Any:
    """Watch ``symbol`` until ``done(client book)``; a watch that raises one of ``retry`` is watched again."""
    async with asyncio.timeout(timeout_s):
        while True:
            ob = ex.orderbooks.get(symbol)
            if ob is not None and done(ob):
                return ob
            try:
                await asyncio.wait_for(ex.watch_order_book(symbol), 0.2)
            except (TimeoutError, *retry):
                continue


async def synced_book(
    ex: Any, sim: LoopbackExchanges, venue: str, symbol: str = SYM, *, retry: tuple[type, ...] = ()
) -> Any:
    """Watch until the client's book carries the venue's last book message (coalescing-safe).

    OKX and Binance books carry the update id (``nonce`` = the simulator's seq); Bybit's carry the
    message's ``ts`` (strictly increasing per symbol).
    """
    if sim.dialect_of(venue) == "bybit":
        target = sim.venue(venue).last_book_ts(symbol)  # type: ignore[attr-defined]
        return await watch_until(ex, symbol, lambda ob: ob["timestamp"] == target, retry=retry)
    seq = sim.book(venue, symbol).seq
    return await watch_until(ex, symbol, lambda ob: ob["nonce"] == seq, retry=retry)


async def watch_fails(ex: Any, error: type[Exception], symbol: str = SYM, timeout_s: float = 5.0) -> None:
    """Keep watching ``symbol`` until the client raises ``error`` (fails on the deadline)."""
    with pytest.raises(error):
        async with asyncio.timeout(timeout_s):
            while True:
                await ex.watch_order_book(symbol)


def apply_levels(side: dict[str, str], levels: list[Any]) -> None:
    """Apply [price, size, ...] levels to a {price: size} side; size 0 removes the level."""
    for p, q, *_ in levels:
        if Decimal(q) == 0:
            side.pop(p, None)
        else:
            side[p] = q


def assert_levels_equal(bids: dict[str, str], asks: dict[str, str], view: Any) -> None:
    """A client-side replay ({price: size} strings) ends on exactly the simulator's book."""
    assert sorted((Decimal(p), Decimal(q)) for p, q in bids.items()) == sorted(view.bids)
    assert sorted((Decimal(p), Decimal(q)) for p, q in asks.items()) == sorted(view.asks)


async def follow_book(ex: Any, sim: LoopbackExchanges, venue: str, steps: int = 150, every: int = 25) -> Any:
    """Step the market ``steps`` times; every ``every`` steps, and at the end, the client's book is the venue's."""
    for i in range(steps):
        sim.step()
        if i % every == 0:
            assert_same_book(await synced_book(ex, sim, venue), sim, venue)
    ob = await synced_book(ex, sim, venue)
    assert_same_book(ob, sim, venue)
    return ob


# ------------------------------------------------------------------------------- orders
async def buy_half_the_best_ask(ex: Any, sim: LoopbackExchanges, venue: str) -> tuple[Any, Any, Decimal]:
    """An IOC buy of half the best ask (client id ``arbLeg1``): filled at that price, fee in base, logged.

    Returns (create_order result, fetch_order result, fee)."""
    await ex.load_markets()
    best_px, best_sz = sim.book(venue, SYM).asks[0]
    lot = sim.market.spec(venue, SYM).lot
    amount = (best_sz / 2) // lot * lot  # on the venue's own lot grid
    before = sim.venue(venue).engine.account("main").balances["BTC"]
    order = await ex.create_order(
        SYM, "limit", "buy", float(amount), float(best_px), {"timeInForce": "IOC", "clientOrderId": "arbLeg1"}
    )
    assert order["clientOrderId"] == "arbLeg1"
    fetched = await ex.fetch_order(order["id"], SYM)
    assert fetched["status"] == "closed" and fetched["timeInForce"] == "IOC"
    assert fetched["filled"] == float(amount) and fetched["average"] == float(best_px)
    fee = amount * Decimal("0.001")
    after = sim.venue(venue).engine.account("main").balances["BTC"]
    assert after - before == amount - fee
    entry = next(e for e in sim.order_log if e["order_id"] == order["id"])
    assert (entry["client_id"], entry["status"], entry["filled"], entry["tif"]) == ("arbLeg1", "filled", amount, "IOC")
    return order, fetched, fee


async def sell_three_times_the_best_bid(ex: Any, sim: LoopbackExchanges, venue: str) -> tuple[Any, Decimal, Decimal]:
    """An IOC sell of 3x the best bid at its price (client id ``arbLeg2``, book watched): only that level fills.

    Returns (fetch_order result, best bid price, its size); then :func:`book_shows_the_fill`."""
    await ex.watch_order_book(SYM)
    best_px, best_sz = sim.book(venue, SYM).bids[0]
    order = await ex.create_order(
        SYM, "limit", "sell", float(best_sz * 3), float(best_px), {"timeInForce": "IOC", "clientOrderId": "arbLeg2"}
    )
    fetched = await ex.fetch_order(order["id"], SYM)
    assert fetched["filled"] == float(best_sz)
    return fetched, best_px, best_sz


async def book_shows_the_fill(ex: Any, sim: LoopbackExchanges, venue: str, best_px: Decimal, best_sz: Decimal) -> None:
    sim.step()  # the fill shows in the next published book; the level refills later
    ob = await synced_book(ex, sim, venue)
    assert_same_book(ob, sim, venue)
    assert not ob["bids"] or ob["bids"][0][0] != float(best_px) or ob["bids"][0][1] < float(best_sz)


async def rest_a_low_buy(ex: Any, sim: LoopbackExchanges, venue: str) -> tuple[Any, float]:
    """A GTC buy at half the best bid (client id ``rest1``): open, listed, its client id taken, its cost frozen.

    Returns (create_order result, its price)."""
    await ex.load_markets()
    low = round(float(sim.book(venue, SYM).bids[0][0]) * 0.5, 1)
    order = await ex.create_order(SYM, "limit", "buy", 0.001, low, {"clientOrderId": "rest1"})
    open_orders = await ex.fetch_open_orders(SYM)
    assert [o["id"] for o in open_orders] == [order["id"]] and open_orders[0]["status"] == "open"
    with pytest.raises(ccxtpro.InvalidOrder, match=VENUES[venue].duplicate_client_id):
        await ex.create_order(SYM, "limit", "buy", 0.001, low, {"clientOrderId": "rest1"})
    balance = await ex.fetch_balance()
    assert balance["USDT"]["used"] == pytest.approx(0.001 * low)
    return order, low


# ------------------------------------------------------------------------------- misc
def url_leaves(tree: Any) -> Iterator[str]:
    if isinstance(tree, dict):
        for v in tree.values():
            yield from url_leaves(v)
    elif isinstance(tree, str):
        yield tree
