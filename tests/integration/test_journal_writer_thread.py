"""The journal's writer thread (issue 16): durable commits awaited off the event loop, the rules unchanged.

- Journal before send: when a simulator's matching engine first sees an order, both intents of its decision are
  already in the journal FILE (read from another connection at that moment), for every order of a live run
  over WebSocket.
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
from tests.kit.live import SYM, Run, Setup, client, make_config, no_duplicate_client_ids, plant, start_sim
from tests.kit.poll import eventually

D = Decimal


async def test_both_intents_are_in_the_journal_file_when_the_venue_sees_each_order(setup: Setup) -> None:
    venues = ("okx", "binance")
    sim = await setup.sim(venues)
    cfg = make_config(sim, venues, setup.tmp)
    send = {v: client(sim, v, enableRateLimit=False) for v in venues}
    setup.closers += [c.close for c in send.values()]
    trader = setup.trader(cfg, setup.clients(sim, venues), send_clients=send)
    db = Path(str(trader.journal.path))
    seen: dict[str, dict[str, str]] = {}  # client id -> {side: state} of its decision's intents, durable then

    def at_engine(order: Any, fill: Any) -> None:
        cid = order.client_id
        if not cid or cid in seen:
            return
        with Journal.open(db, readonly=True) as other:  # another connection: only what is committed
            mine = other.get_order(cid)
            rows = other.orders(opportunity_id=mine["opportunity_id"]) if mine else []
        seen[cid] = {r["side"]: r["state"] for r in rows}

    for v in venues:
        sim.venue(v).engine.listeners.append(at_engine)
    run = Run(trader)
    await run.next("ready")
    plant(sim, venues[1], 60.0)
    sim.step()
    out = await run.next("outcome")
    await run.stop()
    assert out.ok, out.summary()
    assert [trader.send_clients[v].ws_orders for v in venues] == [1, 1]  # over the WebSocket trading APIs
    for leg in out.legs[:2]:
        assert set(seen[leg.client_id]) == {"buy", "sell"}, seen  # both intents, when the venue got this one
    no_duplicate_client_ids(sim)


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
