"""Paper decides on the books a live run would see after its own takes: the gate re-evaluates a sighting on
the books minus what the paper venues took (issue 15). Before, paper kept accepting a dislocation it had
already bought, because the venue's books never show paper's orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from arb.core.kinds import Verdict
from arb.core.model import Balances, Fee
from arb.trade.accounts import Marks
from arb.trade.paper import PaperBooks, PaperVenue
from tests.unit.test_gate import SYM, T0, gate, sighting

D = Decimal


class Client:
    """A market-data client holding one book (what PaperVenue reads)."""

    def __init__(self, venue: str, book: Any) -> None:
        self.id = venue
        self.markets = {SYM: {"symbol": SYM, "base": "BTC", "quote": "USDT", "limits": {"amount": {"min": 0.00001}}}}
        self.orderbooks = {SYM: book}

    def amount_to_precision(self, symbol: str, amount: float) -> str:
        return str(D(str(amount)).quantize(D("0.00001"), rounding="ROUND_DOWN"))


def paper_gate(s: Any) -> tuple[Any, dict[str, PaperVenue]]:
    venues = {
        v: PaperVenue(v, Client(v, slot.book), fees={(v, SYM): Fee(D("0.001"))}, latency_ms=0, run_id="g")
        for v, slot in (("okx", s.buy_book), ("bybit", s.sell_book))
    }
    g = gate(confirm=1)
    g.paper = PaperBooks(venues)
    return g, venues


async def test_paper_gate_refuses_what_paper_already_took_and_sizes_to_what_is_left() -> None:
    s = sighting()
    g, venues = paper_gate(s)
    first = g.decide(s, balances=Balances(), marks=Marks(), now_ms=T0)
    assert first.verdict == Verdict.ACCEPT and first.trade is not None
    assert first.trade == s.opp  # nothing taken yet: the sighting as it is (max_notional caps it)
    await venues["okx"].create_order(SYM, "limit", "buy", 0.015, 64000.0)  # paper bought most of the cheap ask
    again = g.decide(s, balances=Balances(), marks=Marks(), now_ms=T0)
    assert again.verdict == Verdict.ACCEPT and again.trade is not None and again.trade.buy.amount == D("0.005")
    await venues["okx"].create_order(SYM, "limit", "buy", 0.005, 64000.0)
    assert g.decide(s, balances=Balances(), marks=Marks(), now_ms=T0).verdict == Verdict.DEPTH


async def test_live_gate_and_untouched_books_decide_as_before() -> None:
    s = sighting()
    g, _ = paper_gate(s)
    live = gate(confirm=1)
    a = g.decide(s, balances=Balances(), marks=Marks(), now_ms=T0)
    b = live.decide(s, balances=Balances(), marks=Marks(), now_ms=T0)
    assert a.verdict == b.verdict == Verdict.ACCEPT and a.trade == b.trade == s.opp
