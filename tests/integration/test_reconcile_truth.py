"""Reconcile as the owner of "what happened to an order" (issue 12, items 1, 2, 5, 9b), in-process:
real ccxt.pro clients against the loopback venues, a real journal file, placement faults of the sims.

A "kill" here cancels the trader's task at a moment observed from outside (a venue's matching engine, the
journal file) and starts a new trader on the same journal: what a restart after SIGKILL finds.
The subprocess variants live in test_restart_kills.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arb.cli.trade import write_kill_file
from arb.core.ledger import TERMINAL
from exchanges.profiles import profile
from exchanges.profiles.calls import find_order
from tests.kit.live import SYM, Run, Setup, make_config, no_duplicate_client_ids, plant, unplant
from tests.kit.poll import eventually

pytestmark = pytest.mark.slow
D = Decimal
EXPIRY_CODES = {"okx": "50102", "okx2": "50102", "binance": "-1021", "bybit": "10002"}


async def kill(run: Run) -> None:
    """Stop a trader the hard way: its task is cancelled wherever it is (the journal stays as it was)."""
    run.task.cancel()
    with contextlib.suppress(BaseException):
        await run.task


def venue_base(sim: Any, client_ids: set[str]) -> Decimal:
    """Base bought minus base sold (fees in base deducted) at the venues, by the venues' own order logs."""
    total = D(0)
    for e in sim.order_log:
        if e["client_id"] in client_ids and e.get("filled"):
            base_fee = e["fee"] if e.get("fee_currency") == "BTC" else D(0)
            total += e["filled"] - base_fee if e["side"] == "buy" else -e["filled"]
    return total


def opp_ids(journal: Any, opp_id: str) -> set[str]:
    return {o["client_id"] for o in journal.orders(opportunity_id=opp_id)}


# -- item 1: look-up by the venue's own client-id parameter --------------------------------------------------
@pytest.mark.parametrize("venue", ["okx", "binance", "bybit"])
async def test_find_order_by_client_id_per_dialect(setup: Setup, venue: str) -> None:
    sim = await setup.sim((venue,))
    client = setup.clients(sim, (venue,))[venue]
    await client.load_markets()
    ask = float(sim.book(venue, SYM).asks[0][0])
    cid = profile(venue).client_order_id("find-test", "buy", 0)
    params = profile(venue).order_params(cid)
    await client.create_order(SYM, "limit", "buy", 0.001, round(ask * 1.004, 1), params)
    found = await find_order(client, SYM, cid)
    assert found is not None and found["clientOrderId"] == cid and found["status"] == "closed"
    assert float(found["filled"]) == 0.001
    assert await find_order(client, SYM, profile(venue).client_order_id("find-test", "sell", 0)) is None


@pytest.mark.parametrize("venue", ["okx2", "binance", "bybit"])
async def test_leg_filled_before_a_kill_is_found_on_restart_not_rejected(setup: Setup, venue: str) -> None:
    venues = ("okx", venue)
    sim = await setup.sim(venues)
    cfg = make_config(sim, venues, setup.tmp, execution={"on_partial": "hold", "order_expiry_ms": 1000})
    sim.venue(venue).faults.order_drop_next = 1  # processed and filled, the answer never comes
    landed = {v: asyncio.Event() for v in venues}
    for v in venues:
        sim.venue(v).engine.listeners.append(lambda o, f, v=v: landed[v].set())
    plant(sim, venue, 60.0)
    sim.step()
    run = Run(setup.trader(cfg, setup.clients(sim, venues)))
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in landed.values())), 15)
    await kill(run)  # both legs are at their venues; the answer of this one never arrived
    unplant(sim)
    (entry,) = [e for e in sim.order_log if e["venue"] == venue]
    assert entry["filled"] > 0
    trader = setup.trader(cfg, setup.clients(sim, venues))
    await trader.prepare()
    row = trader.journal.get_order(entry["client_id"])
    assert row["state"] == "closed", row
    assert row["filled"] == entry["filled"] and row["fee"] == entry["fee"]
    assert sum(f["amount"] for f in trader.journal.fills(entry["client_id"])) == entry["filled"]
    assert not trader.journal.exposures("open")  # the venues are flat: no phantom exposure
    no_duplicate_client_ids(sim)


