"""A venue's public trade tape: every fill the matching engine makes, per symbol, and 24 h statistics.

The matching engine records one :class:`PublicTrade` per fill (whoever the account: arb's keys, other
simulated traders), with the taker's side; the venue servers serve the tape as public trades (REST
and WS, pushed through :attr:`TradeTape.listeners`) and compute tickers from :meth:`TradeTape.stats`,
which combines the trades of the last 24 h with the venue's mid history (sampled once a second by the
market driver), so high/low/open move with the market even when nobody trades.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class PublicTrade:
    trade_id: str
    symbol: str
    ts_ms: int
    price: Decimal
    amount: Decimal
    side: str  # the taker's side: buy or sell


@dataclass(frozen=True, slots=True)
class Stats:
    """24 h window: first/highest/lowest/last price (trades and mids), base and quote volume of trades."""

    open: Decimal
    high: Decimal
    low: Decimal
    last: Decimal
    last_size: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int


class TradeTape:
    """Recent public trades per symbol (``keep`` newest) plus the 24 h window for statistics."""

    def __init__(self, keep: int = 1000, window_ms: int = DAY_MS, mid_every_ms: int = 1000) -> None:
        self.keep, self.window_ms, self.mid_every_ms = keep, window_ms, mid_every_ms
        self._recent: dict[str, deque[PublicTrade]] = defaultdict(lambda: deque(maxlen=self.keep))
        self._window: dict[str, deque[PublicTrade]] = defaultdict(deque)
        self._mids: dict[str, deque[tuple[int, Decimal]]] = defaultdict(deque)
        self._volume: dict[str, tuple[Decimal, Decimal]] = defaultdict(lambda: (Decimal(0), Decimal(0)))
        self.listeners: list[Callable[[PublicTrade], None]] = []

    def record(self, trade: PublicTrade) -> None:
        self._recent[trade.symbol].append(trade)
        self._window[trade.symbol].append(trade)
        base, quote = self._volume[trade.symbol]
        self._volume[trade.symbol] = (base + trade.amount, quote + trade.amount * trade.price)
        for listener in self.listeners:
            listener(trade)

    def mid_due(self, symbol: str, ts_ms: int) -> bool:
        """True when the last mid sample of ``symbol`` is at least ``mid_every_ms`` old."""
        mids = self._mids.get(symbol)
        return not mids or ts_ms - mids[-1][0] >= self.mid_every_ms

    def note_mid(self, symbol: str, ts_ms: int, mid: Decimal) -> None:
        """Sample the venue's mid for the 24 h open/high/low."""
        self._mids[symbol].append((ts_ms, mid))

    def trades(self, symbol: str, limit: int | None = None) -> list[PublicTrade]:
        """Newest first, at most ``limit`` (and at most ``keep``)."""
        recent = list(self._recent.get(symbol, ()))
        recent.reverse()
        return recent[:limit] if limit else recent

    def last(self, symbol: str) -> PublicTrade | None:
        recent = self._recent.get(symbol)
        return recent[-1] if recent else None

    def stats(self, symbol: str, now_ms: int, fallback: Decimal) -> Stats:
        """24 h statistics at ``now_ms``; ``fallback`` (the current mid) stands in when nothing is known."""
        self._expire(symbol, now_ms)
        window, mids = self._window.get(symbol, deque()), self._mids.get(symbol, deque())
        prices = [t.price for t in window] + [m for _, m in mids]
        last = self.last(symbol)
        last_px = last.price if last is not None else (mids[-1][1] if mids else fallback)
        firsts = [x for x in ((window[0].ts_ms, window[0].price) if window else None, mids[0] if mids else None) if x]
        open_ = min(firsts)[1] if firsts else last_px
        base, quote = self._volume.get(symbol, (Decimal(0), Decimal(0)))
        return Stats(
            open=open_,
            high=max(prices, default=last_px),
            low=min(prices, default=last_px),
            last=last_px,
            last_size=last.amount if last is not None else Decimal(0),
            volume=base,
            quote_volume=quote,
            trades=len(window),
        )

    def _expire(self, symbol: str, now_ms: int) -> None:
        cutoff = now_ms - self.window_ms
        window = self._window.get(symbol)
        while window and window[0].ts_ms <= cutoff:
            t = window.popleft()
            base, quote = self._volume[symbol]
            self._volume[symbol] = (base - t.amount, quote - t.amount * t.price)
        mids = self._mids.get(symbol)
        while mids and mids[0][0] <= cutoff:
            mids.popleft()
