"""Recording live books: :class:`Recorder` (feed callbacks writing a recording) and :func:`record` (``arb record``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from arb.core.errors import ArbError
from arb.core.kinds import FEED_DOWN_KINDS, EventKind
from arb.core.model import Fee, MarketSpec
from arb.review.record.format import RecordingError, RecordingWriter, make_header


class Recorder:
    """Feed callbacks that write a recording: ``on_book``/``on_event`` have :class:`arb.scan.feeds.Feeds`' shapes.

    What the engine reads is recorded, not only what is delivered: ccxt updates its book objects in
    place as messages arrive, and the engine keeps a reference to each book, so when venue A's book
    is delivered and evaluated against venue B's, it reads B as ccxt has it *now*, possibly with
    changes B's watch loop has not delivered yet. Before each delivery the recorder therefore
    writes the current state of the symbol's other books when it differs from the last record
    (``K``/``S`` records), and a replay applies those without a delivery.

    Records before :meth:`start` (markets not all loaded yet) are held and written after the header.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        venues: list[str],
        symbols: list[str],
        depth: int = 20,
        source: str = "venues",
        ccxt_ids: dict[str, str] | None = None,
        config: dict[str, Any] | None = None,
        wall_clock: Any = None,
    ) -> None:
        from arb.clock import wall_ms

        self.path, self.venues, self.symbols, self.depth = Path(path), list(venues), list(symbols), depth
        if not self.path.parent.is_dir():
            raise RecordingError(f"recording {self.path}: directory {self.path.parent} does not exist")
        self.source, self.ccxt_ids, self.config = source, ccxt_ids, config
        self.wall = wall_clock or wall_ms
        self.writer = RecordingWriter(self.path, venues=self.venues, symbols=self.symbols, depth=depth)
        self.books_by_venue: dict[str, int] = {v: 0 for v in venues}
        self.problems: dict[str, str] = {}  # venue -> the last reason it was down (cleared when it streams)
        self._objs: dict[tuple[str, str], Any] = {}  # the book object last delivered per (venue, symbol)

    def start(self, markets: dict[tuple[str, str], MarketSpec], fees: dict[tuple[str, str], Fee]) -> None:
        """Write the header (markets and fees the engine uses) and everything held so far."""
        self.writer.start(
            make_header(
                venues=self.venues,
                symbols=self.symbols,
                markets=markets,
                fees=fees,
                depth=self.depth,
                source=self.source,
                created_ms=self.wall(),
                ccxt_ids=self.ccxt_ids,
                config=self.config,
            )
        )

    def on_book(self, venue: str, symbol: str, book: Any, recv_ms: int) -> int:
        """Record one delivered book (and the others' current state); returns the wall time written."""
        t = self.wall()
        for (v, s), obj in self._objs.items():
            if s == symbol and v != venue:
                self.writer.book(v, s, obj, t, recv_ms, delivered=False)
        self._objs[(venue, symbol)] = book
        self.writer.book(venue, symbol, book, t, recv_ms)
        self.books_by_venue[venue] = self.books_by_venue.get(venue, 0) + 1
        return t

    def on_event(self, venue: str | None, symbol: str | None, kind: str, detail: str, recv_ms: int) -> None:
        self.writer.event(venue, symbol, kind, detail, self.wall(), recv_ms)

    @property
    def books(self) -> int:
        return self.writer.books

    @property
    def events(self) -> int:
        return self.writer.events

    def close(self) -> None:
        if not self.writer.started:
            self.start({}, {})  # no venue became ready: a valid recording without markets
        self.writer.close()


