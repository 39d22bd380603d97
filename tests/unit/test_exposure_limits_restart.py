"""The exposure limits after a restart: an open exposure a previous run left in the journal counts toward
``risk.max_exposure_per_venue`` / ``risk.max_exposure_per_asset`` at once, before any book of its symbol arrives
(the day's PnL rule, :meth:`arb.trade.accounts.Marks.value`: its venue's mid, else the symbol's mid elsewhere,
else the price its own legs traded it at). With no price at all, trades it could push over a limit are refused
(``exposure_unpriced``), never accepted as if it were worth 0.

Real SQLite journal rows as the previous run left them; the restart loads them through the supervisor."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from arb.config import Config, RiskConfig
from arb.core.model import Leg, Opportunity
from arb.store import Journal
from arb.trade.accounts import Accounts, Marks
from arb.trade.outlet import Outlet
from arb.trade.risk import RiskGate
from arb.trade.supervisor import Supervisor

D = Decimal
T0 = 1_800_000_000_000


def order(
    j: Journal, opp_id: str, cid: str, venue: str, symbol: str, side: str, amount: str, price: str, *, fills: bool
) -> None:
    """An order of the previous run: filled (with its fills) when ``fills``; else canceled unfilled."""
    a = D(amount)
    j.record_order_intent(
        {
            "client_id": cid,
            "run_id": "r0",
            "opportunity_id": opp_id,
            "venue": venue,
            "symbol": symbol,
            "side": side,
            "type": "limit",
            "tif": "IOC",
            "amount": a,
            "price": D(price),
            "created_ms": T0 - 60_000,
        }
    )
    fill = {"client_id": cid, "venue": venue, "trade_id": f"t-{cid}", "ts_ms": T0 - 60_000, "amount": a}
    j.record_leg(
        cid,
        {"state": "closed" if fills else "canceled", "filled": a if fills else D(0), "updated_ms": T0 - 60_000},
        [fill | {"price": D(price), "fee": D("0.5"), "fee_currency": "USDT"}] if fills else [],
    )


def exposure(j: Journal, opp_id: str, venue: str, symbol: str, base: str) -> int:
    return j.record_exposure(
        {
            "opportunity_id": opp_id,
            "venue": venue,
            "symbol": symbol,
            "base_delta": D(base),
            "state": "open",
            "created_ms": T0 - 60_000,
            "updated_ms": T0 - 60_000,
            "detail": "",
        }
    )


def restart(j: Journal, **limits: object) -> RiskGate:
    """A new run on the journal: the gate's exposures loaded as the trader's start-up does."""
    gate = RiskGate(RiskConfig(**limits))  # type: ignore[arg-type]
    sup = Supervisor(
        Config(),
        journal=j,
        risk=gate,
        accounts=Accounts(gate.balances),
        out=Outlet(j, "r1", lambda: T0),
        order_clients={},
        markets={},
        marks=Marks,
        book=lambda v, s: None,
        status_line=lambda: "",
        clock=lambda: T0,
        throttle=None,
    )
    sup.load_exposures()
    return gate


def btc_opp(cost: str, buy: str = "okx", sell: str = "bybit") -> Opportunity:
    qty = D(cost) / D(50000)
    b = Leg(buy, "buy", qty, D(50000), D(50000), D(50000), D(0), 1)
    s = Leg(sell, "sell", qty, D(50100), D(50100), D(50100), D(0), 1)
    return Opportunity("BTC/USDT", b, s, D(cost), D(cost) + 1, D(2), D(1), D(1), D(20))


def btc_trading() -> Marks:
    """After the restart BTC's books arrived; no ETH book yet."""
    m = Marks()
    m.update({("okx", "BTC/USDT"): D(50000), ("bybit", "BTC/USDT"): D(50050), ("binance", "BTC/USDT"): D(50020)})
    return m


def test_an_exposure_left_by_a_previous_run_counts_before_its_book_arrives(tmp_path: Path) -> None:
    j = Journal.open(tmp_path / "arb.db")
    # the previous run bought 0.5 ETH on okx at 2000 (1000 USDT); its sell on bybit was refused: exposure held
    order(j, "eth.1", "eth.1-b", "okx", "ETH/USDT", "buy", "0.5", "2000", fills=True)
    order(j, "eth.1", "eth.1-s", "bybit", "ETH/USDT", "sell", "0.5", "2010", fills=False)
    exposure(j, "eth.1", "okx", "ETH/USDT", "0.5")
    gate = restart(j, max_exposure_per_venue=D(1200), max_exposure_per_asset=D(10**6), max_in_flight=3)
    marks = btc_trading()
    # okx already carries 1000 USDT of ETH: 1000 + 400 > 1200 (it counted 0 and this was accepted)
    assert gate.venue_exposure("okx", marks) == D(1000)
    assert gate.check(btc_opp("400"), T0, marks) == "exposure_venue"
    assert gate.refusal is not None and "risk.max_exposure_per_venue" in gate.refusal and "okx" in gate.refusal
    assert gate.check(btc_opp("150"), T0, marks) is None  # within the limit: conservative, not blocked
    assert gate.check(btc_opp("400", buy="binance"), T0, marks) is None  # okx is not touched
    # ETH's first book arrives on bybit: the symbol's mid elsewhere values it; then okx's own mid
    marks.update({("bybit", "ETH/USDT"): D(2200)})
    assert gate.venue_exposure("okx", marks) == D(1100)
    assert gate.check(btc_opp("150"), T0, marks) == "exposure_venue"
    marks.update({("okx", "ETH/USDT"): D(1800)})
    assert gate.venue_exposure("okx", marks) == D(900)
    assert gate.asset_exposure("ETH", marks) == D(900)
    j.close()


