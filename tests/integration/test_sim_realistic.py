"""The ``realistic`` market profile through stock ccxt.pro clients: repeated IOC buys of a planted
dislocation take at most its visible profitable depth plus the replenishment, competitors close it within
their reaction distribution and their fills are public trades, book frames reach clients only the
market-data latency after their event time. The market is stepped by the test (``update_interval_ms=None``):
market time, not wall time."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from exchanges.sim.depth import replenished_lots
from exchanges.sim.harness import LoopbackExchanges
from exchanges.sim.latency import Dist, VenueLatency
from exchanges.sim.market import Dislocation
from exchanges.sim.profiles import Takers, get_profile
from tests.integration.sim_common import same_book, watch_until

SYM = "BTC/USDT"
ROOT = Path(__file__).resolve().parents[2]
RICH = {"USDT": Decimal(10) ** 9, "BTC": Decimal(10) ** 4}


def plant(sim: LoopbackExchanges, venue: str, bps: float) -> Dislocation:
    """A dislocation on ``venue`` from the next step on, long enough that only a competitor ends it."""
    d = Dislocation(SYM, venue, sim.market.now_ms + 1, sim.market.now_ms + 600_000, bps)
    sim.market.schedule.append(d)
    return d


async def test_repeated_ioc_buys_take_at_most_visible_depth_plus_replenishment(
    sim_factory: Any, client_factory: Any
) -> None:
    # realistic, with competitors slower than this loop (1 s), so arb's own repeated takes are what is bounded
    slow_takers = replace(get_profile("realistic"), takers=Takers(reaction=Dist(1000.0, 1000.0, 1000.0, 1000.0)))
    sim = await sim_factory(
        venues=["okx", "binance"], symbols=[SYM], seed=5, update_interval_ms=None, profile=slow_takers, balances=RICH
    )
    ex = client_factory(sim, "okx")
    await ex.load_markets()
    d = plant(sim, "okx", -40.0)
    for _ in range(10):  # 100 ms: okx publishes the dislocated book (its push interval)
        sim.step()
    t0 = sim.market.now_ms
    fee = Decimal("0.001")
    limit = sim.book("binance", SYM).bids[0][0] * (1 - 2 * fee) // Decimal("0.1") * Decimal("0.1")
    visible = sum(sz for px, sz in sim.book("okx", SYM).asks if px <= limit)  # profitable after two fees
    assert visible > 0
    for _ in range(30):
        await ex.create_order(SYM, "limit", "buy", float(visible), float(limit), {"timeInForce": "IOC"})
        sim.step()
    bought = sum((f["amount"] for f in sim.fills("okx")), Decimal(0))  # venue truth: every fill of arb's account
    elapsed = sim.market.now_ms - t0
    assert sim.competitors is not None
    taken_by_others = sum((c.filled for c in sim.competitors.closures if c.dislocation == d), Decimal(0))
    spec, prof = sim.market.spec("okx", SYM), get_profile("realistic")
    refill_lots = replenished_lots(
        prof.venue("okx").replenish_quote_per_s or 0.0, prof.params.depth_scale[SYM], elapsed, spec.mid, spec.lot
    )
    assert bought > 0
    assert bought + taken_by_others <= visible + spec.lot * (int(refill_lots) + 1)


async def test_competitor_closes_within_reaction_and_trades_publicly(sim_factory: Any, client_factory: Any) -> None:
    sim = await sim_factory(
        venues=["okx", "binance"], symbols=[SYM], seed=9, update_interval_ms=None, profile="realistic"
    )
    ex = client_factory(sim, "binance", key=None)
    await ex.load_markets()
    d = plant(sim, "binance", 35.0)  # binance rich: the competitor sells into its bids
    assert sim.competitors is not None
    while not sim.competitors.closures:
        sim.step()
    (closure,) = sim.competitors.closures
    react, step = get_profile("realistic").takers.reaction, sim.update_interval_ms or 10  # type: ignore[union-attr]
    assert closure.dislocation == d and react.floor_ms <= closure.reaction_ms <= react.cap_ms
    assert closure.reaction_ms <= closure.closed_ms - d.start_ms < closure.reaction_ms + step
    trades = [t for t in await ex.fetch_trades(SYM, limit=1000) if t["timestamp"] == closure.closed_ms]
    assert trades and all(t["side"] == "sell" for t in trades)
    assert sum(Decimal(str(t["amount"])) for t in trades) == closure.filled
    assert not [e for e in sim.order_log if e.get("key") == "competitor"]  # not in the venues' order log


async def test_book_timestamps_carry_the_market_data_latency(sim_factory: Any, client_factory: Any) -> None:
    base = get_profile("realistic")
    slow = replace(base, latency={"okx": VenueLatency(market_data=Dist(200.0, 200.0, 200.0, 200.0))})
    sim = await sim_factory(venues=["okx"], symbols=[SYM], seed=2, update_interval_ms=None, profile=slow)
    ex = client_factory(sim, "okx", key=None)
    await ex.watch_order_book(SYM)
    for _ in range(60):  # 600 ms of market time; okx pushes every 100 ms
        sim.step()
        await asyncio.sleep(0)
    records = list(sim.venue("okx").md_delay.records)
    assert records and all(r.released_ms - r.ts_ms >= 200 for r in records)
    newest = records[-1]
    assert sim.market.now_ms - newest.ts_ms >= 200  # the newest book a client may hold is the latency old
    ob = await watch_until(ex, SYM, lambda ob: ob["nonce"] == newest.seq)
    held = sim.book("okx", SYM).seq
    assert held > ob["nonce"]  # the venue's book is already further on: those frames are still on the way
    await asyncio.sleep(0.05)
    assert ex.orderbooks[SYM]["nonce"] == newest.seq  # and stay there until the market reaches ts + latency
    while not any(r.seq == held for r in sim.venue("okx").md_delay.records):
        sim.step()
    last = sim.venue("okx").md_delay.records[-1]
    assert last.released_ms - last.ts_ms >= 200
    await watch_until(ex, SYM, lambda ob: ob["nonce"] == held)


async def test_realistic_latency_draws_stay_within_the_configured_bounds(sim_factory: Any, client_factory: Any) -> None:
    sim = await sim_factory(venues=["okx"], symbols=[SYM], seed=3, update_interval_ms=None, profile="realistic")
    ex = client_factory(sim, "okx", key=None)
    await ex.watch_order_book(SYM)
    for _ in range(100):
        sim.step()
        await asyncio.sleep(0)
    md = get_profile("realistic").latency["okx"].market_data
    records = list(sim.venue("okx").md_delay.records)
    assert len(records) >= 5
    assert all(md.floor_ms <= r.latency_ms <= md.cap_ms and r.released_ms >= r.ts_ms + r.latency_ms for r in records)
    assert [r.seq for r in records] == sorted(r.seq for r in records)  # one ordered stream


async def test_arb_sim_profile_option() -> None:
    cmd = [sys.executable, "-m", "arb.cli", "sim", "--venues", "okx", "--symbols", SYM, "--duration", "0.5"]
    ok = await asyncio.create_subprocess_exec(
        *cmd, "--profile", "realistic", cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(ok.communicate(), 60)
    assert ok.returncode == 0, err.decode()
    assert json.loads(out.decode().splitlines()[0])["venue"] == "okx" and b"Traceback" not in err
    bad = await asyncio.create_subprocess_exec(
        *cmd, "--profile", "fast", cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(bad.communicate(), 60)
    assert bad.returncode == 2 and b"--profile" in err and b"demo" in err and b"Traceback" not in err


@pytest.mark.parametrize(
    ("venue", "faults"), [("okx", None), ("binance", None), ("bybit", None), ("bybit", "bybit:gap_rate=0.2")]
)
async def test_clients_follow_books_through_market_data_latency(
    sim_factory: Any, client_factory: Any, venue: str, faults: str | None
) -> None:
    """Held frames keep each dialect's chain intact (OKX seqId/crc32, Binance diffs after the REST snapshot,
    Bybit deltas with the sim's repair snapshot after a dropped frame): the client ends on the venue's book."""
    sim = await sim_factory(
        venues=[venue], symbols=[SYM], seed=4, update_interval_ms=None, profile="realistic", faults=faults
    )
    ex = client_factory(sim, venue, key=None)
    await ex.watch_order_book(SYM)
    for _ in range(150):
        sim.step()
        await asyncio.sleep(0)
    delay = sim.venue(venue).md_delay
    assert delay.records and all(r.latency_ms > 0 for r in delay.records)  # every frame was held
    for _ in range(300):  # keep the market going until the client holds the venue's book
        sim.step()
        ob = ex.orderbooks.get(SYM)
        if not delay.pending and ob is not None and same_book(ob, sim.book(venue, SYM)):
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ex.watch_order_book(SYM), 0.05)
    raise AssertionError(f"{venue}: the client's book never caught up with the venue's")
