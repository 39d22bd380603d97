"""Venue-independent market process: one latent mid per symbol, per-venue books around it.

Pure and synchronous (no aiohttp, no clock): the caller passes ``now_ms`` to :meth:`MarketProcess.step`.
Prices live on an integer tick grid and sizes in integer lots per (venue, symbol), so books are exact
and cheap to diff; :class:`Grid` converts to ``Decimal`` and to the venue's decimal strings.

Determinism: every random draw comes from an RNG seeded from ``(seed, purpose, venue, symbol)`` and
consumed once per step, so the same seed and the same sequence of ``step(now_ms)`` calls give the same
books, the same :class:`BookUpdate` sequence and the same dislocation :attr:`MarketProcess.schedule`.
Fills (``consume``) change liquidity but not the random streams.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from exchanges.sim import depth
from exchanges.sim.book import BookUpdate, Grid, VenueBook
from exchanges.sim.market_params import MarketParams, VenueProfile

__all__ = [
    "BookUpdate",
    "Dislocation",
    "Grid",
    "MarketParams",
    "MarketProcess",
    "SymbolSpec",
    "VenueBook",
    "VenueProfile",
    "spec_for",
]


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """A spot market: unified symbol, start mid and the venue's precision (tick, lot, minimum size)."""

    symbol: str
    mid: float
    tick: Decimal
    lot: Decimal
    min_size: Decimal
    # the venue's other order filters (None / 0: not checked); see exchanges/sim/filters.py
    max_size: Decimal | None = None  # limit orders (and market orders without max_market_size)
    max_market_size: Decimal | None = None
    min_notional: Decimal = Decimal(0)  # price x amount, market orders valued at the best opposite price
    max_notional: Decimal | None = None  # limit orders
    max_market_notional: Decimal | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    # limit price band as multipliers of the venue's reference price (its mid):
    # (buy above, buy below, sell above, sell below); None = that side is not checked
    band: tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None] = (None, None, None, None)

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]


def _spec(symbol: str, mid: float, tick: str, lot: str, min_size: str) -> SymbolSpec:
    return SymbolSpec(symbol, mid, Decimal(tick), Decimal(lot), Decimal(min_size))


# Ten liquid USDT pairs with OKX-like precision (tickSz/lotSz/minSz as OKX lists them).
DEFAULT_SPECS: dict[str, SymbolSpec] = {
    s.symbol: s
    for s in (
        _spec("BTC/USDT", 65000.0, "0.1", "0.00000001", "0.00001"),
        _spec("ETH/USDT", 3200.0, "0.01", "0.000001", "0.0001"),
        _spec("SOL/USDT", 150.0, "0.01", "0.000001", "0.001"),
        _spec("XRP/USDT", 0.55, "0.0001", "0.000001", "1"),
        _spec("DOGE/USDT", 0.15, "0.00001", "0.000001", "10"),
        _spec("ADA/USDT", 0.45, "0.0001", "0.0001", "10"),
        _spec("LTC/USDT", 80.0, "0.01", "0.000001", "0.01"),
        _spec("TRX/USDT", 0.12, "0.00001", "0.000001", "1"),
        _spec("LINK/USDT", 15.0, "0.001", "0.000001", "0.1"),
        _spec("AVAX/USDT", 30.0, "0.01", "0.000001", "0.1"),
    )
}
DEFAULT_SYMBOLS: list[str] = list(DEFAULT_SPECS)


def spec_for(symbol: str) -> SymbolSpec:
    """The default spec for ``symbol``; unknown ``X/USDT`` pairs get a generic 1.0-priced spec."""
    if symbol in DEFAULT_SPECS:
        return DEFAULT_SPECS[symbol]
    if "/" not in symbol:
        raise ValueError(f"symbol must look like BASE/QUOTE, got {symbol!r}")
    return _spec(symbol, 1.0, "0.0001", "0.0001", "1")


@dataclass(frozen=True, slots=True)
class Dislocation:
    """One venue's price jumps ``bps`` away from the others between ``start_ms`` and ``end_ms``."""

    symbol: str
    venue: str
    start_ms: int
    end_ms: int
    bps: float

    def active(self, now_ms: int) -> bool:
        return self.start_ms <= now_ms < self.end_ms


