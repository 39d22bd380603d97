"""`arb report` on a small journal with failures (issue 13.3): hedged trades keep their own venues, per-leg
slippage from the trade event's expected prices, and sections for failed trades, halts and exposures.

Journal (run r1, paper, ETH/USDT, venues a and b, times from T0):

* ``S1.1`` ok: buy 1 @ 1001 on a (expected 1000 → +10 bps), sell 1 @ 1008 on b (expected 1010 → 2/1010 = 19.80… bps).
* ``H1.1`` failed: buy on a refused for funds, sell 1 @ 1000 on b (fee 1), hedged by buying 1 @ 1002 on b (fee 1)
  → PnL −4, exposure flattened. Its trade event is from an older arb (no venues in it): the episode gives a → b.
* ``X.1`` failed, no episode: buy 1 @ 1000 on a (fee 1), sell on b cancelled unfilled, exposure 1 ETH held open;
  the trade event names the venues.
* Halts: consecutive_failures at +2 h lifted at +3 h; kill at +5 h never lifted (ends with the run at +10 h);
  run r2 journaled its daily_loss halt in the halts table (cleared by an operator), then a kill (event only).
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from arb.review.report import Filters, build, open_journal, render
from arb.store import Journal

T0 = 1_767_225_600_000
H = 3_600_000
SYM = "ETH/USDT"


def _leg(
    venue: str, side: str, state: str, filled: str, amount: str = "1", reason: str | None = None
) -> dict[str, Any]:
    return {
        "venue": venue,
        "side": side,
        "client_id": f"{venue}-{side}",
        "state": state,
        "amount": amount,
        "filled": filled,
        "reason": reason,
    }


def _order(
    j: Journal,
    cid: str,
    opp: str,
    venue: str,
    side: str,
    ts: int,
    state: str,
    filled: str = "0",
    price: str | None = None,
    fee: str = "0",
    leg: str | None = None,
) -> None:
    j.record_order_intent(
        {
            "client_id": cid,
            "run_id": "r1",
            "opportunity_id": opp,
            "venue": venue,
            "symbol": SYM,
            "side": side,
            "type": "limit",
            "tif": "IOC",
            "amount": D(1),
            "price": D(1000),
            "created_ms": ts,
            "leg": leg,
        }
    )
    j.update_order(
        cid,
        state=state,
        filled=D(filled),
        avg_price=D(price) if price else None,
        fee=D(fee),
        fee_currency="USDT",
        updated_ms=ts + 10,
    )


def _fill(cid: str, venue: str, ts: int, price: str, fee: str) -> tuple[str, dict[str, Any]]:
    return (
        "fill",
        {
            "client_id": cid,
            "venue": venue,
            "trade_id": f"t-{cid}",
            "ts_ms": ts,
            "amount": D(1),
            "price": D(price),
            "fee": D(fee),
            "fee_currency": "USDT",
        },
    )


def _event(ts: int, kind: str, detail: Any, run: str = "r1") -> tuple[str, dict[str, Any]]:
    text = detail if isinstance(detail, str) else json.dumps(detail)
    return ("event", {"run_id": run, "ts_ms": ts, "venue": None, "symbol": SYM, "kind": kind, "detail": text})


def build_journal(path: Path) -> Path:
    j = Journal.open(path)
    try:
        j.start_run("paper", {}, now_ms=T0, run_id="r1")
        rows: list[tuple[str, dict[str, Any]]] = []
        for eid, start in (("S1", T0 + H), ("H1", T0 + 4 * H)):
            rows.append(
                (
                    "episode",
                    {
                        "id": eid,
                        "run_id": "r1",
                        "symbol": SYM,
                        "buy_venue": "a",
                        "sell_venue": "b",
                        "start_ms": start,
                        "last_ms": start + 500,
                        "end_ms": start + 500,
                        "duration_ms": 500,
                        "evaluations": 1,
                        "end_reason": "gap",
                        "status": "closed",
                        "peak_net_profit": D(1),
                        "peak_net_bps": D(10),
                    },
                )
            )
        t = T0 + H + 100  # S1.1: ok, with expected prices per leg
        _order(j, "s1b", "S1.1", "a", "buy", t, "closed", "1", "1001")
        _order(j, "s1s", "S1.1", "b", "sell", t, "closed", "1", "1008")
        rows += [_fill("s1b", "a", t + 10, "1001", "0"), _fill("s1s", "b", t + 10, "1008", "0")]
        rows.append(
            _event(
                t + 20,
                "trade",
                {
                    "opportunity_id": "S1.1",
                    "symbol": SYM,
                    "ok": True,
                    "planned_net": "10",
                    "pnl_quote": "7",
                    "buy_venue": "a",
                    "sell_venue": "b",
                    "expected_buy_vwap": "1000",
                    "expected_sell_vwap": "1010",
                    "legs": [
                        _leg("a", "buy", "closed", "1") | {"client_id": "s1b"},
                        _leg("b", "sell", "closed", "1") | {"client_id": "s1s"},
                    ],
                },
            )
        )
        t = T0 + 4 * H + 100  # H1.1: buy refused, sell filled, hedged by a buy on the sell venue
        _order(j, "h1b", "H1.1", "a", "buy", t, "rejected")
        _order(j, "h1s", "H1.1", "b", "sell", t, "closed", "1", "1000", "1")
        _order(j, "h1h", "H1.1", "b", "buy", t + 50, "closed", "1", "1002", "1", leg="hedge")
        rows += [_fill("h1s", "b", t + 10, "1000", "1"), _fill("h1h", "b", t + 60, "1002", "1")]
        rows.append(
            _event(
                t + 70,
                "trade",
                {
                    "opportunity_id": "H1.1",
                    "symbol": SYM,
                    "ok": False,
                    "planned_net": "5",
                    "pnl_quote": "-4",
                    "exposure": "0",
                    "notes": ["exposure -1 flattened by hedge"],
                    "legs": [
                        _leg("a", "buy", "rejected", "0", reason="InsufficientFunds: USDT free 5 < 1000 needed")
                        | {"client_id": "h1b"},
                        _leg("b", "sell", "closed", "1") | {"client_id": "h1s"},
                        _leg("b", "buy", "closed", "1") | {"client_id": "h1h"},
                    ],
                },
            )
        )
        hx = j.record_exposure(
            {
                "opportunity_id": "H1.1",
                "venue": "b",
                "symbol": SYM,
                "base_delta": D(-1),
                "state": "open",
                "created_ms": t + 15,
                "updated_ms": t + 15,
            }
        )
        j.update_exposure(hx, state="flattened", updated_ms=t + 60, detail="by hedge")
        t = T0 + 6 * H  # X.1: sell cancelled, 1 ETH held open
        _order(j, "x1b", "X.1", "a", "buy", t, "closed", "1", "1000", "1")
        _order(j, "x1s", "X.1", "b", "sell", t, "canceled")
        rows.append(_fill("x1b", "a", t + 10, "1000", "1"))
        rows.append(
            _event(
                t + 20,
                "trade",
                {
                    "opportunity_id": "X.1",
                    "symbol": SYM,
                    "ok": False,
                    "planned_net": "3",
                    "pnl_quote": "-1001",
                    "exposure": "1",
                    "buy_venue": "a",
                    "sell_venue": "b",
                    "notes": ["open exposure 1 ETH (policy hold)"],
                    "legs": [_leg("a", "buy", "closed", "1"), _leg("b", "sell", "canceled", "0")],
                },
            )
        )
        j.record_exposure(
            {
                "opportunity_id": "X.1",
                "venue": "a",
                "symbol": SYM,
                "base_delta": D(1),
                "state": "open",
                "created_ms": t + 15,
                "updated_ms": t + 15,
                "detail": "buy a closed 1/1; sell b canceled",
            }
        )
        rows += [
            _event(T0 + 2 * H, "halt", "trading halted: consecutive_failures: 3 failed arbitrages in a row"),
            _event(T0 + 3 * H, "resume", "halt lifted: consecutive_failures"),
            _event(T0 + 5 * H, "halt", "trading halted: kill: kill file present (/tmp/arb.kill)"),
        ]
        j.write_batch(rows)
        j.end_run("r1", now_ms=T0 + 10 * H, status="ok")
        j.start_run("paper", {}, now_ms=T0 + 11 * H, run_id="r2")
        j.end_run("r2", now_ms=T0 + 12 * H, status="ok")
        with j._write_tx("test halts") as tx:  # the durable halts table (schema v2)
            tx.insert(
                "halts",
                {
                    "run_id": "r2",
                    "reason": "daily_loss",
                    "detail": "today's PnL -120 <= -100",
                    "ts_ms": T0 + 11 * H + 5,
                    "cleared_ms": T0 + 11 * H + 900,
                    "cleared_by": "arb resume",
                },
            )
        j.write_batch(
            [
                _event(T0 + 11 * H + 5, "halt", "trading halted: daily_loss: today's PnL -120 <= -100", "r2"),
                _event(T0 + 11 * H + 950, "halt", "trading halted: kill: arb kill", "r2"),
            ]
        )  # not in the table
    finally:
        j.close()
    return path


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    return build_journal(tmp_path / "incidents.db")


def report(path: Path, f: Filters | None = None):  # type: ignore[no-untyped-def]
    j = open_journal(str(path))
    try:
        return build(j, f)
    finally:
        j.close()


def test_hedged_failed_trade_keeps_the_opportunitys_own_venues(journal: Path) -> None:
    trades = report(journal).tables["trades"].set_index("opportunity_id")
    assert (trades.loc["H1.1", "buy_venue"], trades.loc["H1.1", "sell_venue"]) == ("a", "b")  # not "b → b"
    assert (trades.loc["X.1", "buy_venue"], trades.loc["X.1", "sell_venue"]) == ("a", "b")
    # PnL with the hedge: 1000 − 1002 − 1 − 1; the main legs are the sell on b and the refused buy on a
    assert trades.loc["H1.1", "pnl"] == D(-4) and trades.loc["H1.1", "extra_legs"] == 1
    assert trades.loc["H1.1", "buy_amount"] == 0 and trades.loc["H1.1", "sell_amount"] == 1
    assert report(journal, Filters(venue="a")).tables["trades"]["opportunity_id"].tolist() == ["S1.1", "H1.1", "X.1"]


def test_per_leg_slippage_comes_from_the_trade_events_expected_prices(journal: Path) -> None:
    trades = report(journal).tables["trades"].set_index("opportunity_id")
    assert trades.loc["S1.1", "buy_slippage_bps"] == D(10)
    assert trades.loc["S1.1", "sell_slippage_bps"] == D(2) / D(1010) * 10_000
    assert trades.loc["S1.1", "slippage_quote"] == D(-3)  # 7 realised − 10 planned
    assert trades.loc["H1.1", "buy_slippage_bps"] is None  # no expected price journaled: n/a, not invented


def test_failed_trades_section_says_why(journal: Path) -> None:
    r = report(journal)
    failed = r.tables["failed_trades"].set_index("opportunity_id")
    assert list(failed.index) == ["H1.1", "X.1"]
    why = failed.loc["H1.1", "why"]
    assert "buy a rejected 0/1 (InsufficientFunds: USDT free 5 < 1000 needed)" in why
    assert "hedge buy b closed 1/1" in why and "flattened by hedge" in why  # the order's leg names it
    assert "sell b canceled 0/1" in failed.loc["X.1", "why"]
    assert (failed.loc["H1.1", "buy_venue"], failed.loc["H1.1", "sell_venue"]) == ("a", "b")
    assert failed.loc["X.1", "exposure"] == D(1)
    assert {k: r.summary["execution"][k] for k in ("executed", "ok", "failed")} == {"executed": 3, "ok": 1, "failed": 2}


def test_halts_section_has_reason_and_times(journal: Path) -> None:
    halts = report(journal).tables["halts"]
    rows = [tuple(r) for r in halts[["run_id", "reason", "start_ms", "end_ms", "ended_by"]].itertuples(index=False)]
    assert rows == [
        ("r1", "consecutive_failures", T0 + 2 * H, T0 + 3 * H, "lifted"),
        ("r1", "kill", T0 + 5 * H, T0 + 10 * H, "end of run"),
        ("r2", "daily_loss", T0 + 11 * H + 5, T0 + 11 * H + 900, "cleared by arb resume"),  # table, not the event
        ("r2", "kill", T0 + 11 * H + 950, T0 + 12 * H, "end of run"),  # the kill switch is only an event
    ]
    assert halts["detail"].iloc[1] == "kill file present (/tmp/arb.kill)"


def test_exposures_section_lists_open_and_flattened(journal: Path) -> None:
    r = report(journal)
    ex = r.tables["exposures"]
    assert [(x.opportunity_id, x.state, x.base_delta) for x in ex.itertuples()] == [
        ("H1.1", "flattened", D(-1)),
        ("X.1", "open", D(1)),
    ]
    assert r.summary["execution"]["exposures"] == {"open": 1, "flattened": 1, "open_base": {"ETH": "1"}}


def test_sections_show_in_every_output(journal: Path, tmp_path: Path) -> None:
    from rich.console import Console

    r = report(journal)
    console = Console(width=200, record=True)
    render.terminal(r, console)
    text = console.export_text()
    for title in ("Failed trades", "Halts", "Exposures"):
        assert title in text
    assert "InsufficientFunds" in text and "consecutive_failures" in text
    page = render.html_page(r, {})
    assert "Failed trades" in page and "Halts" in page and "Exposures" in page
    doc = render.as_json(r)
    assert doc["tables"]["exposures"][1]["base_delta"] == "1"  # money as exact strings
    assert doc["tables"]["failed_trades"][0]["pnl"] == "-4"
    render.export(r, tmp_path / "csv", "csv")
    assert (tmp_path / "csv" / "halts.csv").read_text().count("\n") == 5
    assert "X.1,ETH/USDT,a,b," in (tmp_path / "csv" / "failed_trades.csv").read_text()


@pytest.mark.parametrize("named", [True, False], ids=["event-names-legs", "older-journal"])
def test_a_hedge_on_the_buy_venue_is_not_taken_for_the_buy_leg(tmp_path: Path, named: bool) -> None:
    """Buy on a refused, sell on b filled, hedged by buying on a: the buy leg is the refused order (nothing
    bought at the planned price), not the hedge, whether or not the trade event names the legs."""
    j = Journal.open(tmp_path / "h.db")
    try:
        j.start_run("paper", {}, now_ms=T0, run_id="r1")
        t = T0 + H
        _order(j, "mb", "Z.1", "a", "buy", t, "rejected")
        _order(j, "ms", "Z.1", "b", "sell", t, "closed", "1", "1000")
        _order(j, "hb", "Z.1", "a", "buy", t + 50, "closed", "1", "1001")
        legs = [
            _leg("a", "buy", "rejected", "0") | {"client_id": "mb"},
            _leg("b", "sell", "closed", "1") | {"client_id": "ms"},
            _leg("a", "buy", "closed", "1") | {"client_id": "hb"},
        ]
        j.write_batch(
            [
                _fill("ms", "b", t + 10, "1000", "0"),
                _fill("hb", "a", t + 60, "1001", "0"),
                _event(
                    t + 70,
                    "trade",
                    {
                        "opportunity_id": "Z.1",
                        "symbol": SYM,
                        "ok": False,
                        "expected_buy_vwap": "999",
                        "expected_sell_vwap": "1000",
                        **({"legs": legs, "buy_venue": "a", "sell_venue": "b"} if named else {}),
                    },
                ),
            ]
        )
        j.end_run("r1", now_ms=T0 + 2 * H, status="ok")
    finally:
        j.close()
    row = report(tmp_path / "h.db").tables["trades"].iloc[0]
    assert (row["buy_venue"], row["sell_venue"]) == ("a", "b")
    assert row["buy_amount"] == 0 and row["buy_vwap"] is None and row["buy_slippage_bps"] is None
    assert row["sell_slippage_bps"] == 0 and row["extra_legs"] == 1 and row["pnl"] == D(-1)
