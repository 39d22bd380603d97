"""Which books share a stream, and when each stream last delivered anything: the staleness rule's clock.

Staleness means "arb cannot vouch that this book is current", not "this book has not changed lately".
The venues' incremental depth channels (OKX ``books``, Binance diff depth, Bybit ``orderbook.50``) push a
book only when it changes, so a quiet book on a live connection is current: every change would have been
pushed, in order, on that connection, and ccxt checks each venue's sequence chain when the next one
arrives. What arb can vouch for is the *stream*: one feed watch (one ``watch_order_book_for_symbols``
subscription set, which ccxt carries on one WebSocket connection; or one symbol's own
``watch_order_book``). A book is current while its stream delivered anything (any of its books) within
``max_book_age_ms`` and nothing invalidated the book since its last update (disconnect, sequence gap or
resync, crossed or malformed data, a venue timestamp far behind). Only a good, timely book marks its stream
heard (the engine does, in ``on_book``). A stream that delivers nothing for that long (the venue stopped
pushing, a half-dead socket), or only crossed books or books stamped far in the past (a delayed
connection), makes every book it carries stale, and a book made stale that way is used again only after
its own fresh update (a quiet book may have missed an update while its stream was silent; its sequence
chain is checked only when the next one arrives).

Without a feed registering streams (a library caller feeding :meth:`Engine.on_book` itself), each book is
its own stream: the conservative rule, a book not updated for ``max_book_age_ms`` is stale. ccxt's own
keep-alive state (``Client.lastPong``) is private and not read.
"""

from __future__ import annotations

from collections.abc import Iterable


class Stream:
    """One stream's liveness: when it last delivered anything (monotonic ms, the feed's receive clock)."""

    __slots__ = ("heard_ms",)

    def __init__(self, heard_ms: int = 0) -> None:
        self.heard_ms = heard_ms


class Link:
    """One (venue, symbol)'s handle on the stream that carries its book; stable while streams are regrouped."""

    __slots__ = ("stream",)

    def __init__(self, stream: Stream) -> None:
        self.stream = stream


class Liveness:
    """Shared by the feeds (which say which books share a stream) and the engine (which marks a stream heard on
    each good, timely book it takes and reads, per book, when its stream was last heard)."""

    def __init__(self) -> None:
        self._links: dict[tuple[str, str], Link] = {}

    def link(self, venue: str, symbol: str) -> Link:
        """The (venue, symbol)'s link: its own stream until a feed groups it with others."""
        link = self._links.get((venue, symbol))
        if link is None:
            link = self._links[(venue, symbol)] = Link(Stream())
        return link

    def stream(self, venue: str, symbols: Iterable[str], heard_ms: int = 0) -> Stream:
        """One watch carrying ``symbols`` of ``venue``: a new stream they all share from now on."""
        stream = Stream(heard_ms)
        for symbol in symbols:
            self.link(venue, symbol).stream = stream
        return stream

    def heard_age_ms(self, venue: str, symbol: str, now_ms: int) -> int:
        """How long ago the stream carrying (venue, symbol) delivered anything."""
        return now_ms - self.link(venue, symbol).stream.heard_ms