class MarketProcess:
    """Latent mids, per-venue books and the dislocation schedule for a set of symbols and venues."""

    def __init__(
        self,
        symbols: Iterable[str],
        venues: Iterable[str],
        seed: int = 1,
        params: MarketParams | None = None,
        profiles: dict[str, VenueProfile] | None = None,
        specs: dict[tuple[str, str], SymbolSpec] | None = None,
        start_ms: int = 0,
    ) -> None:
        self.symbols = list(symbols)
        self.venues = list(venues)
        if not self.symbols or not self.venues:
            raise ValueError("MarketProcess needs at least one symbol and one venue")
        self.seed = seed
        self.params = params or MarketParams()
        self.profiles = {v: (profiles or {}).get(v, VenueProfile()) for v in self.venues}
        self._specs = dict(specs or {})
        self.start_ms = start_ms
        self.now_ms = start_ms
        self.mids: dict[str, float] = {s: self.spec(self.venues[0], s).mid for s in self.symbols}
        self.schedule: list[Dislocation] = []
        self._sched_rng = {s: random.Random(f"{seed}:schedule:{s}") for s in self.symbols}
        self._sched_next = {s: start_ms + self._gap_ms(s) for s in self.symbols}
        self._sched_until = start_ms
        self._sched_len = 0  # schedule length when last sorted (tests may append planned events)
        self._sched_lo = 0  # every entry before this index has ended
        self._active: dict[tuple[str, str], float] = {}
        self._mid_rng = {s: random.Random(f"{seed}:mid:{s}") for s in self.symbols}
        self._rng = {(v, s): random.Random(f"{seed}:book:{v}:{s}") for v in self.venues for s in self.symbols}
        self._seq_rng = {(v, s): random.Random(f"{seed}:seq:{v}:{s}") for v in self.venues for s in self.symbols}
        self.deficit: dict[tuple[str, str, str], float] = {}  # persistent mode: (venue, symbol, side) -> lots
        self._next_pub: dict[tuple[str, str], int] = {}  # per book: market time of its next publication
        self.books: dict[tuple[str, str], VenueBook] = {}
        for v in self.venues:
            for s in self.symbols:
                spec = self.spec(v, s)
                book = VenueBook(v, s, Grid(spec.tick, spec.lot))
                book.seq = self._seq_rng[(v, s)].randrange(10**6, 10**9)
                self.books[(v, s)] = book
        self._extend_schedule(start_ms + self.params.schedule_horizon_ms)
        self._refresh_active(start_ms)
        for key in self.books:
            self._rebuild(key, start_ms, dt_ms=0)
            book = self.books[key]
            book.flush(start_ms, book.seq)  # initial state is published at the seeded seq

    # ----------------------------------------------------------------- queries
    def spec(self, venue: str, symbol: str) -> SymbolSpec:
        return self._specs.get((venue, symbol)) or spec_for(symbol)

    def book(self, venue: str, symbol: str) -> VenueBook:
        try:
            return self.books[(venue, symbol)]
        except KeyError:
            raise KeyError(f"no book for venue={venue} symbol={symbol}") from None

    def venue_mid(self, venue: str, symbol: str, now_ms: int | None = None) -> float:
        """Latent mid times the venue's noise and any active dislocation."""
        t = self.now_ms if now_ms is None else now_ms
        bps = self.books[(venue, symbol)].noise_bps + self.dislocation_bps(venue, symbol, t)
        return self.mids[symbol] * (1.0 + bps / 10_000.0)

    def dislocation_bps(self, venue: str, symbol: str, now_ms: int) -> float:
        if now_ms == self.now_ms and len(self.schedule) == self._sched_len:
            return self._active.get((venue, symbol), 0.0)
        return sum(d.bps for d in self.schedule if d.venue == venue and d.symbol == symbol and d.active(now_ms))

    def _refresh_active(self, now_ms: int) -> None:
        """Active dislocation bps per (venue, symbol), scanning only the live window of the schedule."""
        if len(self.schedule) != self._sched_len:
            self.schedule.sort(key=lambda d: (d.start_ms, d.symbol, d.venue))
            self._sched_len, self._sched_lo = len(self.schedule), 0
        sched = self.schedule
        while self._sched_lo < len(sched) and sched[self._sched_lo].end_ms <= now_ms:
            self._sched_lo += 1
        active: dict[tuple[str, str], float] = {}
        for d in sched[self._sched_lo :]:
            if d.start_ms > now_ms:
                break
            if now_ms < d.end_ms:
                active[(d.venue, d.symbol)] = active.get((d.venue, d.symbol), 0.0) + d.bps
        self._active = active

    def active_dislocations(self, now_ms: int | None = None) -> list[Dislocation]:
        t = self.now_ms if now_ms is None else now_ms
        return [d for d in self.schedule if d.active(t)]

    # ----------------------------------------------------------------- control
    def inject_crossed(self, venue: str, symbol: str, until_ms: int, ticks: int = 1) -> None:
        """Make ``venue`` publish best bid = best ask + ``ticks`` until ``until_ms`` (fault injection)."""
        book = self.book(venue, symbol)
        book.crossed_until_ms, book.crossed_ticks = until_ms, max(1, ticks)

    def consume(self, venue: str, symbol: str, side: str, tick: int, lots: int) -> None:
        """A fill took ``lots`` from a level; the level refills over the next steps."""
        book = self.book(venue, symbol)
        levels = book.bids if side == "bid" else book.asks
        left = levels.get(tick, 0) - lots
        if left < 0:
            raise ValueError(f"consume more than the level holds: {venue} {symbol} {side} {tick}")
        if self.profiles[venue].replenish_quote_per_s is not None:
            key = (venue, symbol, side)
            self.deficit[key] = self.deficit.get(key, 0.0) + lots
        if left == 0:
            target = book.targets.get((side, tick))
            book.set_level(side, tick, 0)
            if target is not None:  # keep the target so the level can come back
                book.targets[(side, tick)] = target
        else:
            book.set_level(side, tick, left)

    def step(self, now_ms: int) -> list[BookUpdate]:
        """Advance to ``now_ms`` (one step) and return the updates to publish, in venue/symbol order."""
        dt_ms = max(0, now_ms - self.now_ms)
        self.now_ms = now_ms
        self._extend_schedule(now_ms + self.params.schedule_horizon_ms)
        self._refresh_active(now_ms)
        sigma = self.params.volatility_bps_per_sqrt_s / 10_000.0 * math.sqrt(dt_ms / 1000.0)
        for s in self.symbols:
            self.mids[s] *= math.exp(sigma * self._mid_rng[s].gauss(0.0, 1.0))
        out: list[BookUpdate] = []
        for key, book in self.books.items():
            self._rebuild(key, now_ms, dt_ms)
            every = self.profiles[key[0]].publish_ms
            if every > 0:  # the venue's channel cadence: changes accumulate until the next push
                if now_ms < self._next_pub.get(key, 0):
                    continue
                self._next_pub[key] = now_ms + every
            upd = book.flush(now_ms, book.seq + self._seq_rng[key].randint(1, 3))
            if upd is not None:
                out.append(upd)
        return out

    def live_dislocations(self, now_ms: int) -> list[Dislocation]:
        """Dislocations active at ``now_ms``, scanning only the live window of the schedule."""
        self._refresh_active(now_ms)
        out = []
        for d in self.schedule[self._sched_lo :]:
            if d.start_ms > now_ms:
                break
            if d.active(now_ms):
                out.append(d)
        return out

    def end_dislocation(self, dislocation: Dislocation, now_ms: int) -> Dislocation:
        """Close ``dislocation`` at ``now_ms`` (someone traded it away): the venue's mid returns from the
        next step on. Returns the shortened entry that replaces it in :attr:`schedule`."""
        i = self.schedule.index(dislocation)
        ended = replace(dislocation, end_ms=max(dislocation.start_ms, now_ms))
        self.schedule[i] = ended
        self._sched_lo = 0  # an entry before the window may have changed its end
        self._refresh_active(self.now_ms)
        return ended

    def flush(self, venue: str, symbol: str, now_ms: int) -> BookUpdate | None:
        """Publish changes made outside ``step`` (fills) right away."""
        book = self.book(venue, symbol)
        return book.flush(now_ms, book.seq + self._seq_rng[(venue, symbol)].randint(1, 3))

    # ----------------------------------------------------------------- internals
    def _gap_ms(self, symbol: str) -> int:
        rate = self.params.dislocation_rate_per_min
        if rate <= 0:
            return 10**15
        return max(1, int(self._sched_rng[symbol].expovariate(rate / 60_000.0)))

    def _extend_schedule(self, until_ms: int) -> None:
        if until_ms <= self._sched_until:
            return
        lo_bps, hi_bps = self.params.dislocation_bps
        lo_ms, hi_ms = self.params.dislocation_ms
        for s in self.symbols:
            rng = self._sched_rng[s]
            while self._sched_next[s] <= until_ms:
                start = self._sched_next[s]
                venue = self.venues[rng.randrange(len(self.venues))]
                bps = rng.uniform(lo_bps, hi_bps) * (1 if rng.random() < 0.5 else -1)
                dur = rng.randint(lo_ms, hi_ms)
                self.schedule.append(Dislocation(s, venue, start, start + dur, round(bps, 3)))
                self._sched_next[s] = start + dur + self._gap_ms(s)
        self.schedule.sort(key=lambda d: (d.start_ms, d.symbol, d.venue))
        self._sched_until = until_ms

    def _rebuild(self, key: tuple[str, str], now_ms: int, dt_ms: int) -> None:
        venue, symbol = key
        book, prof, rng = self.books[key], self.profiles[venue], self._rng[key]
        tick_f = float(self.spec(venue, symbol).tick)
        # venue offset: AR(1) with the profile's stationary std-dev
        phi = 0.5 ** (dt_ms / prof.noise_halflife_ms) if prof.noise_halflife_ms > 0 else 0.0
        book.noise_bps = book.noise_bps * phi + prof.noise_bps * math.sqrt(max(0.0, 1 - phi * phi)) * rng.gauss(
            0.0, 1.0
        )
        mid = self.venue_mid(venue, symbol, now_ms)
        half = max(mid * prof.spread_bps / 20_000.0, tick_f / 2)
        best_bid = max(1, math.floor((mid - half) / tick_f))
        best_ask = max(best_bid + 1, math.ceil((mid + half) / tick_f))
        if now_ms < book.crossed_until_ms:
            best_bid = best_ask + book.crossed_ticks
        gap = max(1, round(mid * prof.level_gap_bps / 10_000.0 / tick_f))
        if prof.replenish_quote_per_s is not None:  # the spread in whole ticks (1 at spread_bps=0), centred
            spread = max(1, round(2 * half / tick_f))
            best_bid = max(1, math.floor(mid / tick_f - spread / 2))
            best_ask = best_bid + spread
            if now_ms < book.crossed_until_ms:
                best_bid = best_ask + book.crossed_ticks
            self._lay_out_persistent(key, best_bid, best_ask, gap, dt_ms)
            return
        want_bids = {best_bid} | {(best_bid // gap - i) * gap for i in range(prof.levels - 1)}
        want_bids = set(sorted((t for t in want_bids if 0 < t <= best_bid), reverse=True)[: prof.levels])
        first_ask = -(-best_ask // gap) * gap
        want_asks = {best_ask} | {first_ask + i * gap for i in range(prof.levels - 1)}
        want_asks = set(sorted(t for t in want_asks if t >= best_ask)[: prof.levels])
        lot_f = float(self.spec(venue, symbol).lot)
        refill = 1.0 - (1.0 - prof.refill_per_s) ** (dt_ms / 1000.0) if dt_ms else 0.0
        for side, levels, want in (("bid", book.bids, want_bids), ("ask", book.asks, want_asks)):
            for tick in [t for t in levels if t not in want]:
                book.set_level(side, tick, 0)
            for stale in [t for t in book.targets if t[0] == side and t[1] not in want]:
                del book.targets[stale]
            for tick in sorted(want):
                if (side, tick) not in book.targets:
                    target = self._draw_lots(rng, prof, mid, lot_f)
                    book.targets[(side, tick)] = target
                    book.set_level(side, tick, target)
                elif refill > 0:
                    target, have = book.targets[(side, tick)], levels.get(tick, 0)
                    if have < target:
                        book.set_level(side, tick, have + max(1, math.ceil((target - have) * refill)))
            ordered = sorted(want)
            for _ in range(prof.churn_levels if dt_ms else 0):
                tick = ordered[rng.randrange(len(ordered))]
                target = self._draw_lots(rng, prof, mid, lot_f)
                book.targets[(side, tick)] = target
                book.set_level(side, tick, target)

    def _lay_out_persistent(self, key: tuple[str, str], best_bid: int, best_ask: int, gap: int, dt_ms: int) -> None:
        venue, symbol = key
        prof, spec = self.profiles[venue], self.spec(venue, symbol)
        scale = self.params.depth_scale.get(symbol, 1.0)
        sizes = depth.profile_lots(prof.levels, prof.level_notional * scale, prof.depth_slope, spec.mid, spec.lot)
        refill = depth.replenished_lots(prof.replenish_quote_per_s or 0.0, scale, dt_ms, spec.mid, spec.lot)
        for side, best in (("bid", best_bid), ("ask", best_ask)):
            dkey = (venue, symbol, side)
            left = max(0.0, self.deficit.get(dkey, 0.0) - refill)
            self.deficit[dkey] = left
            depth.lay_out(self.books[key], side, best, gap, sizes, left)

    @staticmethod
    def _draw_lots(rng: random.Random, prof: VenueProfile, mid: float, lot_f: float) -> int:
        notional = prof.level_notional * math.exp(rng.gauss(0.0, prof.size_dispersion))
        return max(1, int(notional / mid / lot_f))
