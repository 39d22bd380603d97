"""The engine core: each delivered book → detector → evaluator → episodes → sink.

Synchronous and free of I/O: feeds call :meth:`Engine.on_book` from their watch loop, a sweeper
calls :meth:`Engine.sweep` a few times a second, and everything observable leaves through the
``Sink`` (journal, notifier, live view, library consumers), which must not block.

Book hygiene (never trade or log on bad data): a book that is empty or crossed on its own venue is
dropped and ends the episodes that use it. Staleness means "arb cannot vouch that the book is current"
(:mod:`arb.scan.liveness`): a book whose stream (the feed watch that carries it) delivered nothing for
``max_book_age_ms`` is never evaluated and the sweeper drops it until its own fresh update arrives; a quiet
book on a stream that keeps delivering stays current (incremental channels push only changes). An update
whose venue timestamp is more than twice the limit behind the wall clock (a delayed feed) is dropped too.
A feed error (disconnect, sequence gap, resync) invalidates the venue's books at once.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from arb.clock import wall_ms
from arb.core.detector import Detector
from arb.core.errors import BookError
from arb.core.evaluator import evaluate
from arb.core.model import Balances, Episode, EpisodeEnd, Fee, Limits, MarketSpec, Opportunity
from arb.scan.episodes import EpisodeTracker, Key, snapshot
from arb.scan.liveness import Link, Liveness, Stream

log = logging.getLogger(__name__)
_Q2 = Decimal("0.01")

# Near-miss reasons shown in the live view ("why nothing fired").
REASONS = {
    "raw_only": "crossed before fees, not after",
    "no_cross_after_fees": "crossed before fees, not after (exact check)",
    "too_thin": "too thin for min amount / min notional",
    "capped": "no size fits balances / notional / limit-price edge",
    "below_threshold": "below the profit or bps threshold",
    "stale": "other book stale (its stream silent)",
    "crossed_or_empty": "book crossed or empty on its venue",
    "bad_book": "malformed book data",
}


@dataclass(slots=True)
class BookSlot:
    """The engine's handle on one (venue, symbol) book: ccxt's book object (updated in place by ccxt), when it
    was received (monotonic ms) and whether it may be used. Later stages read it, never write it."""

    book: Any
    recv_ms: int  # monotonic: when this book last changed (was delivered)
    valid: bool = True
    # the stream carrying the book: ``link.stream.heard_ms`` is when it last delivered a good, timely book
    link: Link = field(default_factory=lambda: Link(Stream()), repr=False, compare=False)
    problem: str | None = None  # the last problem reported (each is reported once, recovery once)
    # the detector's handle on this book (record, the symbol's records): the hot path's look-ups done once
    detect: tuple[Any, Any] | None = field(default=None, repr=False, compare=False)

    def version(self) -> tuple[int, Any, Any]:
        """Changes whenever the venue delivered a new book (the cool-down waits for both books to change)."""
        return self.recv_ms, self.book.get("nonce"), self.book.get("timestamp")

    def usable(self) -> Any:
        """The book when it is valid, else None."""
        return self.book if self.valid else None


@dataclass(frozen=True, slots=True)
class Sighting:
    """An opportunity as the engine hands it on: with its episode, how many evaluations in a row found it
    (``streak``) and the two books it was evaluated on (depth re-evaluation, marks, hedge prices), so no
    later stage reaches back into the engine."""

    opp: Opportunity
    episode: Episode
    streak: int
    buy_book: BookSlot
    sell_book: BookSlot


class Sink(Protocol):
    def episode_started(self, ep: Episode, inputs: dict[str, Any]) -> None: ...
    def episode_ended(self, ep: Episode, peak_inputs: dict[str, Any], end_inputs: dict[str, Any]) -> None: ...
    def opportunity(self, sighting: Sighting) -> None: ...
    def event(self, venue: str | None, symbol: str | None, kind: str, detail: str) -> None: ...
    def book_opened(self, venue: str, symbol: str, slot: BookSlot) -> None: ...


@dataclass(slots=True)
class SymbolView:
    """Per symbol, the best edge after fees seen on the last update, for the live view."""

    pair: tuple[str, str] | None = None
    edge_bps: float | None = None
    net_bps: str | None = None
    updated_ms: int = 0


@dataclass(slots=True)
class EngineStats:
    updates: int = 0
    evaluations: int = 0
    opportunities: int = 0
    episodes_started: int = 0
    episodes_ended: int = 0
    near_miss: Counter[str] = field(default_factory=Counter)


class Engine:
    def __init__(
        self,
        *,
        run_id: str,
        markets: dict[tuple[str, str], MarketSpec],
        fees: dict[tuple[str, str], Fee],
        limits: Limits,
        sink: Sink,
        max_book_age_ms: int = 2000,
        episode_gap_ms: int = 500,
        balances: Callable[[str, str, str], Balances] | None = None,
        wall_clock: Callable[[], int] = wall_ms,
        liveness: Liveness | None = None,
    ) -> None:
        """``liveness``: shared with the feeds, which say which books share a stream (default: each its own)."""
        self.markets = markets
        self.fees = fees
        self.limits = limits
        self.sink = sink
        self.max_age = max_book_age_ms
        self.liveness = liveness if liveness is not None else Liveness()
        self._venue_lag_ms = 2 * max_book_age_ms
        # wall ms ≈ receive ms + offset (taken from the caller's own receive clock on first use and
        # refreshed by sweep()), so on_book checks venue timestamps without a clock call
        self._wall_offset: int | None = None
        self.balances = balances
        self.wall = wall_clock
        self.detector = Detector()
        self._check_at = Detector.check_at
        for (venue, symbol), fee in fees.items():
            self.detector.set_fee(venue, symbol, fee)
        self.tracker = EpisodeTracker(run_id, episode_gap_ms)
        self.books: dict[tuple[str, str], BookSlot] = {}
        self.stats = EngineStats()
        self.views: dict[str, SymbolView] = {}
        self.streaks: dict[Key, int] = {}  # consecutive evaluations yielding an opportunity, per key

    def add_market(self, venue: str, symbol: str, market: MarketSpec, fee: Fee) -> None:
        """Register a (venue, symbol) once its markets are loaded; updates for others are ignored."""
        self.markets[(venue, symbol)] = market
        self.fees[(venue, symbol)] = fee
        self.detector.set_fee(venue, symbol, fee)

    # -- feed callbacks -------------------------------------------------------------------------
    def on_book(self, venue: str, symbol: str, book: Any, recv_ms: int, top: tuple[float, float] | None = None) -> None:
        """Hot path, once per delivered book: allocation-free unless a pair crosses.

        ``top``: the book's best bid and ask as ``float(book[side][0][0])`` would read them (0.0 for an
        empty side), when the caller has them at hand (a replay): then the levels are not touched
        unless a pair crosses."""
        stats = self.stats
        stats.updates += 1
        slot = self.books.get((venue, symbol))
        if slot is None:
            if (venue, symbol) not in self.markets:
                return  # a symbol this run does not trade on this venue
            slot = self.books[(venue, symbol)] = BookSlot(book, recv_ms, False, link=self.liveness.link(venue, symbol))
            slot.detect = self.detector.handle(venue, symbol)
            self.sink.book_opened(venue, symbol, slot)  # published once: later stages read it, never the engine
        if top is not None:
            bid, ask = top
        else:
            try:
                bid = float(book["bids"][0][0])
                ask = float(book["asks"][0][0])
            except (KeyError, IndexError, TypeError, ValueError):
                bid = ask = 0.0
        if not (0.0 < bid < ask < 1e999):  # 1e999 is inf, a constant (no global look-up on the hot path)
            self._invalidate(venue, symbol, self.wall(), "crossed", "book crossed or empty on its venue")
            stats.near_miss["crossed_or_empty"] += 1
            return
        venue_ts = book.get("timestamp")
        if venue_ts:
            offset = self._wall_offset
            if offset is None:
                offset = self._wall_offset = self.wall() - recv_ms
            if recv_ms + offset - venue_ts > self._venue_lag_ms:
                now = self.wall()
                self._invalidate(venue, symbol, now, "stale", f"book timestamp {now - venue_ts} ms behind")
                stats.near_miss["stale"] += 1
                return
        # a good, timely book: its stream (shared with the venue's other books by the feeds) is live
        slot.link.stream.heard_ms = recv_ms
        if not slot.valid:
            if slot.problem is not None:
                self.sink.event(venue, symbol, "book_ok", f"fresh book after: {slot.problem}")
                slot.problem = None
            slot.valid = True
        slot.book = book
        slot.recv_ms = recv_ms
        rec, peers = slot.detect  # type: ignore[misc]  # set when the slot is created
        pairs, raw = self._check_at(rec, peers, venue, bid, ask)
        if raw:
            stats.near_miss["raw_only"] += raw
        tracker = self.tracker
        if not pairs and not tracker.open:
            return
        now = self.wall()
        hit: set[Key] = set()
        for buy_v, sell_v in pairs:
            opp = self._evaluate(symbol, buy_v, sell_v, recv_ms, now)
            if opp is not None:
                hit.add(opp.key)
        if tracker.open:
            for key in tracker.keys_for(symbol, venue):
                if key not in hit:
                    tracker.miss(key, now)
                    self.streaks.pop(key, None)

    def on_event(self, venue: str, symbol: str | None, kind: str, detail: str) -> None:
        """Feed events: errors invalidate the venue's books (all symbols when symbol is None)."""
        now = self.wall()
        if kind in ("disconnect", "resync", "error", "venue_down"):
            targets = [symbol] if symbol else [s for (v, s) in self.books if v == venue]
            for s in targets:
                self._invalidate(venue, s, now, None, detail)
        self.sink.event(venue, symbol, kind, detail)

    def sweep(self, recv_now_ms: int) -> None:
        """Drop books whose stream went silent and end episodes that went quiet. Call a few times a second."""
        now = self.wall()
        self._wall_offset = now - recv_now_ms
        for (venue, symbol), slot in self.books.items():
            silent = recv_now_ms - slot.link.stream.heard_ms
            if slot.valid and silent > self.max_age:
                self._invalidate(venue, symbol, now, "stale", f"nothing heard on its stream for {silent} ms")
        for t in self.tracker.sweep(now):
            self._ended(t)

    def close(self) -> None:
        for t in self.tracker.close_all(self.wall()):
            self._ended(t)

    # -- internals ----------------------------------------------------------------------------------
    def _evaluate(self, symbol: str, buy_v: str, sell_v: str, recv_ms: int, now: int) -> Opportunity | None:
        b, s = self.books.get((buy_v, symbol)), self.books.get((sell_v, symbol))
        if b is None or s is None or not b.valid or not s.valid:
            return None
        heard = (recv_ms - b.link.stream.heard_ms, recv_ms - s.link.stream.heard_ms)  # what vouches for each book
        if max(heard) > self.max_age:
            self.stats.near_miss["stale"] += 1
            return None
        ages = (recv_ms - b.recv_ms, recv_ms - s.recv_ms)  # since each book last changed (journaled)
        bm, sm = self.markets[(buy_v, symbol)], self.markets[(sell_v, symbol)]
        bf, sf = self.fees[(buy_v, symbol)], self.fees[(sell_v, symbol)]
        bal = self.balances(symbol, buy_v, sell_v) if self.balances else Balances()
        why: list[str] = []
        self.stats.evaluations += 1
        try:
            opp = evaluate(
                b.book,
                s.book,
                buy_market=bm,
                sell_market=sm,
                buy_fee=bf,
                sell_fee=sf,
                limits=self.limits,
                balances=bal,
                symbol=symbol,
                buy_venue=buy_v,
                sell_venue=sell_v,
                why=why,
            )
        except BookError as e:
            self.stats.near_miss["bad_book"] += 1
            # the error names its book; one that does not (a caller's own BookError) spoils both
            bad = [e.venue] if e.venue in (buy_v, sell_v) else [buy_v, sell_v]
            for venue in bad:
                self._invalidate(venue, symbol, now, "bad_book", str(e))
            return None
        if opp is None:
            self.stats.near_miss[why[0] if why else "below_threshold"] += 1
            self._view(symbol, (buy_v, sell_v), None, now)
            return None
        self.stats.opportunities += 1
        inputs = snapshot(
            opp,
            b.book,
            s.book,
            buy_market=bm,
            sell_market=sm,
            buy_fee=bf,
            sell_fee=sf,
            limits=self.limits,
            balances=bal,
            book_age_ms=ages,
            stream_age_ms=heard,
        )
        started = self.tracker.observe(opp, inputs, now)
        ep = started or self.tracker.open[opp.key].ep
        if started is not None:
            self.stats.episodes_started += 1
            self.sink.episode_started(started, inputs)
        streak = self.streaks[opp.key] = self.streaks.get(opp.key, 0) + 1
        self.sink.opportunity(Sighting(opp, ep, streak, b, s))
        self._view(symbol, (buy_v, sell_v), opp, now)
        return opp

    def _view(self, symbol: str, pair: tuple[str, str], opp: Opportunity | None, now: int) -> None:
        v = self.views.setdefault(symbol, SymbolView())
        v.pair, v.updated_ms = pair, now
        v.net_bps = None if opp is None else str(opp.net_bps.quantize(_Q2))

    def _invalidate(self, venue: str, symbol: str, now: int, kind: str | None, detail: str) -> None:
        slot = self.books.get((venue, symbol))
        report = kind is not None and (slot is None or slot.problem != kind)
        if slot is not None:
            slot.valid = False
            if kind is not None:
                slot.problem = kind
        self.detector.remove(venue, symbol)
        reason: EpisodeEnd = "crossed" if kind in ("crossed", "bad_book") else "stale"
        for key in self.tracker.keys_for(symbol, venue):
            self.streaks.pop(key, None)
            t = self.tracker.end(key, now, reason)
            if t is not None:
                self._ended(t)
        if report and kind is not None:
            self.sink.event(venue, symbol, kind, detail)

    def _ended(self, t: Any) -> None:
        self.stats.episodes_ended += 1
        self.sink.episode_ended(t.ep, t.peak_inputs, t.last_inputs)
