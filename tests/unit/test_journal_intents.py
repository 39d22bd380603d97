"""Both legs' intents of one decision commit in ONE transaction (one fsync), counted in the real WAL file;
all-or-nothing and duplicate handling on both backends (SQLite, Postgres)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arb.store import Journal, JournalDataError
from tests.kit.wal import wal_commits

D = Decimal


def row(cid: str, side: str, venue: str) -> dict[str, Any]:
    return {
        "client_id": cid,
        "run_id": "r",
        "opportunity_id": "o1",
        "venue": venue,
        "symbol": "BTC/USDT",
        "side": side,
        "type": "limit",
        "tif": "IOC",
        "amount": D("0.01"),
        "price": D("60000.1"),
        "created_ms": 1,
        "leg": side,
        "attempt": 0,
        "sent_ms": 1,
        "expires_ms": 2001,
    }


def test_two_intents_are_one_commit_and_both_readable_at_once(tmp_path: Path) -> None:
    path = tmp_path / "arb.db"
    with Journal.open(path) as j:
        before = wal_commits(path)
        assert j.record_order_intents([row("b1", "buy", "okx"), row("s1", "sell", "okx2")]) == [None, None]
        assert wal_commits(path) - before == 1  # one transaction, so one fsync (synchronous=FULL)
        with Journal.open(path, readonly=True) as other:  # another connection sees both: they are committed
            assert {o["client_id"]: o["state"] for o in other.orders()} == {"b1": "intent", "s1": "intent"}
            assert other.get_order("s1")["price"] == D("60000.1")  # type: ignore[index]


def test_a_journaled_id_is_returned_not_written_and_the_other_leg_still_commits(tmp_path: Path) -> None:
    path = tmp_path / "arb.db"
    with Journal.open(path) as j:
        assert j.record_order_intent(row("b1", "buy", "okx")) is None
        before = wal_commits(path)
        got = j.record_order_intents([row("b1", "buy", "okx") | {"price": D(1)}, row("s1", "sell", "okx2")])
        assert got[0] is not None and got[0]["price"] == D("60000.1") and got[1] is None  # unchanged, reported
        assert wal_commits(path) - before == 1
        assert j.record_order_intents([row("b1", "buy", "okx"), row("s1", "sell", "okx2")])[1] is not None
        assert wal_commits(path) - before == 1  # nothing new: nothing written
        assert [o["client_id"] for o in j.orders()] == ["b1", "s1"]


def test_a_bad_row_writes_neither_leg(journal_at: str | Path) -> None:
    with Journal.open(journal_at) as j:
        bad = row("s1", "sideways", "okx2")  # the CHECK constraint refuses it
        with pytest.raises(JournalDataError, match=r"(?i)check"):
            j.record_order_intents([row("b1", "buy", "okx"), bad])
        assert j.orders() == []  # all or nothing


def test_duplicates_and_new_intents_in_one_call_on_either_backend(journal_at: str | Path) -> None:
    with Journal.open(journal_at) as j:
        assert j.record_order_intents([row("b1", "buy", "okx")]) == [None]
        got = j.record_order_intents([row("b1", "buy", "okx") | {"price": D(1)}, row("s1", "sell", "okx2")])
        assert got[0] is not None and got[0]["price"] == D("60000.1") and got[1] is None
        assert [(o["client_id"], o["state"]) for o in j.orders()] == [("b1", "intent"), ("s1", "intent")]
