"""A malformed book is blamed on its own venue, even when one venue's name contains the other's."""

from __future__ import annotations

from decimal import Decimal

import pytest

from arb.core.books import ladders
from arb.core.errors import BookError
from arb.core.model import Fee, Limits
from arb.scan.engine import Engine
from tests.kit.builders import make_book, market
from tests.unit.test_engine import Clock, RecordingSink

D = Decimal
SYM = "BTC/USDT"


def _engine(sink: RecordingSink, clock: Clock, venues: tuple[str, str]) -> Engine:
    return Engine(
        run_id="r1",
        markets={(v, SYM): market(lot="0.00001", tick="0.1") for v in venues},
        fees={(v, SYM): Fee(D("0.001")) for v in venues},
        limits=Limits(max_notional=D("1000"), min_net_bps=D("1")),
        sink=sink,
        wall_clock=clock,
    )


# the rich venue's bids break descending order below a thin top level: only the evaluator's depth walk sees it
BAD_RICH = {"bids": [[64300.0, 0.001], [64350.0, 1.0]], "asks": [[64400.0, 1.0]]}
CHEAP = make_book(bids=[(63999.9, 1)], asks=[(64000.1, 1)])


@pytest.mark.parametrize(("cheap", "rich"), [("okx", "okx2"), ("okx2", "okx"), ("binance", "binanceus")])
def test_malformed_book_invalidates_its_own_venue_only(cheap: str, rich: str) -> None:
    sink, clock = RecordingSink(), Clock()
    e = _engine(sink, clock, (cheap, rich))
    e.on_book(cheap, SYM, CHEAP, 0)
    e.on_book(rich, SYM, BAD_RICH, 10)  # crosses the cheap venue: evaluated, walk hits the bad level
    bad = [ev for ev in sink.events if ev[2] == "bad_book"]
    assert [(v, s) for v, s, _k, _d in bad] == [(rich, SYM)], sink.events
    assert e.books[(rich, SYM)].valid is False
    assert e.books[(cheap, SYM)].valid is True
    assert e.stats.near_miss["bad_book"] == 1


def test_book_error_carries_venue_and_symbol() -> None:
    bids, _asks = ladders(BAD_RICH, f"okx2 {SYM}", venue="okx2", symbol=SYM)
    with pytest.raises(BookError) as info:
        bids.load_all()
    assert (info.value.venue, info.value.symbol) == ("okx2", SYM)
    with pytest.raises(BookError) as info:
        ladders({"bids": [[2.0, 1.0]], "asks": [[1.0, 1.0]]}, "okx BTC/USDT", venue="okx", symbol=SYM)
    assert (info.value.venue, info.value.symbol) == ("okx", SYM)
