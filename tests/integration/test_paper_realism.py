"""Paper fills on the ``realistic`` loopback market through a stock ccxt.pro client (issue 15): repeatedly
buying a planted dislocation takes at most its visible profitable depth plus what the published books showed
arriving since (makers, or levels the moving price uncovered) — never the whole depth again on every new
book, as before. The market is stepped by the test (market time)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from decimal import Decimal
from typing import Any

from arb.core.model import Fee, dec
from arb.trade.paper import PaperVenue
from exchanges.sim.latency import Dist
from exchanges.sim.market import Dislocation
from exchanges.sim.profiles import Takers, get_profile

SYM = "BTC/USDT"
D = Decimal


async def test_paper_repeated_buys_of_a_dislocation_take_at_most_visible_plus_what_arrived(
    sim_factory: Any, client_factory: Any
) -> None:
    # competitors slower than the 30 steps below, so paper's own repeated takes are what is bounded
    slow = replace(get_profile("realistic"), takers=Takers(reaction=Dist(9000.0, 9000.0, 9000.0, 9000.0)))
    sim = await sim_factory(venues=["okx", "binance"], symbols=[SYM], seed=5, update_interval_ms=None, profile=slow)
    ex = client_factory(sim, "okx", key=None)
    await ex.load_markets()
    await ex.watch_order_book(SYM)
    paper = PaperVenue("okx", ex, fees={("okx", SYM): Fee(D("0.001"))}, latency_ms=0, run_id="realism")
    sim.market.schedule.append(Dislocation(SYM, "okx", sim.market.now_ms + 1, sim.market.now_ms + 600_000, -40.0))
    tick = D("0.1")
    limit = sim.book("binance", SYM).bids[0][0] * (1 - 2 * D("0.001")) // tick * tick  # profitable after 2 fees

    async def next_book() -> None:
        """Step the market until the client holds a book it has not held before (frames arrive the
        market-data latency after the okx push)."""
        seen = ex.orderbooks[SYM]["nonce"]
        for _ in range(100):
            sim.step()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ex.watch_order_book(SYM), 0.05)
            if ex.orderbooks[SYM]["nonce"] != seen:
                return
        raise AssertionError("okx published nothing new in 1 s of market time")

    while not any(dec(px) <= limit for px, *_ in ex.orderbooks[SYM]["asks"]):
        await next_book()  # until the dislocated book reaches the client
    shown: dict[Decimal, Decimal] = {}
    arrived = bought = D(0)
    visible0 = None
    for _ in range(12):
        now = {dec(px): dec(sz) for px, sz, *_ in ex.orderbooks[SYM]["asks"] if dec(px) <= limit}
        arrived += sum((max(D(0), sz - shown.get(px, D(0))) for px, sz in now.items()), D(0))
        shown = now
        visible = sum(now.values(), D(0))
        visible0 = visible if visible0 is None else visible0
        if visible > 0:
            o = await paper.create_order(SYM, "limit", "buy", float(visible), float(limit), {"timeInForce": "IOC"})
            bought += o["filled"]
        await next_book()
    assert visible0  # the dislocation was there to buy, and 12 more books of it were published
    # all of it once, then only what the books showed arriving (before: the full depth again on every new book)
    assert visible0 <= bought <= arrived
