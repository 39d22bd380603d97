"""Both intents of a decision commit on the event loop's own thread when the journal's write lock is free (issue 16).

The decision's one fsynced transaction is made right there, in :meth:`Executor.begin` (synchronous, on the feed's
task): no hop to the writer thread and back, so the legs can be sent as soon as the execution's task runs. Which
thread ran the commit is recorded by wrapping the journal's own ``record_order_intents`` (it still runs); what is
durable is read from another connection and the commits are counted in the real WAL file. When another connection
holds the lock, nothing waits on the loop: the commit goes to the writer thread and lands once the lock is free.
PostgreSQL keeps every commit on the writer thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from arb.core.model import Leg, Opportunity
from arb.store import Journal
from arb.trade.executor import Executor
from arb.trade.intents import IntentSpec
from tests.kit.wal import wal_commits

D = Decimal
SYM = "BTC/USDT"


def opportunity() -> Opportunity:
    def leg(venue: str, side: str, price: str) -> Leg:
        return Leg(venue, side, D("0.001"), D(price), D(price), D(price), D(0), 1)  # type: ignore[arg-type]

    return Opportunity(SYM, leg("okx", "buy", "60000"), leg("binance", "sell", "60100"), D(1), D(1), *[D(0)] * 4)


def specs(opp: Opportunity) -> list[IntentSpec]:
    return [IntentSpec(leg.venue, leg.side, leg.amount, leg.limit_price, leg.side) for leg in (opp.buy, opp.sell)]


def executor(journal: Journal) -> tuple[Executor, list[str]]:
    """An executor over offline ccxt clients (``begin`` never talks to a venue) and the names of the threads on
    which ``record_order_intents`` committed (the journal's own method, wrapped to note the thread)."""
    threads: list[str] = []
    real = journal.record_order_intents

    def noted(rows: list[dict[str, Any]]) -> Any:
        out = real(rows)  # raises (nothing noted) if it did not commit, e.g. the lock was busy
        threads.append(threading.current_thread().name)
        return out

    journal.record_order_intents = noted  # type: ignore[method-assign]
    clients = {"okx": ccxtpro.okx(), "binance": ccxtpro.binance()}
    return Executor(clients, journal, run_id="inline", markets={}, fees={}), threads


async def test_both_intents_commit_on_the_loop_thread_at_the_decision_when_the_lock_is_free(tmp_path: Path) -> None:
    db = tmp_path / "arb.db"
    journal = Journal.open(db)
    ex, threads = executor(journal)
    try:
        before = wal_commits(db)
        ex.begin("o1", opportunity())  # synchronous: no await between the decision and this check
        assert threads == [threading.current_thread().name]  # committed right here, not on the writer thread
        assert wal_commits(db) - before == 1  # both intents: one transaction, one fsync
        with Journal.open(db, readonly=True) as other:  # durable, seen from another connection
            assert {o["side"]: o["state"] for o in other.orders(opportunity_id="o1")} == {
                "buy": "intent",
                "sell": "intent",
            }
        legs = await ex._intents("o1", SYM, specs(opportunity()))  # takes begin's commit: nothing more written
        assert [leg.state for leg in legs] == ["intent", "intent"] and wal_commits(db) - before == 1
    finally:
        await asyncio.gather(*(c.close() for c in ex.venues.values()))
        journal.close()


async def test_a_locked_journal_sends_the_intents_to_the_writer_thread_and_the_loop_runs_on(tmp_path: Path) -> None:
    db = tmp_path / "arb.db"
    journal = Journal.open(db, busy_timeout_ms=5000)
    ex, threads = executor(journal)
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the journal's lock
        ex.begin("o2", opportunity())  # returns at once: the loop does not sit in SQLite's busy wait
        ticks = 0
        for _ in range(3):  # the loop runs while the commit waits on the writer thread
            await asyncio.sleep(0)
            ticks += 1
        assert ticks == 3 and not any(o["opportunity_id"] == "o2" for o in journal.orders())
        other.execute("ROLLBACK")
        legs = await ex._intents("o2", SYM, specs(opportunity()))
        assert [leg.state for leg in legs] == ["intent", "intent"]
        assert threads == ["arb-journal-writer"]  # the lock was busy: only the writer thread ran it
    finally:
        other.close()
        await asyncio.gather(*(c.close() for c in ex.venues.values()))
        journal.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_commit_now_on_both_backends(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from tests.unit.conftest import journal_location

    journal = Journal.open(journal_location(kind, tmp_path, request))
    ex, threads = executor(journal)
    try:
        ex.begin("o3", opportunity())
        legs = await ex._intents("o3", SYM, specs(opportunity()))
        assert [leg.state for leg in legs] == ["intent", "intent"]
        again = await journal.commit_now(0, journal.record_order_intents, [dict(journal.orders()[0])])
        assert again[0] is not None and again[0]["state"] == "intent"  # already journaled: returned, not written
        on_loop = threading.current_thread().name
        assert threads[0] == (on_loop if kind == "sqlite" else "arb-journal-writer")  # Postgres: the writer thread
    finally:
        await asyncio.gather(*(c.close() for c in ex.venues.values()))
        journal.close()
    with pytest.raises(Exception, match="closed"):
        await journal.commit_now(0, journal.record_order_intents, [])
