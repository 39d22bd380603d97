"""Engine core: episodes start, peak and end; bad books never produce opportunities; snapshots recompute."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from arb.core.model import Episode, Fee, Limits, Opportunity
from arb.scan.engine import Engine
from arb.scan.episodes import reevaluate
from tests.kit.builders import make_book, market

D = Decimal
SYM = "BTC/USDT"


class RecordingSink:
    def __init__(self) -> None:
        self.started: list[tuple[Episode, dict]] = []
        self.ended: list[tuple[Episode, dict, dict]] = []
        self.opps: list[Opportunity] = []
        self.events: list[tuple[Any, ...]] = []

    def episode_started(self, ep, inputs):
        self.started.append((ep, inputs))

    def episode_ended(self, ep, peak_inputs, end_inputs):
        self.ended.append((ep, peak_inputs, end_inputs))

    def opportunity(self, sighting):
        self.opps.append(sighting.opp)

    def book_opened(self, venue, symbol, slot):
        pass

    def event(self, venue, symbol, kind, detail):
        self.events.append((venue, symbol, kind, detail))


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000

    def __call__(self) -> int:
        return self.t


def _engine(sink: RecordingSink, clock: Clock, **kw: Any) -> Engine:
    venues = ("okx", "binance")
    return Engine(
        run_id="r1",
        markets={(v, SYM): market(lot="0.00001", tick="0.1") for v in venues},
        fees={(v, SYM): Fee(D("0.001")) for v in venues},
        limits=Limits(max_notional=D("1000"), min_net_bps=D("1")),
        sink=sink,
        max_book_age_ms=kw.pop("max_age", 2000),
        episode_gap_ms=kw.pop("gap", 500),
        wall_clock=clock,
        **kw,
    )


def normal(mid: float = 64000.0) -> dict:
    return make_book(bids=[(mid - 0.1, 1)], asks=[(mid + 0.1, 1)])


def test_episode_lifecycle_and_snapshots_reproduce() -> None:
    sink, clock = RecordingSink(), Clock()
    e = _engine(sink, clock)
    e.on_book("okx", SYM, normal(), 0)
    e.on_book("binance", SYM, normal(), 10)
    assert sink.started == []
    clock.t += 100
    e.on_book("binance", SYM, normal(64300.0), 100)  # binance rich: buy okx, sell binance
    assert len(sink.started) == 1
    ep, inputs = sink.started[0]
    assert (ep.symbol, ep.buy_venue, ep.sell_venue) == (SYM, "okx", "binance")
    clock.t += 50
    e.on_book("binance", SYM, normal(64400.0), 150)  # bigger: new peak, same episode
    assert len(sink.started) == 1 and ep.evaluations == 2
    clock.t += 50
    e.on_book("binance", SYM, normal(), 200)  # gone
    e.sweep(250)
    assert sink.ended == []  # gap not yet elapsed
    clock.t += 600
    e.sweep(300)
    assert len(sink.ended) == 1
    ended, peak_inputs, end_inputs = sink.ended[0]
    assert ended.end_reason == "gap" and ended.end_ms == 1_000_200 and ended.duration_ms == 100
    assert ended.peak is not None and ended.peak.net_profit > ended.peak.net_profit * 0  # positive
    for snap in (inputs, peak_inputs, end_inputs):
        again = reevaluate(snap)
        assert again is not None and str(again.net_profit) == snap["result"]["net_profit"]
    assert peak_inputs["result"]["net_profit"] == str(ended.peak.net_profit)


def test_stale_other_book_is_never_used_and_ends_episode() -> None:
    sink, clock = RecordingSink(), Clock()
    e = _engine(sink, clock, max_age=1000)
    e.on_book("okx", SYM, normal(), 0)
    e.on_book("binance", SYM, normal(64300.0), 1500)  # okx book is 1500 ms old
    assert sink.started == [] and e.stats.near_miss["stale"] == 1
    e.on_book("okx", SYM, normal(), 1600)
    assert len(sink.started) == 1  # fresh again: okx update re-evaluates the pair
    e.sweep(3000)  # both books now stale
    assert sink.ended and sink.ended[0][0].end_reason == "stale"
    assert any(k == "stale" for _, _, k, _ in sink.events)


def test_crossed_book_on_a_venue_is_dropped() -> None:
    sink, clock = RecordingSink(), Clock()
    e = _engine(sink, clock)
    e.on_book("okx", SYM, normal(), 0)
    e.on_book("binance", SYM, normal(64300.0), 10)
    assert len(sink.started) == 1
    crossed = make_book(bids=[(64500.0, 1)], asks=[(64400.0, 1)])
    e.on_book("binance", SYM, crossed, 20)
    assert sink.ended[0][0].end_reason == "crossed"
    n = len(sink.opps)
    e.on_book("okx", SYM, normal(), 30)  # okx update must not evaluate against the crossed book
    assert len(sink.opps) == n  # no pair with the dropped book


def test_feed_error_invalidates_books_until_fresh_update() -> None:
    sink, clock = RecordingSink(), Clock()
    e = _engine(sink, clock)
    e.on_book("okx", SYM, normal(), 0)
    e.on_book("binance", SYM, normal(64300.0), 10)
    e.on_event("binance", SYM, "resync", "InvalidNonce: gap")
    assert sink.ended[-1][0].end_reason == "stale"
    n = len(sink.opps)
    e.on_book("okx", SYM, normal(), 20)
    assert len(sink.opps) == n  # binance book invalid until it updates
    e.on_book("binance", SYM, normal(64300.0), 30)
    assert len(sink.opps) == n + 1


def test_near_misses_are_counted_by_reason() -> None:
    sink, clock = RecordingSink(), Clock()
    e = _engine(sink, clock)
    e.on_book("okx", SYM, normal(), 0)
    e.on_book("binance", SYM, normal(64050.0), 10)  # 7.8 bps raw < 20 bps fees
    assert e.stats.near_miss["raw_only"] == 1
    thin = make_book(bids=[(64300.0, 0.00002)], asks=[(64300.2, 1)])
    e2 = Engine(
        run_id="r2",
        markets={(v, SYM): market(lot="0.00001", tick="0.1", min_cost="5") for v in ("okx", "binance")},
        fees={(v, SYM): Fee(D("0.001")) for v in ("okx", "binance")},
        limits=Limits(),
        sink=sink,
        wall_clock=clock,
    )
    e2.on_book("okx", SYM, normal(), 0)
    e2.on_book("binance", SYM, thin, 10)
    assert e2.stats.near_miss["too_thin"] == 1


def test_delayed_feed_by_venue_timestamp_is_stale() -> None:
    """A book whose venue timestamp lags the wall clock by more than twice the staleness limit is
    never evaluated (delayed messages), even though it has just been received."""
    sink, clock = RecordingSink(), Clock()
    e = _engine(sink, clock, max_age=1000)
    fresh = normal() | {"timestamp": clock.t - 50}
    e.on_book("okx", SYM, fresh, 0)
    delayed = normal(64300.0) | {"timestamp": clock.t - 2500}  # 2.5 s behind > 2 x 1 s
    e.on_book("binance", SYM, delayed, 10)
    assert sink.started == [] and e.stats.near_miss["stale"] == 1
    assert any(k == "stale" and v == "binance" for v, _, k, _ in sink.events)
    e.on_book("binance", SYM, normal(64300.0) | {"timestamp": clock.t - 20}, 20)
    assert len(sink.started) == 1  # a timely book from the same venue is used again
