"""One durable commit per decision (issue 16): both legs' intents in ONE fsynced transaction, before any send.

The commits are counted in the journal's real WAL file (:mod:`tests.kit.wal`), at the executor's last step
before a send (its ``may_send`` hook, which the trader uses for the kill switch). The crash test runs the real
executor in a process that SIGKILLs itself at that step — after the commit, before any order left — then
restarts ``arb run`` on the same journal: both intents are looked up by client id and never sent.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arb.core.model import Fee, Leg, MarketSpec, Opportunity
from arb.scan.engine import wall_ms
from arb.store import Journal
from arb.trade.executor import Executor
from arb.trade.orders import OrderRouter
from tests.kit.live import SYM, Setup, key_env, no_duplicate_client_ids, start_sim, write_config
from tests.kit.poll import eventually
from tests.kit.run import arb, arb_env
from tests.kit.wal import wal_commits

D = Decimal
VENUES = ("okx", "okx2")
CRASH = Path(__file__).with_name("crash_after_intents.py")


def opportunity(buy_px: Decimal, sell_px: Decimal, amount: str = "0.001") -> Opportunity:
    def leg(venue: str, side: str, price: Decimal) -> Leg:
        return Leg(venue, side, D(amount), price, price, price, D(0), 1)  # type: ignore[arg-type]

    return Opportunity(SYM, leg("okx", "buy", buy_px), leg("okx2", "sell", sell_px), D(1), D(1), *[D(0)] * 4)


@pytest.fixture
async def sim_and_setup(tmp_path: Path) -> AsyncIterator[tuple[Any, Setup]]:
    sim = await start_sim(VENUES, balances={"USDT": D(1000), "BTC": D("0.01")})
    setup = Setup(tmp_path)
    yield sim, setup
    await setup.close()
    await sim.stop()


async def test_both_intents_are_one_commit_before_the_first_send(
    sim_and_setup: tuple[Any, Setup], tmp_path: Path
) -> None:
    sim, setup = sim_and_setup
    clients = setup.clients(sim, VENUES)
    for c in clients.values():
        await c.load_markets()
    db = tmp_path / "arb.db"
    journal = Journal.open(db)
    setup.closers.append(journal.close)
    seen: list[tuple[int, dict[str, str]]] = []  # (commits so far, journaled states) at each send

    def at_send() -> str | None:
        with Journal.open(db, readonly=True) as other:  # what is durable, seen from another connection
            seen.append((wal_commits(db), {o["side"]: o["state"] for o in other.orders()}))
        return None  # the send goes ahead

    router = OrderRouter()
    ex = Executor(
        clients,
        journal,
        run_id="one",
        markets={(v, SYM): MarketSpec.from_ccxt(clients[v].markets[SYM]) for v in VENUES},
        fees={(v, SYM): Fee(D("0.001")) for v in VENUES},
        router=router,
        order_timeout_ms=500,
        on_partial="hold",
        may_send=at_send,
    )
    before = wal_commits(db)
    ask, bid = sim.book("okx", SYM).asks[0][0], sim.book("okx2", SYM).bids[0][0]
    out = await ex.execute("one-commit", opportunity(D(str(ask)), D(str(bid))))
    assert len(seen) == 2  # both legs reached their send
    first_commits, first_states = seen[0]
    assert first_commits - before == 1, "both intents must be ONE transaction (one fsync) before the first send"
    assert first_states == {"buy": "intent", "sell": "intent"}  # journal-before-send holds for both legs
    assert {leg.state for leg in out.legs[:2]} <= {"closed", "canceled"}
    no_duplicate_client_ids(sim)


@pytest.mark.slow
@pytest.mark.timeout(60)
async def test_crash_between_the_commit_and_the_sends_is_looked_up_never_sent(
    sim_and_setup: tuple[Any, Setup], tmp_path: Path
) -> None:
    sim, _ = sim_and_setup
    cfg = write_config(sim, VENUES, tmp_path, execution={"on_partial": "hold", "order_expiry_ms": 1000})
    env = key_env(sim, VENUES)
    ask, bid = sim.book("okx", SYM).asks[0][0], sim.book("okx2", SYM).bids[0][0]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(CRASH), cfg, str(ask), str(bid), env=arb_env(env), stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == -9, err.decode()  # SIGKILLed at the first send
    with Journal.open(tmp_path / "arb.db", readonly=True) as j:
        intents = {o["side"]: o for o in j.orders()}
    assert {s: o["state"] for s, o in intents.items()} == {"buy": "intent", "sell": "intent"}
    ids = {o["client_id"] for o in intents.values()}
    assert not [e for e in sim.order_log if e["client_id"] in ids]  # nothing left the process
    expiry = max(o["expires_ms"] for o in intents.values())
    await eventually(lambda: wall_ms() > expiry, timeout_s=10)  # past their window: "not found" is final
    rc, _, err_text = await arb("-v", "run", "--config", cfg, "--live", "--yes", "--no-ui", "--duration", "1", env=env)
    assert rc == 0, err_text
    assert "start-up heap frozen" in err_text  # before trading: full collections never walk it (trade/collector.py)
    assert not [e for e in sim.order_log if e["client_id"] in ids]  # looked up on restart, never sent
    with Journal.open(tmp_path / "arb.db") as j:
        after = {o["client_id"]: o for o in j.orders() if o["client_id"] in ids}
        assert all(o["state"] == "rejected" and "never executed" in o["reason"] for o in after.values()), after
        assert not j.open_intents()
        findings = [e["detail"] for e in j.events(kind="reconcile")]
        assert all(any("not_sent" in f and cid in f for f in findings) for cid in ids), findings
