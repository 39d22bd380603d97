"""ccxt.pro order-book feeds: market preparation, watch loops, reconnect with back-off, health.

One ccxt.pro client per venue (the caller's own instances when arb is used as a library).
Each delivered book goes straight to ``on_book`` in the watching task, with no queue in between:
while the engine works, ccxt keeps applying updates, and the next ``watch_*`` returns the latest
book. arb therefore always evaluates the newest state and never works through a backlog.

Liveness (:mod:`arb.scan.liveness`): each watch is one stream — one ``watch_order_book_for_symbols``
subscription set (ccxt carries it on one connection), or one symbol's ``watch_order_book`` — registered
before its first book. Every wake-up delivers at least the book that woke it, and each good, timely book the
engine takes marks its stream heard, so a quiet book on a stream that keeps delivering stays current while a
stream that delivers nothing (or only late or bad books) for ``max_book_age_ms`` makes all its books stale.

Errors never stop a feed. Network errors, ccxt ``InvalidNonce`` (sequence gaps, resyncs) and
anything unexpected are reported through ``on_event``, the venue's books are invalidated (the
engine drops them until a fresh update arrives) and the watch is retried after jittered
exponential back-off. A symbol the venue rejects as unknown is skipped for good and reported once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ccxt
import ccxt.pro
from tenacity import RetryCallState, retry_if_exception_type

from arb.clock import monotonic_ms
from arb.core.kinds import EventKind
from arb.retry import Backoff, retrying
from arb.scan.liveness import Liveness

log = logging.getLogger(__name__)

OnBook = Callable[[str, str, Any, int], None]  # venue, symbol, ccxt OrderBook, receive time (monotonic ms)
OnEvent = Callable[[str, "str | None", EventKind, str], None]  # venue, symbol, kind, detail


@dataclass(slots=True)
class VenueHealth:
    """What the live view and health alerts show per venue."""

    venue: str
    status: str = "starting"  # starting | up | down
    updates: int = 0
    reconnects: int = 0
    errors: int = 0
    last_update_ms: int | None = None  # monotonic ms of the last delivered book
    last_error: str = ""
    symbols: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # symbol -> reason
    _window_start_ms: int = 0
    _window_updates: int = 0
    rate: float = 0.0  # updates per second over the last window

    def tick(self, now_ms: int) -> None:
        self.updates += 1
        self.last_update_ms = now_ms
        self._window_updates += 1
        elapsed = now_ms - self._window_start_ms
        if elapsed >= 1000:
            self.rate = self._window_updates * 1000.0 / elapsed
            self._window_start_ms, self._window_updates = now_ms, 0

    @property
    def reason(self) -> str:
        """Why the venue is not up (its last error), '' while it streams: shown beside "down" in views."""
        return "" if self.status == "up" else self.last_error

    def age_ms(self, now_ms: int) -> int | None:
        return None if self.last_update_ms is None else now_ms - self.last_update_ms


def usable_symbols(markets: dict[str, Any], symbols: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Split wanted symbols into those the venue lists as active spot markets and the rest (with why)."""
    ok: list[str] = []
    skipped: dict[str, str] = {}
    for s in symbols:
        m = markets.get(s)
        if m is None:
            skipped[s] = "not listed on this venue"
        elif m.get("active") is False:
            skipped[s] = "market not active (halted or delisted)"
        elif m.get("spot") is False:
            skipped[s] = f"not a spot market (type {m.get('type')})"
        else:
            ok.append(s)
    return ok, skipped


def watched_together(has: Mapping[str, Any], n_symbols: int) -> bool:
    """Whether a venue's symbols share one watch, hence one stream (liveness.py): ``watch_order_book_for_symbols``
    where ccxt has it, else one ``watch_order_book`` (one stream) per symbol."""
    return n_symbols > 1 and bool(has.get("watchOrderBookForSymbols"))


def ccxt_has(ccxt_id: str) -> Mapping[str, Any]:
    """The ``has`` of ccxt.pro's exchange class ``ccxt_id`` ({} when ccxt has none), opening nothing."""
    cls = getattr(ccxt.pro, ccxt_id, None)
    return cls().has if isinstance(cls, type) else {}


