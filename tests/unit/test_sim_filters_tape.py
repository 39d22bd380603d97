"""Property tests for the simulators' money code: venue order filters (exchanges/sim/filters.py) and the
trade tape's 24 h statistics (exchanges/sim/tape.py)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from exchanges.sim.filters import check
from exchanges.sim.instruments import venue_spec
from exchanges.sim.orders import Order, Reject
from exchanges.sim.tape import DAY_MS, PublicTrade, TradeTape

D = Decimal
REF = D("65000")


def order(side: str, amount: Decimal, price: Decimal | None) -> Order:
    return Order("", "", "a", "k", "BTC/USDT", side, "limit" if price else "market", "GTC", amount, price, 0)


def expected_reason(venue: str, side: str, amount: Decimal, price: Decimal) -> str | None:
    """The rules, written out independently of filters.check, in the order the venues apply them."""
    spec = venue_spec(venue, "BTC/USDT")
    if (spec.min_price and price < spec.min_price) or (spec.max_price and price > spec.max_price):
        return "price_range"
    up, down = spec.band[:2] if side == "buy" else spec.band[2:]
    if (up is not None and price > REF * up) or (down is not None and price < REF * down):
        return "price_limit"
    if spec.max_size is not None and amount > spec.max_size:
        return "max_size"
    if amount * price < spec.min_notional:
        return "min_notional"
    if spec.max_notional is not None and amount * price > spec.max_notional:
        return "max_notional"
    return None


@given(
    venue=st.sampled_from(["okx", "binance", "bybit"]),
    side=st.sampled_from(["buy", "sell"]),
    amount=st.decimals(D("0.000001"), D("20000"), places=6),
    price=st.decimals(D("0.1"), D("2000000"), places=1),
)
def test_limit_filters_reject_exactly_what_the_rules_say(
    venue: str, side: str, amount: Decimal, price: Decimal
) -> None:
    want = expected_reason(venue, side, amount, price)
    try:
        check(venue_spec(venue, "BTC/USDT"), order(side, amount, price), REF, None)
        got = None
    except Reject as e:
        got = e.reason
        if e.reason == "price_limit":  # the venue names the band edge the price is beyond
            spec = venue_spec(venue, "BTC/USDT")
            edges = [REF * m for m in (spec.band[:2] if side == "buy" else spec.band[2:]) if m is not None]
            assert e.bound in edges and e.side == side
    assert got == want


def test_bybit_price_limit_is_the_recorded_ratio() -> None:
    spec = venue_spec("bybit", "BTC/USDT")  # priceLimitRatioX 0.01
    check(spec, order("buy", D("0.001"), D("65650")), REF, None)  # exactly ref x 1.01 is allowed
    for side, px, bound in (("buy", D("65650.1"), D("65650.00")), ("sell", D("64349.9"), D("64350.00"))):
        try:
            check(spec, order(side, D("0.001"), px), REF, None)
            raise AssertionError("accepted")
        except Reject as e:
            assert (e.reason, e.bound, e.side) == ("price_limit", bound, side)


trades = st.lists(
    st.tuples(
        st.integers(0, 3 * DAY_MS),
        st.decimals(D("0.01"), D("100000"), places=2),
        st.decimals(D("0.00001"), D("100"), places=5),
    ),
    max_size=40,
)


@given(trades=trades, now_offset=st.integers(0, DAY_MS))
def test_tape_stats_cover_exactly_the_last_24h(trades: list[tuple[int, Decimal, Decimal]], now_offset: int) -> None:
    tape = TradeTape()
    rows = sorted(trades)
    for i, (ts, px, amt) in enumerate(rows):
        tape.record(PublicTrade(str(i + 1), "X/USDT", ts, px, amt, "buy"))
    now = (rows[-1][0] if rows else 0) + now_offset
    s = tape.stats("X/USDT", now, D("7"))
    window = [(ts, px, amt) for ts, px, amt in rows if ts > now - DAY_MS]
    assert s.volume == sum((amt for _, _, amt in window), D(0))
    assert s.quote_volume == sum((px * amt for _, px, amt in window), D(0))
    assert s.trades == len(window)
    assert s.last == (rows[-1][1] if rows else D("7"))
    if window:
        assert (s.high, s.low, s.open) == (max(p for _, p, _ in window), min(p for _, p, _ in window), window[0][1])
