"""Fills are money: an order's outcome and its fills commit together; incomplete ones are found exactly."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arb.core.ledger import LegFill
from arb.store import Journal
from tests.unit.conftest import BACKENDS, journal_location

D = Decimal
amounts = st.decimals(min_value=D("0.00000001"), max_value=D("100"), places=8)
prices = st.decimals(min_value=D("0.01"), max_value=D("100000"), places=2)


def intent(j: Journal, cid: str) -> None:
    j.record_order_intent(
        {
            "client_id": cid,
            "venue": "okx",
            "symbol": "BTC/USDT",
            "side": "buy",
            "amount": D(1),
            "price": D(1),
            "created_ms": 1,
            "leg": "buy",
            "attempt": 0,
        }
    )


@pytest.fixture(scope="module", params=BACKENDS)
def leg_journal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    """One journal per backend for every example (a fresh client id each): SQLite and Postgres."""
    j = Journal.open(journal_location(request.param, tmp_path_factory.mktemp("j"), request))
    yield j
    j.close()


_ids = itertools.count()


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(st.tuples(amounts, prices, amounts), min_size=1, max_size=5), drop=st.integers(0, 5))
def test_record_leg_roundtrips_exactly_and_missing_fills_are_found(
    leg_journal: Journal, parts: list, drop: int
) -> None:
    j, cid = leg_journal, f"c{next(_ids)}"
    intent(j, cid)
    filled = sum((a for a, _, _ in parts), D(0))
    rows = [
        {"venue": "okx", "trade_id": f"t{i}", "ts_ms": 2, "amount": a, "price": p, "fee": f, "fee_currency": "BTC"}
        for i, (a, p, f) in enumerate(parts)
    ]
    kept = rows[: len(rows) - min(drop, len(rows) - 1)] if drop else rows
    j.record_leg(cid, {"state": "closed", "filled": filled, "updated_ms": 3}, kept)
    got = j.fills(cid)
    assert [(f["amount"], f["price"], f["fee"]) for f in got] == [(r["amount"], r["price"], r["fee"]) for r in kept]
    missing = [r["client_id"] for r in j.orders_missing_fills()]
    assert missing == ([] if kept == rows else [cid])  # every earlier example ended recovered
    j.record_leg(cid, {"state": "closed", "filled": filled, "updated_ms": 4}, rows)  # recovered: no duplicates
    assert len(j.fills(cid)) == len(rows) and not j.orders_missing_fills()


def test_real_trades_replace_an_aggregate_row_and_closed_without_filled_is_incomplete(journal_at: str | Path) -> None:
    with Journal.open(journal_at) as j:
        intent(j, "c1")
        j.update_order("c1", state="closed", updated_ms=2)  # what an older arb could leave behind
        assert [r["client_id"] for r in j.orders_missing_fills()] == ["c1"]
        agg = {"venue": "okx", "trade_id": "order:1", "amount": D("0.5"), "price": D(10), "fee": D(0)}
        j.record_leg("c1", {"state": "closed", "filled": D("0.5"), "updated_ms": 3}, [agg])
        assert not j.orders_missing_fills()
        trades = [
            {"venue": "okx", "trade_id": "t1", "amount": D("0.2"), "price": D(10)},
            {"venue": "okx", "trade_id": "t2", "amount": D("0.3"), "price": D(10)},
        ]
        j.record_leg("c1", {"state": "closed", "filled": D("0.5"), "updated_ms": 4}, trades)
        assert sorted(f["trade_id"] for f in j.fills("c1")) == ["t1", "t2"]  # counted once
        intent(j, "c2")
        j.update_order("c2", state="rejected", reason="refused", updated_ms=2)
        assert not j.orders_missing_fills()  # a refused order has nothing to recover


def test_a_final_status_without_filled_is_not_final() -> None:
    leg = LegFill("okx", "BTC/USDT", "buy", "c1", D(1), D(10))
    assert leg.with_update({"id": "1", "status": "closed"}).state == "sent"
    assert leg.with_update({"id": "1", "status": "closed", "filled": 1, "average": 10}).state == "closed"
    assert leg.with_update({"id": "1", "status": "rejected"}).state == "rejected"
