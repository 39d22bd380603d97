"""Staleness means "arb cannot vouch that the book is current", not "the book has not changed lately".

Real incremental depth channels (OKX ``books``, Binance diff depth, Bybit ``orderbook.50``) push only changes,
and so does the simulator: a quiet book is not pushed. The market here moves only when the test moves it
(no volatility, no venue noise, manual steps), so one symbol stays quiet while another keeps its venue's
connection busy. Real ccxt.pro clients, loopback venues, the real scanner and journal.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import ccxt.pro as ccxtpro
import pytest

from arb.core.model import Limits
from arb.scan.scanner import Scanner
from arb.store import Journal
from exchanges.sim.harness import LoopbackExchanges
from exchanges.sim.profiles import realistic
from exchanges.sim.registry import available_venues
from tests.kit.live import plant
from tests.kit.poll import eventually

BUSY, QUIET = "BTC/USDT", "ETH/USDT"
# the alias pair (two OKX servers) always; real dialect pairs where their simulators exist
PAIRS = [("okx", "okx2")] + [("okx", v) for v in ("binance", "bybit") if v in available_venues()]
MAX_AGE_MS = 1000  # generous: a loaded machine must not make a live stream look silent
LIMITS = Limits(
    min_net_bps=Decimal("5"), min_net_profit=Decimal("0.5"), max_notional=Decimal("1000"), slippage_bps=Decimal("2")
)


def mono_ms() -> int:
    return time.monotonic_ns() // 1_000_000


def still_market(venues: tuple[str, str]) -> LoopbackExchanges:
    """Realistic books (1-tick spread, dense levels, only changes pushed) on a market that never moves by itself."""
    prof = realistic()
    book = replace(prof.venue("okx"), noise_bps=0.0, publish_ms=0)
    params = replace(prof.params, volatility_bps_per_sqrt_s=0.0, dislocation_rate_per_min=0.0)
    return LoopbackExchanges(
        venues=list(venues),
        aliases={"okx2": "okx"} if "okx2" in venues else None,
        symbols=[BUSY, QUIET],
        update_interval_ms=None,
        params=params,
        profiles=dict.fromkeys(venues, book),
    )


def touch(sim: LoopbackExchanges, venue: str, symbol: str) -> None:
    """One real book change on ``venue``'s ``symbol`` (a deep level's size), pushed like any other update."""
    book = sim.market.book(venue, symbol)
    tick, lots = book.sorted_levels("bid")[-1]
    book.set_level("bid", tick, lots + 1 if lots % 2 == 0 else lots - 1)
    upd = sim.market.flush(venue, symbol, sim.market.now_ms)
    assert upd is not None
    sim.venue(venue).after_step([upd])


class Run:
    def __init__(self, sim: LoopbackExchanges, scanner: Scanner, journal: Journal, venues: tuple[str, str]) -> None:
        self.sim, self.scanner, self.journal = sim, scanner, journal
        self.venues = venues
        self.a, self.b = venues  # the test acts on b; a is the live reference

    def slot(self, venue: str, symbol: str):  # type: ignore[no-untyped-def]
        return self.scanner.engine.books[(venue, symbol)]

    def stale_events(self, symbol: str | None = None) -> list[tuple[str | None, str | None, str]]:
        return [
            (v, s, d) for _, v, s, k, d in self.scanner.sink.events if k == "stale" and (symbol is None or s == symbol)
        ]

    async def keep_busy(self, until, what: str) -> None:  # type: ignore[no-untyped-def]
        """Push changes to BUSY on both venues (the connections' only traffic) until ``until()`` holds."""

        def check() -> bool:
            for v in self.venues:
                touch(self.sim, v, BUSY)
            return bool(until())

        await eventually(check, timeout_s=15, interval_s=0.03, what=what)


@pytest.fixture(params=PAIRS, ids="-".join)
async def run(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Run]:
    venues: tuple[str, str] = request.param
    async with still_market(venues) as sim:
        sim.step()  # lay the books out once; from here on only the test changes them
        exchanges = {v: getattr(ccxtpro, sim.dialect_of(v))(sim.ccxt_config(v, key=None)) for v in venues}
        journal = Journal.open(tmp_path / "journal.db")
        scanner = Scanner(
            exchanges,
            [BUSY, QUIET],
            limits=LIMITS,
            journal=journal,
            own_exchanges=True,
            flush_ms=50,
            max_book_age_ms=MAX_AGE_MS,
        )
        task = asyncio.create_task(scanner.run())
        want = {(v, s) for v in venues for s in (BUSY, QUIET)}
        await eventually(
            lambda: all((b := scanner.engine.books.get(k)) is not None and b.valid for k in want),
            timeout_s=15,
            what="all books valid",
        )
        try:
            yield Run(sim, scanner, journal, venues)
        finally:
            scanner.stop()
            await task
            journal.close()


@pytest.mark.timeout(60)
async def test_a_quiet_book_on_a_live_connection_stays_current_and_is_evaluated(run: Run) -> None:
    quiet_since = max(run.slot(v, QUIET).recv_ms for v in run.venues)
    # QUIET gets no update at all while BUSY keeps both connections delivering, for several staleness limits
    await run.keep_busy(lambda: mono_ms() - quiet_since > 3 * MAX_AGE_MS, "QUIET silent for 3 limits")
    assert all(run.slot(v, QUIET).recv_ms <= quiet_since for v in run.venues)  # really no QUIET update
    assert all(run.slot(v, QUIET).valid for v in run.venues), run.stale_events()
    assert run.stale_events(QUIET) == []
    # a dislocation on b's QUIET book is evaluated against a's book, which has not changed for seconds
    before = run.scanner.engine.stats.opportunities
    plant(run.sim, run.b, 40.0, symbol=QUIET)
    run.sim.step()
    await eventually(lambda: run.scanner.engine.stats.opportunities > before, timeout_s=10, what="an opportunity")
    assert run.scanner.engine.stats.near_miss["stale"] == 0
    assert mono_ms() - run.slot(run.a, QUIET).recv_ms > MAX_AGE_MS  # the quiet side was still quiet


@pytest.mark.timeout(60)
async def test_a_venue_that_stops_delivering_goes_stale_and_is_never_traded(run: Run) -> None:
    server = run.sim.venue(run.b)
    server.stall(600_000)  # the TCP connection stays open; nothing is delivered on it (no data, no pong)
    try:
        # a keeps delivering; b's pushes are swallowed: every b book goes stale, quiet or not
        await run.keep_busy(
            lambda: not run.slot(run.b, QUIET).valid and not run.slot(run.b, BUSY).valid,
            "b's books stale",
        )
        assert run.slot(run.a, QUIET).valid and run.slot(run.a, BUSY).valid
        assert {(v, s) for v, s, _ in run.stale_events()} >= {(run.b, QUIET), (run.b, BUSY)}
        # a jumps 40 bps up: against b's last (unvouched) book that would be a trade; it must not be one
        before = run.scanner.engine.stats.opportunities
        seen = run.slot(run.a, QUIET).recv_ms
        plant(run.sim, run.a, 40.0, symbol=QUIET)
        run.sim.step()
        await eventually(lambda: run.slot(run.a, QUIET).recv_ms != seen, timeout_s=10, what="a's QUIET moved")
        assert run.scanner.engine.stats.opportunities == before
        assert not run.slot(run.b, QUIET).valid
    finally:
        server.stalled_until = 0.0


@pytest.mark.timeout(60)
async def test_after_a_reconnect_a_quiet_book_is_current_again_from_its_new_snapshot(run: Run) -> None:
    quiet, seq = run.slot(run.b, QUIET), run.sim.book(run.b, QUIET).seq
    reconnects = run.scanner.feeds.health[run.b].reconnects
    await run.sim.venue(run.b).disconnect_all()
    await run.keep_busy(lambda: run.scanner.feeds.health[run.b].reconnects > reconnects, "b reconnects")
    # the resubscription's snapshots (QUIET unchanged) make every b book current again, the quiet one too
    await run.keep_busy(lambda: quiet.valid and run.slot(run.b, BUSY).valid, "b's books current again")
    assert run.sim.book(run.b, QUIET).seq == seq  # QUIET itself never changed
