"""Market-data latency: a venue's book frames leave it a drawn one-way latency after their event time.

Frames are formatted when the book is published (so checksums, per-subscription state and the book
faults match the book at that seq) but held; each is released to the sessions it was formatted for at the first market
step at or after ``ts_ms + latency``, never before an earlier frame of the venue (one ordered stream,
as over TCP). The book's timestamp stays the venue's event time, so a client sees books that are at least
the latency old. ``records`` keeps (symbol, seq, ts_ms, latency_ms, released_ms) of the last frames.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from exchanges.sim.base import VenueServer, WsSession
    from exchanges.sim.book import BookUpdate


@dataclass(frozen=True, slots=True)
class Delivery:
    """One published book update's market-data latency and the market time it was released."""

    symbol: str
    seq: int
    ts_ms: int
    latency_ms: float
    released_ms: int


class MarketDataDelay:
    """Holds one venue's book frames for their market-data latency (see the module doc)."""

    def __init__(self, server: VenueServer) -> None:
        self.server = server
        self.hold: list[tuple[WsSession, str]] | None = None  # frames captured while publishing
        self._pending: deque[tuple[float, BookUpdate, float, list[tuple[WsSession, str]]]] = deque()
        self._last_release = 0.0
        self.records: deque[Delivery] = deque(maxlen=10_000)

    def publish(self, update: BookUpdate) -> None:
        """Format ``update`` for the venue's channels now; send it now or hold it for its latency."""
        latency = self.server.latency.market_data_ms()
        if latency <= 0 and not self._pending:
            self.server.publish_book(update)
            return
        self.hold = []
        try:
            self.server.publish_book(update)
        finally:
            frames, self.hold = self.hold, None
        due = max(update.ts_ms + latency, self._last_release)
        self._last_release = due
        self._pending.append((due, update, latency, frames))

    @property
    def pending(self) -> int:
        """Book updates published but not yet released to clients."""
        return len(self._pending)

    def release(self, now_ms: int) -> None:
        """Send every held frame whose time has come (to sessions still open)."""
        sessions = self.server.sessions
        while self._pending and self._pending[0][0] <= now_ms:
            _due, upd, latency, frames = self._pending.popleft()
            for session, text in frames:
                if session in sessions:
                    session._put(text)  # book faults were applied when it was published
            self.records.append(Delivery(upd.symbol, upd.seq, upd.ts_ms, latency, now_ms))