def test_an_exposure_no_price_values_refuses_what_it_could_push_over_a_limit(tmp_path: Path) -> None:
    """An exposure whose legs' fills are not journaled (reconcile has not completed them yet) and no book: its
    value is unknown, so every trade counting toward the same limit is refused, and says why."""
    j = Journal.open(tmp_path / "arb.db")
    order(j, "eth.2", "eth.2-b", "okx", "ETH/USDT", "buy", "0.5", "2000", fills=False)
    j.update_order("eth.2-b", state="closed", filled=D("0.5"))  # filled, but neither its fills nor its average
    eid = exposure(j, "eth.2", "okx", "ETH/USDT", "0.5")
    gate = restart(j, max_exposure_per_venue=D(10**6), max_exposure_per_asset=D(10**6), max_in_flight=3)
    marks = btc_trading()
    assert gate.check(btc_opp("100"), T0, marks) == "exposure_unpriced"
    why = gate.refusal or ""
    assert f"#{eid}" in why and "ETH/USDT" in why and "okx" in why and "risk.max_exposure_per_venue" in why
    assert gate.check(btc_opp("100", buy="binance"), T0, marks) is None  # neither okx nor ETH: unaffected
    marks.update({("binance", "ETH/USDT"): D(2000)})  # a price at last: counted, the limit is far
    assert gate.check(btc_opp("100"), T0, marks) is None
    j.close()


def test_the_decision_says_which_exposure_refused_it(tmp_path: Path) -> None:
    """Through the decision gate: the verdict names the rule, its info (journaled with the decision event) the
    exposure and the limit."""
    from arb.core.kinds import Verdict
    from arb.core.model import Balances
    from tests.unit.test_gate import gate, sighting

    j = Journal.open(tmp_path / "arb.db")
    order(j, "eth.3", "eth.3-b", "okx", "ETH/USDT", "buy", "0.5", "2000", fills=False)
    j.update_order("eth.3-b", state="closed", filled=D("0.5"))
    eid = exposure(j, "eth.3", "okx", "ETH/USDT", "0.5")
    g = gate(confirm=1)
    g.risk = restart(j)
    d = g.decide(sighting(), balances=Balances(), marks=btc_trading(), now_ms=T0)
    assert d.verdict == Verdict.EXPOSURE_UNPRICED and d.trade is None
    assert f"exposure #{eid} 0.5 ETH/USDT on okx" in d.info["why"] and "max_exposure_per_" in d.info["why"]
    g.risk = restart(j, max_exposure_per_venue=D(1), max_exposure_per_asset=D(10**6))
    d = g.decide(sighting(), balances=Balances(), marks=btc_trading(), now_ms=T0)
    assert d.verdict == Verdict.EXPOSURE_VENUE and "risk.max_exposure_per_venue = 1" in d.info["why"]
    j.close()


def test_shared_workers_never_see_an_unpriced_exposure_as_zero(tmp_path: Path) -> None:
    """Workers sharing limits through Redis check this shard's published open exposure: an exposure nothing prices
    is published as the whole limit (any trade counting toward it is refused everywhere), a priced one at its
    price (the restart's traded price before its book)."""
    from arb.scale.hook import _open

    j = Journal.open(tmp_path / "arb.db")
    order(j, "eth.4", "eth.4-b", "okx", "ETH/USDT", "buy", "0.5", "2000", fills=False)
    j.update_order("eth.4-b", state="closed", filled=D("0.5"))
    order(j, "btc.5", "btc.5-b", "bybit", "BTC/USDT", "buy", "0.01", "50000", fills=True)
    exposure(j, "eth.4", "okx", "ETH/USDT", "0.5")
    exposure(j, "btc.5", "bybit", "BTC/USDT", "0.01")
    gate = restart(j, max_exposure_per_venue=D(3000), max_exposure_per_asset=D(4000))
    none = Marks()
    assert _open(gate, none, "venue", "okx") == D(3000) and _open(gate, none, "asset", "ETH") == D(4000)
    assert _open(gate, none, "venue", "bybit") == D(500) and _open(gate, none, "asset", "BTC") == D(500)
    assert _open(gate, none, "venue", "binance") == 0
    none.update({("bybit", "ETH/USDT"): D(2100)})
    assert _open(gate, none, "venue", "okx") == D(1050)
    j.close()


def test_an_exposure_an_arbitrage_just_left_carries_its_traded_price() -> None:
    """In the run that made it: held where its legs left it, worth what they paid until a mark values it."""
    from arb.core.ledger import LegFill
    from arb.trade.risk import ExposureEntry, mark_of

    buy = LegFill("okx", "BTC/USDT", "buy", "b", D("0.01"), D(50010), filled=D("0.01"), cost=D("500.1"))
    sell = LegFill("bybit", "BTC/USDT", "sell", "s", D("0.01"), D(50100), state="rejected")
    e = ExposureEntry.left_by(7, "o.1", btc_opp("500"), [buy, sell], D("0.01"), T0)
    assert (e.venue, e.symbol, e.base_delta, e.traded_price) == ("okx", "BTC/USDT", D("0.01"), D(50010))
    assert mark_of(e, Marks()) == D(50010)
    short = ExposureEntry.left_by(8, "o.2", btc_opp("500"), [sell], D("-0.01"), T0)
    assert short.venue == "bybit" and short.traded_price is None and mark_of(short, Marks()) is None
