"""Market profiles on the pure market process (no network): realistic book shape and cadence, persistent
takes bounded by visible depth plus replenishment, competitors closing dislocations within their reaction
distribution, latency draws within their bounds. Seeded and stepped: no wall clock."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

import pytest

from exchanges.sim.depth import profile_lots, replenished_lots
from exchanges.sim.instruments import venue_specs
from exchanges.sim.latency import Dist
from exchanges.sim.market import Dislocation, MarketProcess
from exchanges.sim.matching import MatchingEngine
from exchanges.sim.orders import Reject
from exchanges.sim.profiles import MarketProfile, get_profile
from exchanges.sim.traders import Competitors

VENUES = ["okx", "binance", "bybit"]
FEE = Decimal("0.001")


def market(profile: MarketProfile, symbols: list[str], seed: int = 3) -> MarketProcess:
    specs = venue_specs({v: v for v in VENUES}, symbols)
    return MarketProcess(symbols, VENUES, seed, profile.params, {v: profile.venue(v) for v in VENUES}, specs, 0)


def engines(m: MarketProcess) -> dict[str, MatchingEngine]:
    out = {v: MatchingEngine(v, m, taker_fee=FEE, maker_fee=FEE) for v in VENUES}
    for e in out.values():
        e.fund("arb", {"USDT": Decimal(10) ** 12, "BTC": Decimal(10) ** 6, "ETH": Decimal(10) ** 6})
    return out


@pytest.mark.parametrize("symbol", ["BTC/USDT", "ETH/USDT", "DOGE/USDT"])
def test_realistic_books_are_one_tick_wide_dense_and_follow_the_depth_profile(symbol: str) -> None:
    prof = get_profile("realistic")
    m = market(prof, [symbol])
    for step in range(1, 50):
        m.step(step * prof.step_ms)
        for v in VENUES:
            book = m.book(v, symbol)
            bids, asks = book.sorted_levels("bid", False), book.sorted_levels("ask", False)
            assert asks[0][0] - bids[0][0] == 1, (v, bids[0], asks[0])  # a 1-tick spread
            assert [t for t, _ in asks] == list(range(asks[0][0], asks[0][0] + 50))  # a level at every tick
            assert [t for t, _ in bids] == list(range(bids[0][0], bids[0][0] - 50, -1))
            spec, vp = m.spec(v, symbol), prof.venue(v)
            want = profile_lots(50, vp.level_notional * prof.params.depth_scale[symbol], 0.05, spec.mid, spec.lot)
            assert [n for _, n in asks] == list(want) and [n for _, n in bids] == list(want)


def test_each_venue_pushes_at_its_documented_interval() -> None:
    prof = get_profile("realistic")
    m = market(prof, ["BTC/USDT"])
    pushes: dict[str, list[int]] = {v: [] for v in VENUES}
    for step in range(1, 101):  # one second of market time in 10 ms steps
        for upd in m.step(step * prof.step_ms):
            pushes[upd.venue].append(upd.ts_ms)
            assert upd.ts_ms == step * prof.step_ms
    for venue, every in (("bybit", 20), ("okx", 100), ("binance", 100)):  # orderbook.50, books, depth@100ms
        gaps = [b - a for a, b in zip(pushes[venue], pushes[venue][1:], strict=False)]
        assert all(g >= every and g % every == 0 for g in gaps), (venue, gaps)
        assert len(pushes[venue]) >= 1000 // every - 2  # a step without a change pushes nothing


def test_demo_pushes_every_step() -> None:
    prof = get_profile("demo")
    m = market(prof, ["BTC/USDT"])
    counts = Counter(u.venue for step in range(1, 11) for u in m.step(step * prof.step_ms))
    assert counts == {v: 10 for v in VENUES}


def ioc_buys(profile: str, symbol: str, bps: float, steps: int) -> tuple[Decimal, Decimal, Decimal]:
    """Buy a planted ``bps`` dislocation on okx with IOC orders every step (no competitors); returns
    (visible profitable depth at first look, total bought, the replenishment over the interval)."""
    prof = get_profile(profile)
    m = market(prof, [symbol])
    eng = engines(m)
    m.schedule.append(Dislocation(symbol, "okx", 1000, 10**9, bps))
    step_ms = prof.step_ms
    t = 1000
    m.step(t)
    grid, spec = m.book("okx", symbol).grid, m.spec("okx", symbol)

    def limit() -> int:  # the highest okx ask still profitable against binance's best bid after two fees
        bid = m.book("binance", symbol).sorted_levels("bid", False)[0][0]
        px = m.book("binance", symbol).grid.price(bid) * (1 - 2 * FEE)
        return int(px // grid.tick)

    first = limit()
    visible = sum(grid.size(n) for tk, n in m.book("okx", symbol).sorted_levels("ask") if tk <= first)
    bought, t0 = Decimal(0), t
    for _ in range(steps):
        try:
            order = eng["okx"].place(
                account="arb", key="k", symbol=symbol, side="buy", type="limit", amount=visible,
                price=grid.price(limit()), tif="IOC", now_ms=t,
            )  # fmt: skip
            bought += order.filled
        except Reject:
            pass
        t += step_ms
        m.step(t)
    vp = prof.venue("okx")
    refill = replenished_lots(vp.replenish_quote_per_s or 0.0, prof.params.depth_scale.get(symbol, 1.0), t - t0,
                              spec.mid, spec.lot)  # fmt: skip
    return visible, bought, grid.size(int(refill) + 1)


@pytest.mark.parametrize("symbol", ["BTC/USDT", "ETH/USDT"])
def test_realistic_repeated_iocs_take_at_most_the_visible_depth_plus_replenishment(symbol: str) -> None:
    visible, bought, refill = ioc_buys("realistic", symbol, -40.0, steps=50)
    assert visible > 0 and bought >= visible  # everything visible at first look was there to take
    assert bought <= visible + refill, (bought, visible, refill)


def test_demo_refills_what_was_taken_on_the_next_updates() -> None:
    """The demo rule, kept for showing the product: the same loop takes many times the visible depth."""
    visible, bought, _ = ioc_buys("demo", "BTC/USDT", -40.0, steps=50)
    assert bought > 3 * visible


def test_competitors_close_dislocations_within_their_reaction_distribution() -> None:
    prof = get_profile("realistic")
    assert prof.takers is not None
    m = market(prof, ["BTC/USDT", "ETH/USDT"], seed=11)
    eng = engines(m)
    comp = Competitors(m, eng, prof.takers, seed=11)
    rng = random.Random(5)
    planted = []
    for i in range(20):  # dislocations long enough that only a competitor ends them early
        d = Dislocation(rng.choice(["BTC/USDT", "ETH/USDT"]), rng.choice(VENUES), 1000 + i * 2000, 10**9 + i,
                        rng.choice([-35.0, 35.0]))  # fmt: skip
        m.schedule.append(d)
        planted.append(d)
    step = prof.step_ms
    for k in range(1, 4200):
        m.step(k * step)
        comp.on_step(k * step)
    closed = {c.dislocation: c for c in comp.closures}
    assert set(planted) <= set(closed)
    react = prof.takers.reaction
    for d in planted:
        c = closed[d]
        assert react.floor_ms <= c.reaction_ms <= react.cap_ms
        assert c.reaction_ms <= c.closed_ms - d.start_ms < c.reaction_ms + step  # first step after reacting
        assert c.filled > 0
        ended = next(x for x in m.schedule if x.start_ms == d.start_ms and x.venue == d.venue)
        assert ended.end_ms == c.closed_ms  # the venue's price is back from there on
        trades = [tr for tr in eng[d.venue].tape.trades(d.symbol) if tr.ts_ms == c.closed_ms]
        assert sum(tr.amount for tr in trades) == c.filled  # the competitor's fills are public trades
        assert all(tr.side == ("buy" if d.bps < 0 else "sell") for tr in trades)
    assert comp.order_log and all(e["key"] == "competitor" for e in comp.order_log)


def test_latency_draws_stay_within_bounds_and_centre_on_the_median() -> None:
    dist = Dist(15.0, 80.0, 2.0, 250.0)
    rng = random.Random(1)
    draws = sorted(dist.draw(rng) for _ in range(4000))
    assert draws[0] >= 2.0 and draws[-1] <= 250.0
    assert 13.5 <= draws[2000] <= 16.5 and 65.0 <= draws[3960] <= 95.0


def test_bad_profile_and_bad_latency_get_one_clear_line() -> None:
    with pytest.raises(ValueError, match="profile='fast': use one of demo, realistic"):
        get_profile("fast")
    with pytest.raises(ValueError, match="floor_ms <= median_ms"):
        Dist(50.0, 10.0)
