"""The alert-only scanner end to end: real ccxt.pro clients, loopback exchanges, a real journal."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from arb.core.model import Limits
from arb.scan.episodes import reevaluate
from arb.scan.scanner import Scanner
from arb.store import Journal
from exchanges.sim.harness import LoopbackExchanges
from exchanges.sim.market import Dislocation
from exchanges.sim.registry import available_venues
from tests.kit.live import plant, unplant
from tests.kit.poll import eventually

VENUES = available_venues()
needs_two = pytest.mark.skipif(len(VENUES) < 2, reason="needs two simulated venues")
INTERVAL_MS = 50
LIMITS = Limits(
    min_net_bps=Decimal("5"), min_net_profit=Decimal("0.5"), max_notional=Decimal("1000"), slippage_bps=Decimal("2")
)


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Run:
    """A scanner over loopback exchanges with a journal in tmp_path."""

    def __init__(self, sim: LoopbackExchanges, scanner: Scanner, journal: Journal, task: asyncio.Task[None]) -> None:
        self.sim, self.scanner, self.journal, self.task = sim, scanner, journal, task

    async def ready(self) -> None:
        want = {(v, s) for v in self.sim.venues for s in self.scanner.symbols}

        def missing() -> set[tuple[str, str]]:
            return {k for k in want if not ((b := self.scanner.engine.books.get(k)) and b.valid)}

        try:
            await eventually(lambda: not missing(), timeout_s=15, what="all books")
        except TimeoutError:
            raise AssertionError(
                f"books never valid: {sorted(missing())}; events: {list(self.scanner.sink.events)[-8:]}"
            ) from None

    async def stop(self) -> None:
        self.scanner.stop()
        await self.task


async def start(tmp_path: Path, sim: LoopbackExchanges, symbols: list[str], **kw: Any) -> Run:
    exchanges = {v: getattr(ccxtpro, v)(sim.ccxt_config(v, key=None)) for v in sim.venues}
    journal = Journal.open(tmp_path / "journal.db")
    scanner = Scanner(
        exchanges, symbols, limits=kw.pop("limits", LIMITS), journal=journal, own_exchanges=True, flush_ms=50, **kw
    )
    run = Run(sim, scanner, journal, asyncio.create_task(scanner.run()))
    await run.ready()
    return run


def expected_pairs(d: Dislocation, venues: list[str]) -> set[tuple[str, str, str]]:
    """A venue jumping up is where to sell; jumping down, where to buy."""
    others = [v for v in venues if v != d.venue]
    if d.bps > 0:
        return {(d.symbol, o, d.venue) for o in others}
    return {(d.symbol, d.venue, o) for o in others}


async def step(run: Run, steps: int = 1) -> None:
    """Advance the stepped market; after each step wait until the engine has read every book it changed."""
    engine = run.scanner.engine
    keys = [(v, s) for v in run.sim.venues for s in run.scanner.symbols]
    for _ in range(steps):
        before = {k: run.sim.book(*k).seq for k in keys}
        seen = engine.stats.updates
        run.sim.step()
        changed = sum(run.sim.book(*k).seq != before[k] for k in keys)
        await eventually(lambda n=seen + changed: engine.stats.updates >= n, what="the engine to read the step")


def open_episodes(run: Run) -> dict[tuple[str, str, str], str]:
    return {key: t.ep.id for key, t in run.scanner.engine.tracker.open.items()}


@needs_two
async def test_dislocations_yield_one_episode_per_crossing_pair(tmp_path: Path) -> None:
    """On a stepped market: each crossing pair opens one episode on the very update that shows the dislocation
    (no wall-clock bound: the step is the unit), keeps it while the dislocation lasts, ends it after."""
    symbols = ["BTC/USDT", "ETH/USDT"]
    async with LoopbackExchanges(
        venues=VENUES, symbols=symbols, seed=11, update_interval_ms=None, dislocation_rate_per_min=0.0
    ) as sim:
        # books age between steps while the test waits on gaps: staleness is not what this test is about
        run = await start(tmp_path, sim, symbols, episode_gap_ms=300, max_book_age_ms=600_000)
        await step(run, 3)
        assert open_episodes(run) == {}, "no dislocation, no episode"

        first = plant(sim, VENUES[0], 90.0, symbol="BTC/USDT")
        await step(run)  # the first update that carries the dislocation opens its episodes
        assert set(open_episodes(run)) == expected_pairs(first, VENUES)
        second = plant(sim, VENUES[1], -90.0, symbol="ETH/USDT")
        await step(run)
        both = open_episodes(run)
        assert set(both) == expected_pairs(first, VENUES) | expected_pairs(second, VENUES)
        await step(run, 5)
        assert open_episodes(run) == both, "one episode per pair while the dislocations last"
        unplant(sim)
        await step(run)
        await eventually(lambda: not run.scanner.engine.tracker.open, what="the episodes to end")

        third = plant(sim, VENUES[-1], -80.0, symbol="BTC/USDT")
        await step(run)
        assert set(open_episodes(run)) == expected_pairs(third, VENUES)
        await step(run, 5)
        unplant(sim)
        await step(run)
        await eventually(lambda: not run.scanner.engine.tracker.open, what="the episodes to end")
        await run.stop()
    plan = [first, second, third]
    want = Counter(key for d in plan for key in expected_pairs(d, VENUES))
    got = Counter((e["symbol"], e["buy_venue"], e["sell_venue"]) for e in run.journal.episodes())
    assert got == want, f"episodes per pair: {got} != {want}"
    assert all(e["end_reason"] == "gap" and e["start_ms"] <= e["end_ms"] for e in run.journal.episodes())
    run.journal.close()


@needs_two
async def test_no_dislocations_no_episodes(tmp_path: Path) -> None:
    symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    async with LoopbackExchanges(
        venues=VENUES, symbols=symbols, seed=5, update_interval_ms=INTERVAL_MS, dislocation_rate_per_min=0.0
    ) as sim:
        run = await start(tmp_path, sim, symbols)
        target = run.scanner.engine.stats.updates + 40 * len(symbols) * len(VENUES)
        await eventually(lambda: run.scanner.engine.stats.updates >= target, timeout_s=15, what="updates")
        await run.stop()
    assert run.journal.episodes() == []
    assert run.scanner.engine.stats.opportunities == 0
    run.journal.close()


@needs_two
async def test_every_snapshot_recomputes_to_its_logged_net_profit(tmp_path: Path) -> None:
    symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    async with LoopbackExchanges(
        venues=VENUES,
        symbols=symbols,
        seed=21,
        update_interval_ms=INTERVAL_MS,
        dislocation_rate_per_min=40.0,
        dislocation_bps=(30.0, 120.0),
        dislocation_ms=(300, 900),
    ) as sim:
        run = await start(tmp_path, sim, symbols, episode_gap_ms=200)
        await eventually(lambda: run.scanner.engine.stats.episodes_ended >= 6, timeout_s=30, what="six episodes")
        await run.stop()
    snaps = run.journal.snapshots()
    assert len(snaps) >= 18  # start, peak and end per episode
    for s in snaps:
        inputs = json.loads(s["inputs_json"])
        again = reevaluate(inputs)
        assert again is not None, s
        assert again.net_profit == s["net_profit"] == Decimal(inputs["result"]["net_profit"])
        assert str(again.buy.amount) == inputs["result"]["buy_amount"]
        assert max(inputs["stream_age_ms"].values()) <= run.scanner.engine.max_age  # each book's stream was heard
    peaks = {e["id"]: e["peak_net_profit"] for e in run.journal.episodes()}
    for s in snaps:
        if s["kind"] == "peak":
            assert s["net_profit"] == peaks[s["episode_id"]]
    run.journal.close()


@needs_two
async def test_faults_keep_the_scanner_running_and_bad_books_out(tmp_path: Path) -> None:
    symbols = ["BTC/USDT", "ETH/USDT"]
    async with LoopbackExchanges(
        venues=VENUES, symbols=symbols, seed=31, update_interval_ms=INTERVAL_MS, dislocation_rate_per_min=0.0
    ) as sim:
        run = await start(tmp_path, sim, symbols, max_book_age_ms=400, episode_gap_ms=200)
        a, b = VENUES[0], VENUES[1]
        # 1. a big dislocation on `a` while `a` publishes a crossed book: never an opportunity from it
        t0 = wall_ms()
        sim.venue(a).inject_crossed("BTC/USDT", 800)
        sim.market.schedule.append(Dislocation("BTC/USDT", a, t0, t0 + 800, 100.0))
        await eventually(
            lambda: any(k == "crossed" for _, _, _, k, _ in run.scanner.sink.events), timeout_s=15, what="crossed event"
        )
        # 2. a stall on `b` (connected, silent) longer than the staleness limit
        sim.venue(b).stall(900)
        await eventually(
            lambda: any(k == "stale" and v == b for _, v, _, k, _ in run.scanner.sink.events),
            timeout_s=15,
            what="stale event",
        )
        # 3. drop every connection of `a`: the scanner reconnects and books come back
        await sim.venue(a).disconnect_all()
        await eventually(lambda: run.scanner.feeds.health[a].reconnects >= 1, timeout_s=15, what="reconnect")
        await run.ready()
        await run.stop()
    kinds = {e["kind"] for e in run.journal.events()}
    assert {"crossed", "stale"} <= kinds and kinds & {"disconnect", "resync", "error"}
    for s in run.journal.snapshots():
        inputs = json.loads(s["inputs_json"])
        for book in (inputs["buy_book"], inputs["sell_book"]):
            assert Decimal(book["bids"][0][0]) < Decimal(book["asks"][0][0]), "crossed book used"
        assert max(inputs["stream_age_ms"].values()) <= 400  # no book from a silent stream
    assert run.scanner.status == "stopped"
    run.journal.close()
