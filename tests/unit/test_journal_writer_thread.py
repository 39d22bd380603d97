"""The journal's writer thread (:mod:`arb.store.offloop`): awaited commits, group commit, isolation of a failing
write, on both backends; commits counted in the real WAL file (SQLite)."""

from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arb.core.errors import StoreError
from arb.store import Journal
from tests.kit.wal import wal_commits

D = Decimal


def intent(cid: str) -> dict[str, Any]:
    return {
        "client_id": cid,
        "run_id": "r",
        "opportunity_id": f"o-{cid}",
        "venue": "okx",
        "symbol": "BTC/USDT",
        "side": "buy",
        "type": "limit",
        "tif": "IOC",
        "amount": D("0.01"),
        "price": D("60000.1"),
        "created_ms": 1,
        "sent_ms": 1,
        "expires_ms": 2001,
    }


async def test_writes_queued_while_the_writer_waits_commit_together_and_a_bad_one_alone_fails(tmp_path: Path) -> None:
    db = tmp_path / "arb.db"
    j = Journal.open(db)
    j.record_order_intents([intent(f"c{i}") for i in range(4)])
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock: the writer thread's commit waits
    try:
        before = wal_commits(db)
        first = asyncio.ensure_future(j.commit_order_update("c0", state="sent", updated_ms=2))
        rest = [
            asyncio.ensure_future(j.commit_order_intents([intent("new")])),
            asyncio.ensure_future(j.commit_order_update("c1", state="sent", updated_ms=2)),
            asyncio.ensure_future(j.commit_order_update("nope", state="sent", updated_ms=2)),  # no such order
            asyncio.ensure_future(j.commit_leg("c2", {"state": "canceled", "filled": D(0), "updated_ms": 3}, [])),
        ]
        assert not first.done() and not any(f.done() for f in rest)  # nothing answered before its commit
        other.execute("ROLLBACK")
        await first
        results = await asyncio.gather(*rest, return_exceptions=True)
    finally:
        other.close()
    assert results[0] == [None] and results[1] is None and results[3] is None
    assert isinstance(results[2], StoreError) and "no order nope" in str(results[2])
    states = {o["client_id"]: o["state"] for o in j.orders()}
    assert states == {"c0": "sent", "c1": "sent", "c2": "canceled", "c3": "intent", "new": "intent"}
    commits = wal_commits(db) - before
    j.close()
    assert 1 <= commits <= 2, commits  # queued while the lock was held: one commit (the first maybe alone), not five


async def test_off_loop_writes_on_both_backends(journal_at: str | Path) -> None:
    j = Journal.open(journal_at)
    try:
        assert await j.commit_order_intents([intent("a"), intent("b")]) == [None, None]
        again = await j.commit_order_intents([intent("a")])  # already journaled: returned, not written
        assert again[0] is not None and again[0]["state"] == "intent"
        futs = [
            j.commit_order_update("a", state="sent", updated_ms=2),
            j.commit_order_update("missing", state="sent", updated_ms=2),
            j.commit_leg("b", {"state": "canceled", "filled": D(0), "updated_ms": 3}, []),
        ]
        out = await asyncio.gather(*futs, return_exceptions=True)
        assert out[0] is None and out[2] is None and isinstance(out[1], StoreError)
        assert {o["client_id"]: o["state"] for o in j.orders()} == {"a": "sent", "b": "canceled"}  # main connection
    finally:
        j.close()
    with pytest.raises(StoreError, match="closed"):
        await j.commit_order_update("a", state="open", updated_ms=4)
