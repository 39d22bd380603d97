"""The audit on small hand-built cases: agreement gives no lines, each kind of disagreement its line.

The journal side is a real journal file written through :class:`arb.store.Journal`; the venue side is
plain data as the simulators report it.
"""

from __future__ import annotations

import copy
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from arb.store import Journal
from tests.kit.audit import JournalView, VenueTruth, compare, journal_view

SYM = "BTC/USDT"
LOTS = {("okx", SYM): D("0.00001"), ("binance", SYM): D("0.00001")}


def attempt(
    venue: str,
    cid: str,
    side: str,
    status: str,
    filled: str,
    fee: str,
    fee_ccy: str | None,
    order_id: str | None,
    arrival: int = 1000,
) -> dict[str, Any]:
    return {
        "venue": venue,
        "client_id": cid,
        "side": side,
        "symbol": SYM,
        "status": status,
        "filled": D(filled),
        "fee": D(fee),
        "fee_currency": fee_ccy,
        "order_id": order_id,
        "arrival_ms": arrival,
        "landed_ms": arrival,
        "reject_reason": None if order_id else "-1021",
    }


def fill(venue: str, cid: str, side: str, trade: str, amount: str, price: str, fee: str, ccy: str) -> dict[str, Any]:
    return {
        "venue": venue,
        "client_id": cid,
        "side": side,
        "symbol": SYM,
        "trade_id": trade,
        "amount": D(amount),
        "price": D(price),
        "fee": D(fee),
        "fee_currency": ccy,
        "order_id": "x",
    }


def agreeing() -> tuple[VenueTruth, list[dict[str, Any]], list[dict[str, Any]]]:
    """Opportunity o1: buy 0.01 @ 100 on okx (fee 0.00001 BTC), sell the 0.00999 received @ 100 on binance."""
    truth = VenueTruth(
        attempts=[
            attempt("okx", "o1b", "buy", "filled", "0.01", "0.00001", "BTC", "11"),
            attempt("binance", "o1s", "sell", "filled", "0.00999", "0.000999", "USDT", "22"),
        ],
        fills=[
            fill("okx", "o1b", "buy", "t1", "0.01", "100", "0.00001", "BTC"),
            fill("binance", "o1s", "sell", "t2", "0.00999", "100", "0.000999", "USDT"),
        ],
        start={"okx": {"BTC": D(1), "USDT": D(1000)}, "binance": {"BTC": D(1), "USDT": D(1000)}},
        now={"okx": {"BTC": D("1.00999"), "USDT": D(999)}, "binance": {"BTC": D("0.99001"), "USDT": D("1000.998001")}},
        lots=LOTS,
    )
    orders = [
        {
            "client_id": "o1b",
            "opportunity_id": "o1",
            "venue": "okx",
            "symbol": SYM,
            "side": "buy",
            "leg": "buy",
            "amount": D("0.01"),
            "state": "closed",
            "filled": D("0.01"),
            "fee": D("0.00001"),
            "fee_currency": "BTC",
        },
        {
            "client_id": "o1s",
            "opportunity_id": "o1",
            "venue": "binance",
            "symbol": SYM,
            "side": "sell",
            "leg": "sell",
            "amount": D("0.00999"),
            "state": "closed",
            "filled": D("0.00999"),
            "fee": D("0.000999"),
            "fee_currency": "USDT",
        },
    ]
    fills = [
        {
            "client_id": "o1b",
            "venue": "okx",
            "trade_id": "t1",
            "amount": D("0.01"),
            "price": D(100),
            "fee": D("0.00001"),
            "fee_currency": "BTC",
        },
        {
            "client_id": "o1s",
            "venue": "binance",
            "trade_id": "t2",
            "amount": D("0.00999"),
            "price": D(100),
            "fee": D("0.000999"),
            "fee_currency": "USDT",
        },
    ]
    return truth, orders, fills


