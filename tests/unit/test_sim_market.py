"""The simulator's market process: determinism, dislocation schedule, books, liquidity and refill."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchanges.sim.market import Grid, MarketParams, MarketProcess, VenueProfile

SYMS = ["BTC/USDT", "ETH/USDT"]
VENUES = ["okx", "binance"]


def run(seed: int, steps: int = 200) -> tuple[list[tuple[object, ...]], list[object]]:
    m = MarketProcess(SYMS, VENUES, seed=seed, params=MarketParams(dislocation_rate_per_min=6.0))
    out = []
    for k in range(1, steps + 1):
        for u in m.step(k * 100):
            out.append((u.venue, u.symbol, u.seq, u.prev_seq, u.ts_ms, tuple(u.bids), tuple(u.asks)))
    return out, list(m.schedule)


def test_same_seed_same_updates_and_schedule() -> None:
    assert run(42) == run(42)
    assert run(42)[0] != run(43)[0]


def test_schedule_is_readable_and_moves_the_venue_price() -> None:
    m = MarketProcess(
        SYMS, VENUES, seed=5, params=MarketParams(dislocation_rate_per_min=30.0, dislocation_bps=(50.0, 50.0))
    )
    assert m.schedule, "a high rate must schedule dislocations within the horizon"
    d = m.schedule[0]
    assert d.symbol in SYMS and d.venue in VENUES and d.end_ms > d.start_ms and abs(d.bps) == 50.0
    m.step(d.start_ms + 1)
    other = next(v for v in VENUES if v != d.venue)
    gap_bps = (m.venue_mid(d.venue, d.symbol) / m.venue_mid(other, d.symbol) - 1) * 10_000
    assert gap_bps == pytest.approx(d.bps, abs=10)  # venue noise is ~1 bps per venue
    assert d in m.active_dislocations()
    m.step(d.end_ms + 1)
    assert d not in m.active_dislocations()


def test_books_are_sane_and_updates_chain() -> None:
    m = MarketProcess(SYMS, VENUES, seed=1, profiles={"okx": VenueProfile(levels=10)})
    prev = {k: b.seq for k, b in m.books.items()}
    for k in range(1, 100):
        for u in m.step(k * 50):
            assert u.prev_seq == prev[(u.venue, u.symbol)] and u.seq > u.prev_seq
            prev[(u.venue, u.symbol)] = u.seq
        for (venue, _), book in m.books.items():
            bids, asks = book.sorted_levels("bid"), book.sorted_levels("ask")
            assert bids[0][0] < asks[0][0]
            assert len(bids) <= (10 if venue == "okx" else 25)


def test_fill_consumes_liquidity_then_refills() -> None:
    m = MarketProcess(
        ["BTC/USDT"],
        ["okx"],
        seed=2,
        profiles={"okx": VenueProfile(churn_levels=0, noise_bps=0)},
        params=MarketParams(volatility_bps_per_sqrt_s=0.0, dislocation_rate_per_min=0.0),
    )
    book = m.book("okx", "BTC/USDT")
    tick, lots = book.sorted_levels("ask")[0]
    m.consume("okx", "BTC/USDT", "ask", tick, lots)
    assert tick not in book.asks and tick in book.pub_asks  # live changed, published not yet
    upd = m.flush("okx", "BTC/USDT", 10)
    assert upd is not None and (tick, 0) in upd.asks
    m.step(1000)  # refill_per_s=0.5: half of the consumed level is back after one second
    assert 0 < book.asks[tick] < lots
    for k in range(2, 30):
        m.step(k * 1000)
    assert book.asks[tick] == lots


def test_crossed_injection_publishes_bid_above_ask() -> None:
    m = MarketProcess(["ETH/USDT"], ["okx"], seed=3)
    m.inject_crossed("okx", "ETH/USDT", until_ms=500, ticks=3)
    m.step(100)
    book = m.book("okx", "ETH/USDT")
    assert book.sorted_levels("bid")[0][0] == book.sorted_levels("ask")[0][0] + 3
    m.step(600)
    assert book.sorted_levels("bid")[0][0] < book.sorted_levels("ask")[0][0]


@pytest.mark.parametrize(
    ("tick", "ticks", "text"),
    [
        ("0.1", 650001, "65000.1"),
        ("0.1", 650000, "65000"),
        ("0.00001", 12345, "0.12345"),
        ("0.5", 3, "1.5"),
        ("1", 42, "42"),
        ("0.0001", 10, "0.001"),
    ],
)
def test_grid_strings(tick: str, ticks: int, text: str) -> None:
    g = Grid(Decimal(tick), Decimal("0.00000001"))
    assert g.price_str(ticks) == text
    assert Decimal(text) == g.price(ticks)
    assert g.ticks_of(Decimal(text)) == ticks
    assert g.size_str(150_000_000) == "1.5"
