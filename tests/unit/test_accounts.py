"""The day's PnL has one source, the opportunities' legs (arb.trade.accounts), so realised and marked exposure can
never disagree about which legs they count. Reproduces the chaos run's false daily-loss halt (journal
/tmp/h1-chaos-run): two opposite exposures open, realised already holding both opportunities' quote flows, but
only one exposure marked (−191.7 while the venues were +7.98)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from arb.config import RiskConfig
from arb.core.ledger import LegFill
from arb.core.model import MarketSpec
from arb.store import Journal
from arb.trade.accounts import DAY_MS, Accounts, DayPnl, Marks
from arb.trade.balances import BalanceBook
from arb.trade.risk import RiskGate
from arb.trade.riskstate import rebuild

D = Decimal
DAY0 = 20_600 * DAY_MS
T0 = DAY0 + 10 * 3_600_000
SPEC = MarketSpec("BTC/USDT", "BTC", "USDT", D("0.00000001"), D("0.1"))
LOTS = {(v, "BTC/USDT"): SPEC for v in ("okx", "bybit", "binance")}


def leg(cid: str, venue: str, side: str, amount: str, price: str, fee: str = "0") -> LegFill:
    a = D(amount)
    return LegFill(
        venue, "BTC/USDT", side, cid, a, D(price), state="closed", filled=a, cost=a * D(price), fees=(("USDT", D(fee)),)
    )


def chaos_legs() -> dict[str, list[LegFill]]:
    """The two opportunities of the chaos run at the halt: one short on bybit, one long on okx (other legs unfilled)."""
    return {
        "1d0a477b9b80-3.2": [leg("s3", "bybit", "sell", "0.00307459", "65236", "0.2")],  # exposure #3: short
        "c56b3568328d-1.25": [leg("b5", "okx", "buy", "0.00307692", "64906", "0.2")],  # exposure #5: long
    }


def marks(okx: str, bybit: str) -> Marks:
    m = Marks()
    m.update({("okx", "BTC/USDT"): D(okx), ("bybit", "BTC/USDT"): D(bybit)})
    return m


def test_two_opposite_exposures_are_both_marked() -> None:
    day = DayPnl(LOTS)
    for opp_id, legs in chaos_legs().items():
        for x in legs:
            day.record(opp_id, x, T0)
    m = marks("64900", "64910")
    realised, unrealised = day.pnl(T0 + 1, m)
    assert realised == D("0.00307459") * 65236 - D("0.2") - D("0.00307692") * 64906 - D("0.2")
    assert unrealised == D("0.00307692") * 64900 - D("0.00307459") * 64910  # each at its own venue's mid
    assert abs(realised + unrealised) < 2  # the venues are about flat: no −190 loss
    gate = RiskGate(RiskConfig(daily_loss_limit=D(100)))
    assert gate.check_daily_loss(T0 + 1, realised, unrealised) is None


def order(
    j: Journal, opp_id: str, cid: str, venue: str, side: str, amount: str, price: str, ts: int, filled: bool
) -> None:
    j.record_order_intent(
        {
            "client_id": cid,
            "run_id": "r",
            "opportunity_id": opp_id,
            "venue": venue,
            "symbol": "BTC/USDT",
            "side": side,
            "type": "limit",
            "tif": "IOC",
            "amount": D(amount),
            "price": D(price),
            "created_ms": ts,
        }
    )
    j.update_order(cid, state="closed" if filled else "canceled", filled=D(amount) if filled else D(0), updated_ms=ts)
    if filled:
        fill = {"client_id": cid, "venue": venue, "trade_id": f"t-{cid}", "ts_ms": ts, "amount": D(amount)}
        j.write_batch([("fill", fill | {"price": D(price), "fee": D("0.2"), "fee_currency": "USDT"})])


def test_restart_rebuild_marks_every_opportunity_the_realised_pnl_counts(tmp_path: Path) -> None:
    """On restart the day is rebuilt from the journal: an exposure the start-up reconcile records later (not yet in
    the exposures table) is still marked, because PnL comes from the legs, not from exposure rows."""
    j = Journal.open(tmp_path / "arb.db")
    # a completed arbitrage: realised +0.9 or so, no residual
    order(j, "ok.1", "ok-b", "okx", "buy", "0.003", "64900", T0 - 20_000, True)
    order(j, "ok.1", "ok-s", "bybit", "sell", "0.003", "65300", T0 - 20_000, True)
    # #3: sold on bybit, the okx buy never executed (an exposure row is open)
    order(j, "x.3", "x-b", "okx", "buy", "0.00307767", "65000", T0 - 9_400, False)
    order(j, "x.3", "x-s", "bybit", "sell", "0.00307459", "65236", T0 - 9_400, True)
    j.record_exposure(
        {
            "opportunity_id": "x.3",
            "venue": "bybit",
            "symbol": "BTC/USDT",
            "base_delta": D("-0.00307459"),
            "state": "open",
            "created_ms": T0 - 9_400,
            "updated_ms": T0 - 9_400,
            "detail": "",
        }
    )
    # #5: bought on okx, the binance sell cancelled unfilled; its exposure row is not journaled yet
    order(j, "y.5", "y-b", "okx", "buy", "0.00307692", "64906", T0 - 300, True)
    order(j, "y.5", "y-s", "binance", "sell", "0.00307692", "65200", T0 - 300, False)
    state = rebuild(j, T0)
    accounts = Accounts(BalanceBook(), LOTS)
    accounts.day.load(state.opportunities, state.since_ms)
    accounts.marks.update({("okx", "BTC/USDT"): D("64900"), ("bybit", "BTC/USDT"): D("64910")})
    realised, unrealised = accounts.pnl(T0)
    assert realised == state.realised  # one formula for the rebuilt realised PnL and the day book
    assert abs(realised + unrealised) < 3  # both residuals marked: about flat
    assert RiskGate(RiskConfig(daily_loss_limit=D(100))).check_daily_loss(T0, realised, unrealised) is None
    # a leg reconcile journals after the restart joins its opportunity (here: the hedge of #3 flattens it)
    accounts.leg_journaled("x.3", leg("x-h", "bybit", "buy", "0.00307459", "64950", "0.2"), T0 + 5)
    _, unrealised2 = accounts.pnl(T0 + 10)
    assert unrealised2 == D("0.00307692") * 64900  # only #5's long is left to mark


amounts = st.decimals(min_value=D("0.001"), max_value=D("1"), places=5)
prices = st.decimals(min_value=D("100"), max_value=D("100000"), places=2)


@given(amounts, prices, prices, prices, prices)
def test_a_complete_arbitrage_is_worth_its_quote_net_whatever_the_marks(
    b: Decimal, buy_px: Decimal, sell_px: Decimal, okx: Decimal, bybit: Decimal
) -> None:
    day = DayPnl(LOTS)
    day.record("a", leg("b", "okx", "buy", str(b), str(buy_px)), T0)
    day.record("a", leg("s", "bybit", "sell", str(b), str(sell_px)), T0)
    realised, unrealised = day.pnl(T0, marks(str(okx), str(bybit)))
    assert realised == b * (sell_px - buy_px) and unrealised == 0


def test_day_window_rollover_and_resume() -> None:
    day = DayPnl(LOTS)
    day.record("y", leg("y", "okx", "buy", "0.01", "50000"), DAY0 - 1)  # yesterday
    day.record("t", leg("t", "okx", "buy", "0.01", "50000"), T0)
    m = marks("49000", "49000")
    assert day.pnl(T0, m) == (D(-500), D(490))
    assert day.realised_on(DAY0 // DAY_MS - 1) == D(-500)
    day.resume(T0 + 1)  # an operator resumed a daily-loss halt: the day counts from now
    assert day.pnl(T0 + 2, m) == (D(0), D(0))
    day.prune(DAY0 + 2 * DAY_MS)
    assert not day.opportunities


def test_a_residual_no_mid_values_yet_is_worth_the_price_its_legs_traded_it_at(tmp_path: Path) -> None:
    """A restart rebuilds the day before any book arrives: the long exposure's purchase is in realised at once.
    Its base valued at 0 made the day a −500 loss and tripped the durable daily-loss halt; it is worth what was
    paid for it until a mid values it (test_daily_loss_restart.py is the same through `arb run`)."""
    j = Journal.open(tmp_path / "arb.db")
    order(j, "x.1", "x-b", "okx", "buy", "0.00769", "65012", T0 - 5_000, True)  # bought ≈ 500 USDT
    order(j, "x.1", "x-s", "bybit", "sell", "0.00769", "65378", T0 - 5_000, False)  # the sell was refused
    state = rebuild(j, T0)
    accounts = Accounts(BalanceBook(), LOTS)
    accounts.day.load(state.opportunities, state.since_ms)
    realised, unrealised = accounts.pnl(T0)  # no book seen yet: no marks
    assert realised == -D("0.00769") * 65012 - D("0.2")
    assert unrealised == D("0.00769") * 65012 and realised + unrealised == -D("0.2")  # only the fee is lost
    assert RiskGate(RiskConfig(daily_loss_limit=D(100))).check_daily_loss(T0, realised, unrealised) is None
    accounts.marks.update({("bybit", "BTC/USDT"): D(64000)})  # a mid (another venue's) values it from then on
    assert accounts.pnl(T0 + 1)[1] == D("0.00769") * 64000
    # a short residual without a mark: worth what its sell received
    day = DayPnl(LOTS)
    day.record("s.1", leg("s", "okx", "sell", "0.01", "60000", "0.5"), T0)
    assert day.pnl(T0, Marks()) == (D(599.5), D(-600))
    j.close()


def test_the_day_marks_exactly_the_residual_the_executor_records_as_exposure() -> None:
    """One dust rule (arb.trade.dust): a long residual no hedge could sell (below the lot, the minimum amount, or
    the minimum cost at the hedge's price) is dust for the executor's settlement and for the day's PnL alike."""
    from arb.core.ledger import Position
    from arb.trade.settle import Settlement

    spec = MarketSpec("BTC/USDT", "BTC", "USDT", D("0.00001"), D("0.1"), min_amount=D("0.0001"), min_cost=D(5))
    markets = {(v, "BTC/USDT"): spec for v in ("okx", "bybit")}
    settle = Settlement()
    settle.markets = markets
    settle.books = lambda v, s: {"bids": [[50000, 1]], "asks": [[50001, 1]]}
    m = Marks()
    m.update({(v, "BTC/USDT"): D(50000) for v in ("okx", "bybit")})  # the mid where settle sees the bid
    dust = settle.dust("BTC/USDT", ("okx", "bybit"))
    assert dust == D("0.00011")  # 5 USDT at the bid less the hedge band, on the lot grid
    for left in ("0.00001", "0.0001", "0.00010999", "0.00011", "0.001", "-0.00001"):
        day = DayPnl(markets)
        day.record("a", leg("b", "okx", "buy", "0.01", "50000"), T0)
        day.record("a", leg("s", "bybit", "sell", str(D("0.01") - D(left)), "50010"), T0)
        entry = day.opportunities["a"]
        recorded = Position.of("BTC/USDT", entry.legs.values()).exposure(dust)
        assert entry.residual(markets, m)[1] == recorded, left