def write_journal(
    path: Path,
    orders: list[dict[str, Any]],
    fills: list[dict[str, Any]],
    exposures: list[dict[str, Any]] = (),
    policy: str = "hold",
) -> JournalView:
    with Journal.open(path) as j:
        run = j.start_run("live", {"execution": {"on_partial": policy}}, now_ms=1)
        for o in orders:
            final = {k: o[k] for k in ("state", "filled", "fee", "fee_currency")}
            intent = {k: v for k, v in o.items() if k not in final}
            j.record_order_intent({**intent, "run_id": run, "created_ms": 1})
            j.record_leg(
                o["client_id"],
                {**final, "updated_ms": 2},
                [{k: v for k, v in f.items() if k != "client_id"} for f in fills if f["client_id"] == o["client_id"]],
            )
        for e in exposures:
            j.record_exposure({"venue": "okx", "symbol": SYM, "state": "open", "created_ms": 3, **e})
    return journal_view(path)


def test_agreement_is_empty(tmp_path: Path) -> None:
    truth, orders, fills = agreeing()
    view = write_journal(tmp_path / "a.db", orders, fills)
    assert view.policy == "hold"
    assert compare(truth, view) == []


def test_accepted_order_journaled_rejected_and_its_fill_missing(tmp_path: Path) -> None:
    truth, orders, fills = agreeing()
    orders[1] |= {"state": "rejected", "filled": None, "fee": None, "fee_currency": None}
    lines = compare(truth, write_journal(tmp_path / "a.db", orders, fills[:1]))
    assert any("binance order o1s" in x and "journaled rejected" in x for x in lines)
    assert any("journal filled None" in x for x in lines)
    assert any("fill t2 of o1s" in x and "missing from the journal" in x for x in lines)
    assert any(x.startswith("binance BTC: balance moved -0.00999, journal fills say 0") for x in lines)
    assert any(x.startswith("binance USDT: balance moved 0.998001") for x in lines)
    assert not any("opportunity" in x for x in lines)  # the venues are flat: no exposure is missing


def test_duplicate_send_and_journaled_fill_the_venue_lacks(tmp_path: Path) -> None:
    truth, orders, fills = agreeing()
    truth.attempts.append(copy.deepcopy(truth.attempts[0]) | {"order_id": None, "status": "rejected"})
    extra = [
        *fills,
        {
            "client_id": "o1b",
            "venue": "okx",
            "trade_id": "order:o1b",
            "amount": D(0),
            "price": D(100),
            "fee": D(0),
            "fee_currency": "BTC",
        },
    ]
    lines = compare(truth, write_journal(tmp_path / "a.db", orders, extra))
    assert "client id o1b reached the venues 2 times (okx, okx)" in lines
    assert "okx fill order:o1b of o1b is journaled but not at the venue" in lines


@pytest.mark.parametrize("policy", ["hold", "hedge"])
def test_exposures_against_the_real_imbalance(tmp_path: Path, policy: str) -> None:
    """The sell leg never executed (expired at the venue): 0.00999 BTC long on okx."""
    truth, orders, fills = agreeing()
    truth.attempts[1] = attempt("binance", "o1s", "sell", "rejected", "0", "0", None, None)
    truth.fills = truth.fills[:1]
    truth.now["binance"] = dict(truth.start["binance"])
    orders[1] |= {"state": "rejected", "filled": D(0), "fee": None, "fee_currency": None}
    held = [{"opportunity_id": "o1", "base_delta": D("0.00999")}]
    lines = compare(truth, write_journal(tmp_path / "right.db", orders, fills[:1], held, policy))
    unhedged = "opportunity o1 (BTC/USDT): 0.00999 left unhedged under the hedge policy"
    assert lines == ([] if policy == "hold" else [unhedged])
    half = [{"opportunity_id": "o1", "base_delta": D("0.005")}]
    wrong = write_journal(tmp_path / "wrong.db", orders, fills[:1], half)
    assert compare(truth, wrong) == [
        "opportunity o1 (BTC/USDT): open exposure 0.005 in the journal, 0.00999 at the venues"
    ]


def test_phantom_exposure_and_a_leg_sent_by_a_later_process(tmp_path: Path) -> None:
    truth, orders, fills = agreeing()
    truth.attempts[1]["arrival_ms"] = 5000
    view = write_journal(tmp_path / "a.db", orders, fills, [{"opportunity_id": "o1", "base_delta": D("0.01")}])
    lines = compare(truth, view, process_starts=[0, 3000])
    assert lines == [
        "opportunity o1 (BTC/USDT): journal holds an open exposure of 0.01 but the venues are flat",
        "opportunity o1: its legs were sent by 2 processes (#1, #2)",
    ]
    assert compare(truth, view, process_starts=[0, 9000])[1:] == []
