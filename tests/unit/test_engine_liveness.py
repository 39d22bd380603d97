"""Staleness by stream, not by book: a quiet book is current while the stream carrying it delivers anything."""

from __future__ import annotations

from arb.scan.liveness import Liveness
from tests.unit.test_engine import SYM, Clock, RecordingSink, _engine, normal

ETH = "ETH/USDT"


def test_a_quiet_book_stays_current_while_its_stream_delivers_other_books() -> None:
    sink, clock, live = RecordingSink(), Clock(), Liveness()
    okx = live.stream("okx", [SYM, ETH])  # one watch_order_book_for_symbols on okx: one stream
    e = _engine(sink, clock, max_age=1000, liveness=live)
    e.on_book("okx", SYM, normal(), 0)
    e.on_book("binance", SYM, normal(), 0)
    for t in range(500, 5001, 500):  # okx delivers only ETH changes; its SYM book never changes
        okx.heard_ms = t  # the feed marks the stream on every wake-up
        e.on_book("binance", SYM, normal(), t)
        e.sweep(t)
    assert e.books[("okx", SYM)].valid and not [ev for ev in sink.events if ev[2] == "stale"]
    e.on_book("binance", SYM, normal(64300.0), 5100)  # evaluated against okx's 5 s old (quiet) book
    assert len(sink.started) == 1 and e.stats.near_miss["stale"] == 0


def test_a_silent_stream_makes_its_books_stale_and_only_their_own_update_revives_them() -> None:
    sink, clock, live = RecordingSink(), Clock(), Liveness()
    okx = live.stream("okx", [SYM, ETH])
    e = _engine(sink, clock, max_age=1000, liveness=live)
    e.on_book("okx", SYM, normal(), 0)
    e.on_book("binance", SYM, normal(), 0)
    e.on_book("binance", SYM, normal(64300.0), 1500)  # okx's stream silent for 1500 ms: never evaluated
    assert sink.started == [] and e.stats.near_miss["stale"] == 1
    e.sweep(1600)
    assert not e.books[("okx", SYM)].valid
    assert ("okx", SYM, "stale") in [ev[:3] for ev in sink.events]
    okx.heard_ms = 1700  # the stream delivers again (another symbol): SYM may have missed an update meanwhile
    e.on_book("binance", SYM, normal(64300.0), 1700)
    assert sink.started == [] and not e.books[("okx", SYM)].valid
    e.on_book("okx", SYM, normal(), 1800)  # its own fresh update
    assert e.books[("okx", SYM)].valid and len(sink.started) == 1


def test_without_streams_each_book_is_its_own_stream() -> None:
    """A caller feeding the engine itself (no feeds saying what shares a connection): the conservative rule."""
    sink, clock = RecordingSink(), Clock()
    e = _engine(sink, clock, max_age=1000)
    e.on_book("okx", SYM, normal(), 0)
    e.on_book("okx", ETH, normal(), 900)  # not a market of this engine: ignored, vouches for nothing
    e.on_book("binance", SYM, normal(64300.0), 1500)
    assert sink.started == [] and e.stats.near_miss["stale"] == 1


def test_a_stream_delivering_only_late_books_vouches_for_nothing() -> None:
    """A delayed connection (updates stamped by the venue far behind the wall clock) keeps delivering, but what it
    delivers is old: it does not keep its quiet books current."""
    sink, clock, live = RecordingSink(), Clock(), Liveness()
    live.stream("okx", [SYM, ETH])
    e = _engine(sink, clock, max_age=1000, liveness=live)
    e.markets[("okx", ETH)] = e.markets[("okx", SYM)]  # a second symbol on the stream (the quiet one)
    e.fees[("okx", ETH)] = e.fees[("okx", SYM)]
    start = clock.t
    e.on_book("okx", ETH, normal(), 0)
    e.on_book("okx", SYM, normal() | {"timestamp": start}, 0)
    for t in range(200, 3001, 200):  # okx now delivers SYM updates stamped 2.5 s in the past
        clock.t = start + t
        e.on_book("okx", SYM, normal() | {"timestamp": start + t - 2500}, t)
        e.sweep(t)
    assert not e.books[("okx", SYM)].valid
    assert not e.books[("okx", ETH)].valid, "a quiet book kept current by a stream delivering late books"