class Feeds:
    """Watch order books for ``symbols`` on every venue in ``exchanges`` and hand them to ``on_book``."""

    def __init__(
        self,
        exchanges: dict[str, Any],
        symbols: list[str],
        on_book: OnBook,
        on_event: OnEvent,
        *,
        book_limits: dict[str, int | None] | None = None,
        backoff: Backoff = Backoff(),
        clock: Callable[[], int] = monotonic_ms,
        seed: int | None = None,
        liveness: Liveness | None = None,
    ) -> None:
        """``liveness``: the engine's (``engine.liveness``), so it knows which books share a stream."""
        self.exchanges = exchanges
        self.liveness = liveness if liveness is not None else Liveness()
        self.symbols = list(symbols)
        self.on_book = on_book
        self.on_event = on_event
        self.book_limits = book_limits or {}
        self.backoff = backoff
        self.clock = clock
        self.rng = random.Random(seed)
        self.health: dict[str, VenueHealth] = {v: VenueHealth(v) for v in exchanges}

    # -- start-up -----------------------------------------------------------------------------
    async def prepare(self, venue: str, *, attempts: int | None = None) -> list[str]:
        """Load the venue's markets (retrying outages with back-off) and return its usable symbols.

        ``attempts=None`` retries forever (a scanner waits for a venue to come back); a number
        gives up after that many failures and raises the last error.
        """
        ex = self.exchanges[venue]
        h = self.health[venue]

        def down(state: RetryCallState) -> None:  # after every failed try, the last one too
            e = state.outcome.exception() if state.outcome is not None else None
            h.status, h.errors, h.last_error = "down", h.errors + 1, _brief(e) if e else "?"
            self.on_event(venue, None, EventKind.VENUE_DOWN, f"load_markets failed: {h.last_error}")

        # outage, bad URL, malformed response: report and retry (cancellation is not an Exception)
        policy = Backoff(self.backoff.base_s, self.backoff.cap_s, self.rng)
        retry = retrying(policy, retry_if_exception_type(Exception), attempts=attempts, after=down)
        markets: dict[str, Any] = await retry(ex.load_markets)
        ok, skipped = usable_symbols(markets, self.symbols)
        for sym, why in skipped.items():
            self.on_event(venue, sym, EventKind.SYMBOL_SKIPPED, why)
        h.symbols, h.skipped = ok, skipped
        return ok

    # -- watching -----------------------------------------------------------------------------
    async def run_venue(self, venue: str, on_ready: Callable[[str, list[str]], None] | None = None) -> None:
        """Prepare the venue, then watch its symbols until cancelled. ``on_ready(venue, symbols)``
        runs between the two (the engine registers markets and fees there)."""
        symbols = await self.prepare(venue)
        if on_ready is not None:
            on_ready(venue, symbols)
        if not symbols:
            self.on_event(venue, None, EventKind.VENUE_IDLE, "none of the configured symbols is tradable here")
            return
        ex = self.exchanges[venue]
        if watched_together(ex.has, len(symbols)):
            await self._watch(venue, symbols, many=True)
        else:
            async with asyncio.TaskGroup() as tg:
                for sym in symbols:
                    tg.create_task(self._watch(venue, [sym], many=False))

    async def run(self, on_ready: Callable[[str, list[str]], None] | None = None) -> None:
        async with asyncio.TaskGroup() as tg:
            for venue in self.exchanges:
                tg.create_task(self.run_venue(venue, on_ready), name=f"feed:{venue}")

    async def _watch(self, venue: str, symbols: list[str], *, many: bool) -> None:
        ex = self.exchanges[venue]
        h = self.health[venue]
        limit = self.book_limits.get(venue)
        failures = 0
        symbols = list(symbols)
        self.liveness.stream(venue, symbols, self.clock())  # this watch's books share one stream
        seen: dict[str, tuple[Any, ...]] = {}  # symbol -> (book object, nonce, timestamp, depths) last delivered
        while symbols:
            try:
                if many:
                    book = await ex.watch_order_book_for_symbols(symbols, limit)
                    symbol = book["symbol"]
                else:
                    symbol = symbols[0]
                    book = await ex.watch_order_book(symbol, limit)
            except asyncio.CancelledError:
                raise
            except ccxt.BadSymbol as e:
                bad = [s for s in symbols if s in str(e)] or symbols[:1]
                for s in bad:
                    symbols.remove(s)
                    h.skipped[s] = "rejected by the venue"
                    self.on_event(venue, s, EventKind.SYMBOL_SKIPPED, f"venue rejected it: {_brief(e)}")
                continue
            except Exception as e:
                failures += 1
                kind = EventKind.RESYNC if isinstance(e, ccxt.InvalidNonce) else EventKind.DISCONNECT
                if not isinstance(e, ccxt.NetworkError | ccxt.ExchangeError):
                    kind = EventKind.ERROR
                h.errors += 1
                h.reconnects += 1
                h.last_error = _brief(e)
                if h.status == "up" and kind != EventKind.RESYNC:
                    h.status = "down"
                for s in symbols:
                    self.on_event(venue, s, kind, _brief(e))
                await asyncio.sleep(self.backoff.delay(failures - 1, self.rng))
                continue
            now = self.clock()
            if failures or h.status != "up":
                if h.status != "up":
                    self.on_event(venue, None, EventKind.VENUE_UP, f"streaming {len(symbols)} symbol(s)")
                h.status = "up"
                failures = 0
            if not many:
                h.tick(now)
                self.on_book(venue, symbol, book, now)
                continue
            # watch_order_book_for_symbols wakes with ONE symbol's book, but ccxt may have applied
            # updates to others in the same burst (their futures resolve into nothing). Deliver every
            # book whose state changed since we last saw it, so no symbol is starved.
            books = ex.orderbooks
            for sym in symbols:
                b = book if sym == symbol else books.get(sym)
                if b is None or (sym != symbol and not (b["bids"] and b["asks"])):
                    continue  # not subscribed yet, or waiting for its first snapshot (Binance)
                mark = (id(b), b.get("nonce"), b.get("timestamp"), len(b["bids"]), len(b["asks"]))
                if seen.get(sym) == mark and sym != symbol:
                    continue
                seen[sym] = mark
                h.tick(now)
                self.on_book(venue, sym, b, now)


def _brief(e: BaseException) -> str:
    text = str(e).replace("\n", " ").strip()
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{type(e).__name__}: {text}" if text else type(e).__name__
