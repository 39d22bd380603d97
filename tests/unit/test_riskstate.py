"""Durable risk state rebuilt from a real journal file with an explicit clock (issue 12 item 6): the halt in
force, today's realised PnL over every run (the ledger's Position), failures in a row, the UTC day rollover
and an operator's resume."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from arb.config import RiskConfig
from arb.core.ledger import LegFill
from arb.store import Journal
from arb.trade.accounts import DayPnl, Marks
from arb.trade.risk import DAY_MS, ExposureEntry, RiskGate
from arb.trade.riskstate import rebuild
from tests.unit.test_risk import opp

D = Decimal
DAY0 = 20_600 * DAY_MS  # a UTC midnight
T0 = DAY0 + 10 * 3_600_000  # 10:00 UTC


def order(
    j: Journal,
    run: str,
    opp_id: str,
    cid: str,
    side: str,
    ts: int,
    *,
    filled: str | None,
    price: str,
    fee: str | None = None,
    fee_ccy: str | None = None,
    state: str = "closed",
) -> None:
    j.record_order_intent(
        {
            "client_id": cid,
            "run_id": run,
            "opportunity_id": opp_id,
            "venue": "okx" if side == "buy" else "bybit",
            "symbol": "BTC/USDT",
            "side": side,
            "type": "limit",
            "tif": "IOC",
            "amount": D("0.01"),
            "price": D(price),
            "created_ms": ts,
        }
    )
    j.update_order(cid, state=state, filled=D(filled) if filled else None, updated_ms=ts)
    if filled:
        j.write_batch(
            [
                (
                    "fill",
                    {
                        "client_id": cid,
                        "venue": "okx" if side == "buy" else "bybit",
                        "trade_id": f"t-{cid}",
                        "ts_ms": ts,
                        "amount": D(filled),
                        "price": D(price),
                        "fee": D(fee) if fee else None,
                        "fee_currency": fee_ccy,
                    },
                )
            ]
        )


def trade_event(j: Journal, ts: int, ok: bool) -> None:
    j.write_batch([("event", {"run_id": "r", "ts_ms": ts, "kind": "trade", "detail": json.dumps({"ok": ok})})])


def test_rebuild_over_runs_day_rollover_and_resume(tmp_path: Path) -> None:
    j = Journal.open(tmp_path / "arb.db")
    # yesterday: a loss that must not count today
    order(j, "r0", "y.1", "y-b", "buy", DAY0 - 3_600_000, filled="0.01", price="50000")
    # run 1 today: bought 0.01 BTC (fee in BTC), the sell was refused: quote_net −500
    order(j, "r1", "a.1", "a-b", "buy", T0, filled="0.01", price="50000", fee="0.00001", fee_ccy="BTC")
    order(j, "r1", "a.1", "a-s", "sell", T0, filled=None, price="50100", state="rejected")
    # run 2 today: a full arbitrage, +0.998 after a quote fee
    order(j, "r2", "b.1", "b-b", "buy", T0 + 1000, filled="0.01", price="50000")
    order(j, "r2", "b.1", "b-s", "sell", T0 + 1000, filled="0.01", price="50100", fee="0.002", fee_ccy="USDT")
    for k, ok in enumerate((True, False, False)):
        trade_event(j, T0 + 2000 + k, ok)
    hid = j.record_halt(
        {
            "run_id": "r2",
            "reason": "daily_loss",
            "detail": "-500 reached -100",
            "ts_ms": T0 + 3000,
            "until_ms": DAY0 + DAY_MS,
        }
    )

    state = rebuild(j, T0 + 5000)
    assert state.halt is not None and state.halt["id"] == hid
    assert state.realised == D(-500) + D("0.998")  # Position.of over both runs' legs
    assert state.failures_in_row == 2
    g = RiskGate(RiskConfig(daily_loss_limit=D(100)))  # type: ignore[arg-type]
    g.restore(state, T0 + 5000)
    assert g.check(opp(), T0 + 5000) == "halted_daily_loss"
    assert g.halted is not None and g.halted.id == hid
    # the next UTC day: the rule lifts it, and the new day's PnL starts from zero
    tomorrow = DAY0 + DAY_MS + 1
    assert rebuild(j, tomorrow).halt is None and rebuild(j, tomorrow).realised == 0
    assert g.check(opp(), tomorrow) is None
    day = DayPnl()
    day.load(state.opportunities, state.since_ms)
    assert day.pnl(T0 + 5000, Marks())[0] == state.realised and day.pnl(tomorrow, Marks())[0] == 0

    # same day, an operator resumes: the halt ends, the breaker and the day's loss count from the resume
    resume_at = T0 + 60_000
    (cleared,) = j.clear_halts(resume_at, "alice: checked")
    assert cleared["id"] == hid and j.open_halts(resume_at) == []
    state = rebuild(j, resume_at + 1)
    assert state.halt is None and state.failures_in_row == 0 and state.realised == 0
    assert state.since_ms == resume_at and state.resumed_ms == resume_at
    g2 = RiskGate(RiskConfig(daily_loss_limit=D(100)))  # type: ignore[arg-type]
    g2.restore(state, resume_at + 1)
    g2.set_exposure(ExposureEntry(1, "a.1", "okx", "BTC/USDT", D("0.00999"), created_ms=T0))  # before the resume
    day.load(state.opportunities, state.since_ms)
    marks = Marks()
    marks.update({("okx", "BTC/USDT"): D(50000)})
    assert day.pnl(resume_at + 1, marks) == (D(0), D(0))  # its opportunity began before the resume
    assert g2.check(opp(), resume_at + 1, marks) is None  # the exposure counts at its mark, within the limits
    order(j, "r3", "c.1", "c-b", "buy", resume_at + 10, filled="0.01", price="50000")  # after it: counts
    assert rebuild(j, resume_at + 20).realised == D(-500)
    j.close()


def test_an_operator_resume_in_a_running_gate_restarts_the_day_and_the_breaker() -> None:
    g = RiskGate(RiskConfig(daily_loss_limit=D(10), max_consecutive_failures=2))  # type: ignore[arg-type]
    g.begin("a", opp())
    g.end("a", ok=False, now_ms=T0)
    day = DayPnl()
    day.record("a", LegFill("okx", "BTC/USDT", "buy", "a-b", D(1), D(20), state="closed", filled=D(1), cost=D(20)), T0)
    fell = Marks()
    fell.update({("okx", "BTC/USDT"): D(5)})  # bought 1 at 20, now worth 5: a loss of 15
    assert day.pnl(T0, fell) == (D(-20), D(5))
    assert g.check_daily_loss(T0, *day.pnl(T0, fell)) is not None
    lifted = g.resume(T0 + 1)
    day.resume(T0 + 1)  # the trader restarts the day book with the gate (arb.trade.halts)
    assert lifted is not None and lifted.reason == "daily_loss" and g.halted is None
    assert day.pnl(T0 + 2, Marks()) == (D(0), D(0)) and g.failures_in_row == 0
    assert g.check_daily_loss(T0 + 2, *day.pnl(T0 + 2, Marks())) is None
