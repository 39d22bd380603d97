"""``arb backtest``: replay a recording through the live engine, risk gate and paper executor.

How a replay runs
-----------------
* Books and feed events from the recording (:mod:`arb.review.record`) drive :meth:`Engine.on_book` /
  :meth:`Engine.on_event` in file order, with the recorded monotonic receive time as ``recv_ms``
  and the recorded wall-clock receive time as the engine's injected ``wall_clock``. The sweeper
  (staleness, episode ends) runs every :data:`arb.scan.scanner.SWEEP_MS` of recorded time, as live.
* Everything runs on a :class:`VirtualTimeLoop`: an asyncio loop whose clock is the recorded
  monotonic time and which jumps to the next timer instead of waiting. The paper executor's
  latency (``execution.paper_latency_ms``, the latency model: orders reach the venue that much
  later and fill against the book the recording shows *then*), timeouts and sleeps keep their
  durations in market time, and a replay runs as fast as the CPU allows.
* Paper execution (``--mode paper``) reuses :class:`arb.trade.paper.PaperVenue` over a
  :class:`ReplayMarket` per venue (the recorded books, markets and fees), with the same
  executor and risk code as ``arb scan`` in paper mode (:mod:`arb.review.backtest.market`).
* Output is an ordinary journal (episodes, snapshots, events, orders, fills, balances) that
  ``arb report`` reads. The run id is derived from the recording and the settings, so the same
  file and config give the same journal contents (apart from the run's host and times).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from arb.core.errors import ArbError, ConfigError
from arb.review.backtest import reader
from arb.review.backtest.clock import ReplayClock, VirtualTimeLoop, run_virtual
from arb.review.backtest.market import PaperExecution, ReplayMarket, trader_config
from arb.review.backtest.reader import ViewRecord
from arb.review.backtest.settings import Settings, apply, grid, override, parse_assignment, parse_value
from arb.review.backtest.sink import BacktestSink
from arb.review.record import BookRecord, Recording
from arb.scan.engine import Engine
from arb.scan.feeds import ccxt_has, watched_together
from arb.scan.scanner import SWEEP_MS
from arb.store import Journal

__all__ = [
    "Progress",
    "ReplayClock",
    "ReplayMarket",
    "Result",
    "Settings",
    "VirtualTimeLoop",
    "apply",
    "backtest",
    "grid",
    "override",
    "parse_assignment",
    "parse_value",
    "run_id_for",
    "run_virtual",
]


@dataclass(slots=True)
class Progress:
    """What the progress display shows, updated as the replay goes."""

    records: int = 0
    books: int = 0
    events: int = 0
    fraction: float = 0.0  # of the file read
    market_ms: int = 0  # recorded time replayed so far
    wall_s: float = 0.0
    cpu_s: float = 0.0  # this process's CPU time over the replay (the bench's books per CPU second)

    @property
    def speed(self) -> float:
        """Recorded seconds replayed per wall-clock second."""
        return self.market_ms / 1000 / self.wall_s if self.wall_s > 0 else 0.0


@dataclass(slots=True)
class Result:
    run_id: str
    journal: Path | str  # a Postgres journal is a URL
    settings: Settings
    progress: Progress
    episodes: int = 0
    trades: int = 0
    truncated: bool = False
    notes: list[str] = field(default_factory=list)


def run_id_for(rec: Recording, settings: Settings) -> str:
    key = json.dumps(
        {
            "rec": rec.header.get("created_ms"),
            "venues": rec.venues,
            "symbols": rec.symbols,
            "settings": settings.as_dict(),
        },
        sort_keys=True,
        default=str,
    )
    return "bt-" + hashlib.sha256(key.encode()).hexdigest()[:10]


def backtest(
    rec: Recording,
    settings: Settings,
    journal_path: Path,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    progress_every: int = 2000,
    fast: bool = True,
) -> Result:
    """Replay ``rec`` with ``settings`` into a new journal at ``journal_path`` (must not exist).

    ``fast=False`` is the reference path the fast one is tested against: the recording's own reader
    (:meth:`Recording.records`) and one event-loop step per record. Both write the same journal.
    """
    if journal_path.exists():
        raise ConfigError(
            f"--db {journal_path} already exists; a backtest writes a new journal (remove it or choose another path)"
        )
    if settings.mode == "paper":
        trader_config(settings, rec)  # a bad setting is a ConfigError before any file is written
    first = next((r for r in rec.records() if isinstance(r, BookRecord)), None)
    start = (first.t_ms, first.m_ms) if first is not None else (rec.header.get("created_ms", 0), 0)
    journal = Journal.open(journal_path)
    bad_input = False
    try:
        return run_virtual(
            _replay(rec, settings, journal, start, on_progress, progress_every, fast), start_s=start[1] / 1000
        )
    except BaseExceptionGroup as eg:  # the replay's task group wraps errors: surface ours as they are
        ours = next((e for e in _leaves(eg) if isinstance(e, ArbError)), None)
        if ours is None:
            raise
        bad_input = True
        raise ours from None
    except ArbError:
        bad_input = True
        raise
    finally:
        journal.close()
        if bad_input:  # no half-written journal is left behind for bad input
            for p in (journal_path, Path(f"{journal_path}-wal"), Path(f"{journal_path}-shm")):
                p.unlink(missing_ok=True)


def _leaves(eg: BaseExceptionGroup) -> list[BaseException]:
    out: list[BaseException] = []
    for e in eg.exceptions:
        out += _leaves(e) if isinstance(e, BaseExceptionGroup) else [e]
    return out


async def _replay(
    rec: Recording,
    settings: Settings,
    journal: Journal,
    start: tuple[int, int],
    on_progress: Callable[[Progress], None] | None,
    every: int,
    fast: bool,
) -> Result:
    loop = asyncio.get_running_loop()
    virtual = loop if isinstance(loop, VirtualTimeLoop) else None
    fast = fast and virtual is not None  # skipping loop steps needs the virtual clock
    clock = ReplayClock(*start)
    run_id = run_id_for(rec, settings)
    doc = settings.as_dict()
    doc["scanner"] |= {"venues": rec.venues, "symbols": rec.symbols}
    journal.start_run(
        f"backtest-{settings.mode}", {"backtest": {"recording": str(rec.path), **doc}}, now_ms=start[0], run_id=run_id
    )
    sink = BacktestSink(journal, run_id, clock)
    rec_markets, rec_fees = rec.markets(), rec.fees()
    markets = {
        v: ReplayMarket(
            v,
            rec.header.get("ccxt_ids", {}).get(v, v),
            {sym: m for (v2, sym), m in rec_markets.items() if v2 == v},
            {sym: f for (v2, sym), f in rec_fees.items() if v2 == v},
        )
        for v in rec.venues
    }
    execution = PaperExecution(settings, rec, journal, run_id, clock, markets) if settings.mode == "paper" else None
    s = settings.scanner
    engine = Engine(
        run_id=run_id,
        markets=rec_markets,
        fees=rec_fees,
        limits=execution.limits if execution else settings.limits(),
        sink=sink,
        max_book_age_ms=s.max_book_age_ms,
        episode_gap_ms=s.episode_gap_ms,
        wall_clock=clock.wall,
        balances=execution.trader.accounts.balances_for if execution else None,
    )
    for v in rec.venues:  # the live feeds' streams, so a quiet book on a live venue is judged as live (liveness.py)
        syms = [sym for (v2, sym) in rec_markets if v2 == v]
        if watched_together(ccxt_has(markets[v].id), len(syms)):
            engine.liveness.stream(v, syms)
    if execution is not None:
        sink.on_opportunity = execution.trader.on_opportunity
        sink.on_book_opened = execution.trader.book_opened
    prog = Progress()
    t0, c0 = time.perf_counter(), time.process_time()
    result = Result(run_id, journal.path, settings, prog)
    status = "error"
    try:
        async with asyncio.TaskGroup() as tg:
            sweeper = tg.create_task(_sweeper(engine, clock), name="sweeper")
            if execution is not None:
                await execution.start(tg)
            for r in reader.records(rec) if fast else rec.records():
                now = loop.time()
                when = r.m_ms / 1000
                if not fast or virtual is None or not virtual.skip_to(now + (when - now) if when > now else now):
                    await asyncio.sleep(max(0.0, when - now))
                clock.set(r.t_ms, r.m_ms)
                prog.records += 1
                if isinstance(r, ViewRecord):  # the fast reader's: the engine takes the top from the record
                    book = markets[r.venue].point(r.symbol, r.view, r.timestamp)
                    if r.delivered:
                        prog.books += 1
                        engine.on_book(r.venue, r.symbol, book, r.m_ms, (r.bid, r.ask))
                elif isinstance(r, BookRecord):
                    book = markets[r.venue].update(r.symbol, r.book) if r.venue in markets else r.book
                    if r.delivered:  # else: a book's state changed under the engine's reference
                        prog.books += 1
                        engine.on_book(r.venue, r.symbol, book, r.m_ms)
                else:
                    prog.events += 1
                    engine.on_event(r.venue, r.symbol, r.kind, r.detail)  # type: ignore[arg-type]
                if on_progress is not None and prog.records % every == 0:
                    prog.market_ms, prog.wall_s = r.m_ms - start[1], time.perf_counter() - t0
                    prog.fraction = rec.fraction
                    on_progress(prog)
            if execution is not None:
                await execution.finish()
            engine.close()
            sweeper.cancel()
        status = "ok"
    finally:
        sink.flush()
        prog.market_ms, prog.wall_s = clock.m_ms - start[1], time.perf_counter() - t0
        prog.cpu_s = time.process_time() - c0
        journal.end_run(run_id, now_ms=clock.wall(), status=status)
    result.truncated = rec.truncated
    result.episodes = sink.episodes
    result.trades = execution.trades if execution is not None else 0
    if on_progress is not None:
        prog.fraction = 1.0
        on_progress(prog)
    return result


async def _sweeper(engine: Engine, clock: ReplayClock) -> None:
    """As the live scanner's: staleness and episode ends every SWEEP_MS of recorded time."""
    while True:
        engine.sweep(clock.mono())
        await asyncio.sleep(SWEEP_MS / 1000)