async def record(
    exchanges: dict[str, Any],
    symbols: list[str],
    recorder: Recorder,
    *,
    fee_overrides: dict[str, Fee] | None = None,
    fee_currency: dict[str, str] | None = None,
    book_limits: dict[str, int | None] | None = None,
    duration_s: float | None = None,
    stop: Any = None,
    ready_timeout_s: float = 30.0,
    notice: Callable[[str], None] | None = None,
) -> dict[str, list[str]]:
    """Watch ``symbols`` on ``exchanges`` with :class:`arb.scan.feeds.Feeds` and record until ``duration_s``
    or ``stop`` (an ``asyncio.Event``). Returns the symbols recorded per venue.

    ``duration_s`` counts from when every venue streams; while some do not, the wait for them is part of
    it (a recording of unreachable venues ends after ``duration_s``, not ``ready_timeout_s`` later).
    ``notice`` gets one human line for what is awaited, each venue's first streaming and each new problem
    (the reason a venue is down), so a recorder waiting on the network is never silent.
    """
    import asyncio
    import contextlib
    import time

    from arb.clock import monotonic_ms
    from arb.scan.feeds import Backoff, Feeds
    from arb.scan.scanner import market_fee
    from exchanges.profiles import profile

    stop = stop or asyncio.Event()
    recorder.ccxt_ids = recorder.ccxt_ids or {v: str(getattr(ex, "id", v)) for v, ex in exchanges.items()}
    markets: dict[tuple[str, str], MarketSpec] = {}
    fees: dict[tuple[str, str], Fee] = {}
    ready: dict[str, list[str]] = {}
    all_ready = asyncio.Event()

    say = notice or (lambda _line: None)

    def on_event(venue: str, symbol: str | None, kind: str, detail: str) -> None:
        recorder.on_event(venue, symbol, kind, detail, monotonic_ms())
        if kind in FEED_DOWN_KINDS and recorder.problems.get(venue) != detail:
            recorder.problems[venue] = detail
            say(f"{venue}{' ' + symbol if symbol else ''}: {kind.replace('_', ' ')}: {detail}")

    def on_ready(venue: str, syms: list[str]) -> None:
        ex = exchanges[venue]
        for sym in list(syms):
            try:
                markets[(venue, sym)] = MarketSpec.from_ccxt(ex.markets[sym], getattr(ex, "precisionMode", 4))
            except ArbError as e:
                syms.remove(sym)
                on_event(venue, sym, EventKind.SYMBOL_SKIPPED, str(e))
                continue
            fees[(venue, sym)] = market_fee(
                ex, venue, sym, (fee_overrides or {}).get(venue), (fee_currency or {}).get(venue)
            )
        ready[venue] = syms
        recorder.problems.pop(venue, None)
        say(f"{venue}: streaming {', '.join(syms) or 'no symbol'}")
        if len(ready) == len(exchanges):
            all_ready.set()

    limits = {v: profile(getattr(ex, "id", v)).book_limit for v, ex in exchanges.items()} | (book_limits or {})

    def on_book(venue: str, symbol: str, book: Any, recv_ms: int) -> None:
        recorder.on_book(venue, symbol, book, recv_ms)

    feeds = Feeds(exchanges, symbols, on_book, on_event, book_limits=limits, backoff=Backoff())
    task = asyncio.create_task(feeds.run(on_ready), name="record-feeds")
    say(
        f"waiting for markets and order books from {', '.join(exchanges)} ({', '.join(symbols)}); "
        f"up to {ready_timeout_s:.0f} s"
    )
    t0 = time.monotonic()
    try:
        first = min(ready_timeout_s, duration_s) if duration_s else ready_timeout_s
        waits = [asyncio.ensure_future(all_ready.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waits, timeout=first, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        recorder.start(markets, fees)  # venues not ready by now are recorded without markets
        missing = [v for v in exchanges if v not in ready]
        remaining = duration_s - (time.monotonic() - t0) if duration_s and missing else duration_s
        going_on = not stop.is_set() and (remaining is None or remaining > 0)
        if missing and going_on:
            why = "; ".join(f"{v}: {recorder.problems[v]}" for v in missing if v in recorder.problems)
            say(
                f"no markets yet from {', '.join(missing)} after {time.monotonic() - t0:.0f} s"
                f"{' (' + why + ')' if why else ''}; recording {', '.join(ready) or 'nothing yet'}, still retrying"
            )
        if going_on:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), remaining)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        recorder.close()
    return ready
