"""The alert-only scanner end to end: real ccxt.pro clients, loopback exchanges, a real journal."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
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

VENUES = available_venues()
needs_two = pytest.mark.skipif(len(VENUES) < 2, reason="needs two simulated venues")
INTERVAL_MS = 50
# Time from the simulator publishing a book to arb evaluating it on this machine (loopback
# network, ccxt parsing, event-loop scheduling); the check is "within one update interval" of
# the dislocation's start plus this transport allowance.
TRANSPORT_MS = 60
LIMITS = Limits(
    min_net_bps=Decimal("5"), min_net_profit=Decimal("0.5"), max_notional=Decimal("1000"), slippage_bps=Decimal("2")
)


async def until(cond: Callable[[], bool], timeout_s: float = 15.0, what: str = "condition") -> None:
    """Poll ``cond`` under a deadline (for states that have no event to await)."""
    try:
        async with asyncio.timeout(timeout_s):
            while not cond():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


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
            await until(lambda: not missing(), what="all books")
        except AssertionError:
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


@needs_two
async def test_dislocations_yield_one_episode_per_crossing_pair(tmp_path: Path) -> None:
    symbols = ["BTC/USDT", "ETH/USDT"]
    async with LoopbackExchanges(
        venues=VENUES, symbols=symbols, seed=11, update_interval_ms=INTERVAL_MS, dislocation_rate_per_min=0.0
    ) as sim:
        run = await start(tmp_path, sim, symbols, episode_gap_ms=300)
        t0 = wall_ms() + 300
        plan = [
            Dislocation("BTC/USDT", VENUES[0], t0, t0 + 1000, 90.0),
            Dislocation("ETH/USDT", VENUES[1], t0 + 200, t0 + 1100, -90.0),
            Dislocation("BTC/USDT", VENUES[-1], t0 + 1800, t0 + 2600, -80.0),
        ]
        sim.market.schedule.extend(plan)
        end = max(d.end_ms for d in plan) + 600
        await until(lambda: wall_ms() > end and not run.scanner.engine.tracker.open, what="episodes to close")
        await run.stop()
    episodes = run.journal.episodes()
    by_key: dict[tuple[str, str, str], list[dict]] = {}
    for e in episodes:
        by_key.setdefault((e["symbol"], e["buy_venue"], e["sell_venue"]), []).append(e)
    want: set[tuple[str, str, str]] = set()
    for d in plan:
        for key in expected_pairs(d, VENUES):
            want.add(key)
            got = [e for e in by_key.get(key, []) if d.start_ms - 10 <= e["start_ms"] <= d.end_ms]
            assert len(got) == 1, f"{key} during {d}: {got}"
            lag = got[0]["start_ms"] - d.start_ms
            assert lag <= INTERVAL_MS + TRANSPORT_MS, f"{key} started {lag} ms after the dislocation"
            assert got[0]["end_ms"] <= d.end_ms + INTERVAL_MS + TRANSPORT_MS + 300
    assert set(by_key) == want, f"unexpected episodes: {set(by_key) - want}"
    run.journal.close()


@needs_two
async def test_no_dislocations_no_episodes(tmp_path: Path) -> None:
    symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    async with LoopbackExchanges(
        venues=VENUES, symbols=symbols, seed=5, update_interval_ms=INTERVAL_MS, dislocation_rate_per_min=0.0
    ) as sim:
        run = await start(tmp_path, sim, symbols)
        target = run.scanner.engine.stats.updates + 40 * len(symbols) * len(VENUES)
        await until(lambda: run.scanner.engine.stats.updates >= target, what="updates")
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
        await until(lambda: run.scanner.engine.stats.episodes_ended >= 6, timeout_s=30, what="six episodes")
        await run.stop()
    snaps = run.journal.snapshots()
    assert len(snaps) >= 18  # start, peak and end per episode
    for s in snaps:
        inputs = json.loads(s["inputs_json"])
        again = reevaluate(inputs)
        assert again is not None, s
        assert again.net_profit == s["net_profit"] == Decimal(inputs["result"]["net_profit"])
        assert str(again.buy.amount) == inputs["result"]["buy_amount"]
        assert max(inputs["book_age_ms"].values()) <= run.scanner.engine.max_age
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
        await until(lambda: any(k == "crossed" for _, _, _, k, _ in run.scanner.sink.events), what="crossed event")
        # 2. a stall on `b` (connected, silent) longer than the staleness limit
        sim.venue(b).stall(900)
        await until(
            lambda: any(k == "stale" and v == b for _, v, _, k, _ in run.scanner.sink.events), what="stale event"
        )
        # 3. drop every connection of `a`: the scanner reconnects and books come back
        await sim.venue(a).disconnect_all()
        await until(lambda: run.scanner.feeds.health[a].reconnects >= 1, what="reconnect")
        await run.ready()
        await run.stop()
    kinds = {e["kind"] for e in run.journal.events()}
    assert {"crossed", "stale"} <= kinds and kinds & {"disconnect", "resync", "error"}
    for s in run.journal.snapshots():
        inputs = json.loads(s["inputs_json"])
        for book in (inputs["buy_book"], inputs["sell_book"]):
            assert Decimal(book["bids"][0][0]) < Decimal(book["asks"][0][0]), "crossed book used"
        assert max(inputs["book_age_ms"].values()) <= 400
    assert run.scanner.status == "stopped"
    run.journal.close()