# -- item 2: "not found" is "unknown" until the venue's own expiry has passed --------------------------------
async def test_order_still_landing_at_restart_stays_unknown_and_is_never_hedged(setup: Setup) -> None:
    venues = ("okx", "binance")
    sim = await setup.sim(venues)
    cfg = make_config(
        sim, venues, setup.tmp, execution={"on_partial": "hedge", "order_timeout_ms": 500, "order_expiry_ms": 4000}
    )
    faults = sim.venue("binance").faults
    faults.order_delay_next, faults.order_delay_ms = 1, 2000  # the sell is held at Binance, then lands
    plant(sim, "binance", 60.0)
    sim.step()
    run = Run(setup.trader(cfg, setup.clients(sim, venues)))
    journal = run.trader.journal
    sell = await eventually(
        lambda: next((o for o in journal.orders() if o["venue"] == "binance" and o["state"] == "unknown"), None)
    )
    await kill(run)  # killed while the sell is held at the venue
    unplant(sim)
    trader = setup.trader(cfg, setup.clients(sim, venues), sweep_s=0.2)
    restart = Run(trader)
    await restart.next("ready")
    row = trader.journal.get_order(sell["client_id"])
    assert row["state"] != "rejected", row  # not found yet, but still inside its window: unknown
    closed = await eventually(
        lambda: (r := trader.journal.get_order(sell["client_id"]))["state"] == "closed" and r, timeout_s=15
    )
    await eventually(lambda: not trader.journal.exposures("open"), timeout_s=10)
    await restart.stop()
    (entry,) = [e for e in sim.order_log if e["client_id"] == sell["client_id"]]
    assert closed["filled"] == entry["filled"] > 0
    ids = opp_ids(trader.journal, sell["opportunity_id"])
    assert len(ids) == 2  # no hedge was sent
    lot = trader.markets[("binance", SYM)].amount_step
    assert D(0) <= venue_base(sim, ids) < lot  # the venues are flat (dust)
    no_duplicate_client_ids(sim)


@pytest.mark.parametrize("venue", ["okx2", "binance", "bybit"])
async def test_orders_carry_the_venue_expiry_and_expired_ones_are_decided_after_it(setup: Setup, venue: str) -> None:
    venues = ("okx", venue)
    sim = await setup.sim(venues)
    cfg = make_config(
        sim, venues, setup.tmp, execution={"on_partial": "hedge", "order_timeout_ms": 500, "order_expiry_ms": 1000}
    )
    faults = sim.venue(venue).faults
    faults.order_delay_next, faults.order_delay_ms = 1, 2500  # lands after the 1 s window arb sent
    plant(sim, venue, 60.0)
    sim.step()
    run = Run(setup.trader(cfg, setup.clients(sim, venues)))
    out = await run.next("outcome", timeout_s=20)
    await run.stop()
    sell = out.legs[1]
    (attempt,) = await eventually(lambda: [e for e in sim.order_log if e["client_id"] == sell.client_id])
    assert attempt["status"] == "rejected" and attempt["reject_reason"] == EXPIRY_CODES[venue]
    row = run.trader.journal.get_order(sell.client_id)
    assert row["state"] == "rejected" and "never executed" in row["reason"]
    assert row["expires_ms"] == row["sent_ms"] + 1000 + 1000 and row["updated_ms"] > row["expires_ms"]
    assert out.exposure == 0 and any(
        leg.client_id not in (out.legs[0].client_id, sell.client_id) for leg in out.legs
    )  # hedged once the order was known never executed
    no_duplicate_client_ids(sim)


