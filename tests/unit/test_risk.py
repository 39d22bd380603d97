"""The risk gate: pure, explicit now_ms. Limits, halts, breakers, balances, directions; money properties."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from arb.config import RiskConfig
from arb.core.model import Leg, Opportunity
from arb.trade.accounts import Marks
from arb.trade.risk import DAY_MS, BalanceBook, ExposureEntry, RiskGate, VenueErrors, direction_blocker, mark_of

D = Decimal
T0 = 1_800_000_000_000  # a fixed "now"


def opp(cost: str = "500", amount: str | None = None, buy: str = "okx", sell: str = "bybit") -> Opportunity:
    """An opportunity whose notional (B·VWAP_buy at 50,000) is ``cost`` unless ``amount`` is given."""
    qty = D(amount) if amount is not None else D(cost) / D(50000)
    b = Leg(buy, "buy", qty, D(50000), D(50000), D(50000), D(0), 1)
    s = Leg(sell, "sell", qty, D(50100), D(50100), D(50100), D(0), 1)
    return Opportunity("BTC/USDT", b, s, D(cost), D(cost) + 1, D(2), D(1), D(1), D(20))


def mids(m: dict[tuple[str, str], Decimal]) -> Marks:
    out = Marks()
    out.update(m)
    return out


def gate(**kw: object) -> RiskGate:
    return RiskGate(RiskConfig(**kw))  # type: ignore[arg-type]


def test_clean_opportunity_passes_and_limits_refuse() -> None:
    g = gate(max_notional_per_trade=D(1000))
    assert g.check(opp(), T0) is None
    assert g.check(opp(cost="1500"), T0) == "notional"
    g.begin("a", opp())
    assert g.check(opp(), T0) == "in_flight"  # max_in_flight = 1
    assert g.end("a", ok=True, now_ms=T0) is None
    assert g.check(opp(), T0) is None


def test_exposure_limits_count_open_exposure_and_in_flight_notional() -> None:
    g = gate(max_exposure_per_asset=D(1000), max_exposure_per_venue=D(5000), max_in_flight=3)
    g.set_exposure(ExposureEntry(1, "x", "okx", "BTC/USDT", D("0.01")))
    marks = mids({("okx", "BTC/USDT"): D(50000), ("binance", "BTC/USDT"): D(51000)})  # symbol mean 50500
    assert g.asset_exposure("BTC", marks) == D(500)  # marked on its own venue
    assert g.check(opp(cost="400"), T0, marks) is None
    assert g.check(opp(cost="600"), T0, marks) == "exposure_asset"
    g.begin("f", opp(cost="400"))
    assert g.check(opp(cost="200"), T0, marks) == "exposure_asset"  # 500 open + 400 flying + 200
    g2 = gate(max_exposure_per_asset=D(10**6), max_exposure_per_venue=D(800), max_in_flight=3)
    g2.set_exposure(ExposureEntry(1, "x", "bybit", "BTC/USDT", D("-0.01")))
    assert g2.check(opp(cost="400"), T0, marks) == "exposure_venue"  # |−0.01| × 50500 + 400 > 800


def test_daily_loss_halts_until_utc_midnight() -> None:
    g = gate(daily_loss_limit=D(10), max_in_flight=2)
    g.begin("a", opp())
    g.end("a", ok=False, now_ms=T0)  # bought base, the sell leg failed: realised −500, 0.01 base held
    g.set_exposure(ExposureEntry(1, "a", "okx", "BTC/USDT", D("0.01"), traded_price=D(50000)))  # as journaled
    assert g.check_daily_loss(T0, D(-500), D(495)) is None  # −500 + 495 = −5
    halt = g.check_daily_loss(T0, D(-500), D(490))  # −500 + 490 = −10
    assert halt is not None and halt.reason == "daily_loss" and "-10" in halt.detail
    assert g.check(opp(), T0 + 1) == "halted_daily_loss"
    next_day = (T0 // DAY_MS + 1) * DAY_MS
    assert halt.until_ms == next_day
    assert g.check(opp(), next_day) is None  # a new UTC day: lifted (the exposure still counts in limits)


def test_consecutive_failures_trip_and_success_resets() -> None:
    g = gate(max_consecutive_failures=3, max_in_flight=5)
    for i in range(2):
        g.begin(str(i), opp())
        assert g.end(str(i), ok=False, now_ms=T0) is None
    g.begin("ok", opp())
    g.end("ok", ok=True, now_ms=T0)
    assert g.failures_in_row == 0
    for i in range(3):
        g.begin(f"f{i}", opp())
        halt = g.end(f"f{i}", ok=False, now_ms=T0)
    assert halt is not None and halt.reason == "consecutive_failures" and halt.until_ms is None
    assert g.check(opp(), T0 + 10 * DAY_MS) == "halted_consecutive_failures"  # sticky


def test_first_halt_wins_and_kill_is_sticky() -> None:
    g = gate()
    assert g.halt("kill", "operator", T0) is not None
    assert g.halt("daily_loss", "x", T0) is None and g.halted is not None and g.halted.reason == "kill"
    assert g.lift_expired(T0 + 2 * DAY_MS) is None


def test_venue_error_rate_breaker_pauses_then_resumes() -> None:
    e = VenueErrors(D("0.5"), window=10, min_samples=4, pause_ms=1000)
    assert [e.record("okx", ok, T0) for ok in (True, False, False)] == [None, None, None]  # too few samples
    why = e.record("okx", False, T0)
    assert why is not None and "okx" in why and e.paused("okx", T0 + 999) and not e.paused("okx", T0 + 1000)
    g = gate(max_venue_error_rate=D("0.25"))
    for ok in (False, False, False, False):
        g.order_outcome("bybit", ok, T0)
    assert g.check(opp(), T0) == "venue_paused"


def test_balances_spendable_minimums_reservations_and_drift() -> None:
    b = BalanceBook({"okx": {"USDT": D(100)}})
    assert b.spendable("okx", "USDT") is None  # unknown until fetched
    b.set_fetched("okx", {"USDT": D(1000), "BTC": D(1)}, {"USDT": D(900), "BTC": D(1)})
    assert b.spendable("okx", "USDT") == D(800)  # free − minimum
    b.reserve("t", "okx", "buy", {"USDT": D(300)})
    assert b.spendable("okx", "USDT") == D(500)
    b.release("t")
    b.apply("okx", "BTC", D("0.5"))
    assert b.drift("okx", {"USDT": D(1000), "BTC": D("1.5")}, D("0.01")) == []
    assert b.drift("okx", {"USDT": D(1000), "BTC": D("1.4")}, D("0.01")) == [("BTC", D("1.5"), D("1.4"))]
    assert b.drift("okx", {"USDT": D(1000), "BTC": D("1.5"), "ETH": D(1)}, D("0.5"))[0][0] == "ETH"
    assert b.below_minimum("okx") == []
    b.apply("okx", "USDT", D(-850))
    assert b.below_minimum("okx") == ["USDT"] and b.spendable("okx", "USDT") == 0


def test_directions_disable_and_enable_on_change_only() -> None:
    g = gate()
    b = BalanceBook()
    b.set_fetched("okx", {"USDT": D(5)}, {"USDT": D(5)})
    b.set_fetched("bybit", {"BTC": D(1)}, {"BTC": D(1)})
    why = direction_blocker("BTC/USDT", "okx", "bybit", b.spendable, D("0.0001"), D(10))
    assert why is not None and "okx has 5 USDT" in why
    key = ("BTC/USDT", "okx", "bybit")
    assert g.update_direction(key, why) == "disabled" and g.update_direction(key, why) is None
    assert g.check(opp(), T0) == "direction_disabled"
    b.apply("okx", "USDT", D(100))
    assert direction_blocker("BTC/USDT", "okx", "bybit", b.spendable, D("0.0001"), D(10)) is None
    assert g.update_direction(key, None) == "enabled" and g.update_direction(key, None) is None


money = st.decimals(min_value=D("-1000"), max_value=D("1000"), places=8, allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value=D("0.0001"), max_value=D("100000"), places=4, allow_nan=False, allow_infinity=False)


@given(st.lists(st.tuples(money, st.sampled_from(["okx", "bybit"])), max_size=6), prices, prices)
def test_exposures_are_marked_at_their_venue_mid(
    exposures: list[tuple[Decimal, str]], okx: Decimal, bybit: Decimal
) -> None:
    g = gate(max_in_flight=10)
    for i, (base, venue) in enumerate(exposures):
        g.set_exposure(ExposureEntry(i + 1, str(i), venue, "BTC/USDT", base))
    g.begin("r", opp())
    g.end("r", ok=True, now_ms=T0)
    marks = mids({("okx", "BTC/USDT"): okx, ("bybit", "BTC/USDT"): bybit})
    # each exposure is marked at its own venue's mid, and a venue's exposure is linear in that mark:
    # doubling every mid adds exactly the venue's open exposure at the old mids (in-flight notional is fixed)
    for e in g.exposures.values():
        assert mark_of(e, marks) == (okx if e.venue == "okx" else bybit)
    doubled = mids({k: 2 * m for k, m in marks.mids.items()})
    for venue, mid in (("okx", okx), ("bybit", bybit)):
        open_q = sum((abs(b) * mid for b, v in exposures if v == venue and b != 0), D(0))
        assert g.venue_exposure(venue, doubled) - g.venue_exposure(venue, marks) == open_q
    assert g.asset_exposure("BTC", marks) == sum(
        (abs(b) * (okx if v == "okx" else bybit) for b, v in exposures if b != 0), D(0)
    ) + sum((f.notional for f in g.in_flight.values()), D(0))


def test_full_size_trade_at_default_limits_is_not_refused_as_notional() -> None:
    """The evaluator caps B·VWAP_buy at scanner.max_notional; the risk gate must use the same
    notional (not cost, which adds the slippage buffer and fees), or every full-size trade fails."""
    from arb.core.evaluator import evaluate
    from arb.core.model import Fee, Limits
    from arb.trade.risk import RiskGate
    from tests.kit.builders import make_book, market

    opp = evaluate(
        make_book(bids=[(99.0, 1)], asks=[(100.0, 50)]),
        make_book(bids=[(101.0, 50)], asks=[(102.0, 1)]),
        buy_market=market("X/USDT", lot="0.01", tick="0.01"),
        sell_market=market("X/USDT", lot="0.01", tick="0.01"),
        buy_fee=Fee(Decimal("0.001")),
        sell_fee=Fee(Decimal("0.001")),
        limits=Limits(max_notional=Decimal("1000"), slippage_bps=Decimal("2")),
    )
    assert opp is not None and opp.notional <= Decimal("1000") < opp.cost
    gate = RiskGate(RiskConfig())  # defaults: max_notional_per_trade = 1000
    assert gate.check(opp, 0) != "notional"
