"""The journal's writer thread (issue 16): durable commits awaited off the event loop, the rules unchanged.

- Journal before send (both intents in the journal FILE when a simulator's matching engine first sees an order):
  tests/integration/test_orders_at_decision.py.
- A commit that must wait (another writer holds the journal's lock) waits on the writer thread: the event loop
  runs on meanwhile (here: it is the loop that releases the lock once both orders reached the venues), and the
  commit then lands. When the executor committed on the loop, the loop sat in SQLite's busy wait and nothing
  could release the lock: the order's update failed "locked".
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arb.core.model import Fee, Leg, MarketSpec, Opportunity
from arb.store import Journal
from arb.trade.executor import Executor
from arb.trade.orders import OrderRouter
from tests.kit.live import SYM, Setup, no_duplicate_client_ids, start_sim
from tests.kit.poll import eventually

D = Decimal


# Both intents durable when the venue sees each order (live trader over WebSocket, read from another connection at
# the matching engine): tests/integration/test_orders_at_decision.py, which also checks the task that sent them.


@pytest.fixture
async def okx_pair(tmp_path: Path) -> AsyncIterator[tuple[Any, dict[str, Any]]]:
    venues = ("okx", "okx2")
    sim = await start_sim(venues, balances={"USDT": D(1000), "BTC": D("0.01")})
    setup = Setup(tmp_path)
    clients = setup.clients(sim, venues)
    for c in clients.values():
        await c.load_markets()
    yield sim, clients
    await setup.close()
    await sim.stop()


async def test_a_commit_waiting_for_the_journal_lock_does_not_stall_the_event_loop(
    okx_pair: tuple[Any, dict[str, Any]], tmp_path: Path
) -> None:
    sim, clients = okx_pair
    db = tmp_path / "arb.db"
    journal = Journal.open(db, busy_timeout_ms=3000)
    other = sqlite3.connect(db, isolation_level=None)  # another writer of the same journal file
    held: list[bool] = []

    def at_send() -> str | None:  # right before the first send: another writer takes the journal's lock
        if not held:
            other.execute("BEGIN IMMEDIATE")
            held.append(True)
        return None

    def leg(venue: str, side: str, price: Decimal) -> Leg:
        return Leg(venue, side, D("0.001"), price, price, price, D(0), 1)  # type: ignore[arg-type]

    ex = Executor(
        clients,
        journal,
        run_id="lock",
        markets={(v, SYM): MarketSpec.from_ccxt(clients[v].markets[SYM]) for v in clients},
        fees={(v, SYM): Fee(D("0.001")) for v in clients},
        router=OrderRouter(),
        order_timeout_ms=500,
        on_partial="hold",
        may_send=at_send,
    )
    ask, bid = D(str(sim.book("okx", SYM).asks[0][0])), D(str(sim.book("okx2", SYM).bids[0][0]))
    opp = Opportunity(SYM, leg("okx", "buy", ask), leg("okx2", "sell", bid), D(1), D(1), *[D(0)] * 4)

    async def release_once_both_orders_landed() -> None:  # runs only if the loop runs while commits wait
        await eventually(lambda: len([e for e in sim.order_log if e["client_id"]]) == 2, what="both orders")
        other.execute("ROLLBACK")

    try:
        release = asyncio.create_task(release_once_both_orders_landed())
        out = await ex.execute("lock", opp)
        await release
    finally:
        other.close()
        journal.close()
    assert held
    states = {leg.client_id: leg.state for leg in out.legs[:2]}
    assert set(states.values()) <= {"closed", "canceled"}, out.summary()
    with Journal.open(db, readonly=True) as j:  # the waiting commits landed once the lock was free
        assert {o["client_id"]: o["state"] for o in j.orders()} == states
    no_duplicate_client_ids(sim)