# -- item 5: the configured policy for exposures found by the sweep; fresh ids for restart hedges ----------------
async def test_sweep_applies_hedge_to_an_exposure_it_settles(setup: Setup) -> None:
    venues = ("okx", "okx2")
    sim = await setup.sim(venues)
    cfg = make_config(
        sim, venues, setup.tmp, execution={"on_partial": "hedge", "order_timeout_ms": 500, "order_expiry_ms": 1000}
    )
    trader = setup.trader(cfg, setup.clients(sim, venues), sweep_s=0.2)
    run = Run(trader)
    await run.next("ready")
    sim.venue("okx2").faults.rest_5xx_rate = 1.0  # the sell cannot be sent nor looked up: unknown
    plant(sim, "okx2", 60.0)
    sim.step()
    out = await run.next("outcome", timeout_s=20)
    unplant(sim)
    assert out.legs[1].state == "unknown" and out.exposure > 0  # held while the sell is unknown
    assert len(out.legs) == 2
    sim.venue("okx2").faults.rest_5xx_rate = 0.0
    await eventually(lambda: trader.journal.exposures("flattened"), timeout_s=15)
    await run.stop()
    ids = opp_ids(trader.journal, out.opportunity_id)
    rows = {r["client_id"]: r for r in trader.journal.orders(opportunity_id=out.opportunity_id)}
    assert rows[out.legs[1].client_id]["state"] == "rejected"
    assert any(r["leg"] == "hedge" and r["state"] == "closed" for r in rows.values())
    lot = trader.markets[("okx2", SYM)].amount_step
    assert D(0) <= venue_base(sim, ids) < lot
    assert not trader.journal.exposures("open")


async def test_restart_hedge_uses_a_fresh_client_id(setup: Setup) -> None:
    venues = ("okx", "okx2")
    sim = await setup.sim(venues)
    okx, okx2 = sim.venue("okx").faults, sim.venue("okx2").faults
    okx.partial_fill_ratio, okx2.reject_rate = 0.5, 1.0  # half the buy, no sell, then half a hedge
    cfg = make_config(sim, venues, setup.tmp, execution={"on_partial": "hedge"})
    plant(sim, "okx2", 60.0)
    sim.step()
    run = Run(setup.trader(cfg, setup.clients(sim, venues)))
    out = await run.next("outcome")
    await run.stop()
    unplant(sim)
    assert out.exposure > 0 and any(leg.client_id not in {x.client_id for x in out.legs[:2]} for leg in out.legs)
    okx.partial_fill_ratio, okx2.reject_rate = 0.0, 0.0
    sent_before = len(sim.order_log)
    trader = setup.trader(cfg, setup.clients(sim, venues))
    restart = Run(trader)
    hedged = await restart.next("restart_hedge")
    await restart.stop()
    assert hedged.exposure == 0
    assert len(sim.order_log) > sent_before  # a new hedge order went out ...
    no_duplicate_client_ids(sim)  # ... under a client id never used before
    ids = opp_ids(trader.journal, out.opportunity_id)
    lot = trader.markets[("okx2", SYM)].amount_step
    assert D(0) <= venue_base(sim, ids) < lot  # the venues agree with the journal: flat
    assert not trader.journal.exposures("open")


# -- item 9b: the kill state at send time ------------------------------------------------------------------
async def test_kill_inside_the_polling_gap_sends_nothing(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    import arb.trade.supervisor

    monkeypatch.setattr(arb.trade.supervisor, "KILL_POLL_S", 3600.0)  # the watcher will not look again in time
    venues = ("okx", "okx2")
    sim = await setup.sim(venues)
    cfg = make_config(sim, venues, setup.tmp)
    run = Run(setup.trader(cfg, setup.clients(sim, venues)))
    await run.next("ready")
    write_kill_file(Path(cfg.risk.kill_file), "operator: stop now")
    plant(sim, "okx2", 60.0)
    sim.step()
    out = await run.next("outcome")
    await run.stop()
    assert not sim.order_log  # nothing reached a venue after the kill file was written
    rows = run.trader.journal.orders(opportunity_id=out.opportunity_id)
    assert len(rows) == 2 and all(r["state"] == "rejected" and "kill" in r["reason"] for r in rows)
    assert all(r["state"] in TERMINAL for r in rows) and not run.trader.journal.exposures()
