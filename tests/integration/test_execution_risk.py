"""Risk and reconcile in a running trader (live mode on the loopback exchanges): balance drift halts,
directions follow balances, depth multiple and confirmation decide the size, account fees are used,
and an exposure left by a crash is hedged after restart (``on_partial = "hedge"``)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from arb.store import Journal
from exchanges.profiles import profile
from exchanges.sim.market import VenueProfile
from tests.kit.live import (
    SYM,
    Run,
    Setup,
    make_config,
    no_duplicate_client_ids,
    plant,
)

D = Decimal
VENUES = ("okx", "okx2")


async def test_balance_drift_beyond_tolerance_halts_with_the_reason(setup: Setup) -> None:
    sim = await setup.sim(VENUES)
    trader = setup.trader(make_config(sim, VENUES, setup.tmp), setup.clients(sim, VENUES), balance_refresh_s=0.2)
    run = Run(trader)
    await run.next("ready")
    sim.venue("okx2").engine.fund("main", {"USDT": D(-20_000)})  # money left the account outside arb
    halt = await run.next("halt")
    await run.stop()
    assert halt.reason == "balance_drift" and "okx2" in halt.detail and "USDT" in halt.detail
    assert trader.journal.balances("okx2")  # balances are journaled (start and refreshes)
    assert {b["source"] for b in trader.journal.balances()} >= {"start", "refresh"}


async def test_direction_disabled_without_quote_and_enabled_when_it_returns(setup: Setup) -> None:
    sim = await setup.sim(VENUES)
    sim.venue("okx").engine.fund("main", {"USDT": D("-99999.9")})  # okx keeps 0.1 USDT: cannot buy there
    cfg = make_config(sim, VENUES, setup.tmp, risk={"balance_drift_tolerance": 10**9})  # the deposit is expected
    trader = setup.trader(cfg, setup.clients(sim, VENUES), balance_refresh_s=0.2)
    run = Run(trader)
    assert await run.next("direction") == (("BTC/USDT", "okx", "okx2"), "disabled")  # once books give a price
    assert ("BTC/USDT", "okx2", "okx") not in trader.risk.disabled
    plant(sim, "okx2", 60.0)  # buy okx → sell okx2 would pay, but okx has no quote
    sim.step()
    sim.venue("okx").engine.fund("main", {"USDT": D(50_000)})
    assert await run.next("direction") == (("BTC/USDT", "okx", "okx2"), "enabled")  # after a balance refresh
    sim.step()  # the next update of the pair is evaluated with the new balance
    out = await run.next("outcome")
    await run.stop()
    assert out.ok and out.legs[0].venue == "okx"
    kinds = [e["kind"] for e in trader.journal.events()]
    assert kinds.index("direction_disabled") < kinds.index("direction_enabled") < kinds.index("trade")


async def test_depth_multiple_and_confirmation_decide_the_size_and_fees_come_from_the_account(setup: Setup) -> None:
    thin = VenueProfile(level_notional=150.0, size_dispersion=0.0)  # ~150 USDT per level
    sim = await setup.sim(VENUES, profiles={v: thin for v in VENUES})
    cfg = make_config(sim, VENUES, setup.tmp, execution={"depth_multiple": 2, "confirm_updates": 2})
    trader = setup.trader(cfg, setup.clients(sim, VENUES))
    plant(sim, "okx2", 80.0)
    sim.step()
    run = Run(trader)
    assert (await run.next("decision"))["verdict"] == "confirming"  # the first book pair: not yet
    sim.step()  # a second update for the pair: the edge held twice
    out = await run.next("outcome")
    await run.stop()
    decisions = [json.loads(e["detail"]) for e in trader.journal.events(kind="decision")]
    accept = next(d for d in decisions if d["verdict"] == "accept")
    assert decisions[0]["verdict"] == "confirming" and accept["streak"] >= 2
    assert accept["depth_multiple"] == "2" and D(accept["amount"]) < D(accept["evaluated_amount"])
    assert out.legs[0].amount == D(accept["amount"])
    fees = [e["detail"] for e in trader.journal.events(kind="fee")]
    assert fees and all("source=account" in f for f in fees)  # keys given: the account's rate


async def test_exposure_left_by_a_crash_is_hedged_after_restart(setup: Setup, tmp_path: Path) -> None:
    """In-process twin of the subprocess crash test, with on_partial = "hedge": the buy leg went out, the
    sell leg never did; on restart reconcile finds the buy, records the exposure and hedges it."""
    sim = await setup.sim(VENUES)
    cfg = make_config(sim, VENUES, tmp_path)
    clients = setup.clients(sim, VENUES)
    await clients["okx"].load_markets()
    opp_id = "crashed-1.1"
    buy_id = profile("okx").client_order_id(opp_id, "buy", 0)
    sell_id = profile("okx").client_order_id(opp_id, "sell", 0)
    px, _ = sim.book("okx", SYM).asks[0]
    with Journal.open(cfg.store.path) as j:  # what the crashed run had committed
        for cid, venue, side in ((buy_id, "okx", "buy"), (sell_id, "okx2", "sell")):
            j.record_order_intent(
                {
                    "client_id": cid,
                    "run_id": "old",
                    "opportunity_id": opp_id,
                    "venue": venue,
                    "symbol": SYM,
                    "side": side,
                    "type": "limit",
                    "tif": "IOC",
                    "amount": D("0.002"),
                    "price": px,
                    "created_ms": 1,
                }
            )
    await clients["okx"].create_order(SYM, "limit", "buy", 0.002, float(px), profile("okx").order_params(buy_id))
    trader = setup.trader(cfg, clients)
    run = Run(trader)
    out = await run.next("restart_hedge")
    await run.stop()
    assert out.exposure == 0
    j = trader.journal
    assert j.get_order(buy_id)["state"] == "closed" and j.get_order(sell_id)["state"] == "rejected"
    (exp,) = j.exposures()
    assert exp["state"] == "flattened" and exp["opportunity_id"] == opp_id
    hedge = [o for o in j.orders() if o["opportunity_id"] == opp_id and o["client_id"] not in (buy_id, sell_id)]
    assert len(hedge) == 1 and hedge[0]["side"] == "sell" and hedge[0]["state"] == "closed"
    assert sell_id not in {e["client_id"] for e in sim.order_log}  # the missing leg itself is never sent
    no_duplicate_client_ids(sim)


async def test_heartbeat_alert_carries_the_status(setup: Setup) -> None:
    from arb.notify import Notifier
    from tests.receiver import Receiver

    async with Receiver() as rx:
        sim = await setup.sim(VENUES)
        cfg = make_config(sim, VENUES, setup.tmp, notify={"heartbeat_s": 1})
        trader = setup.trader(cfg, setup.clients(sim, VENUES), notifier=Notifier([rx.url], min_interval_s=0))
        run = Run(trader)
        await run.next("ready")
        n = 1
        while not any(p["title"] == "arb heartbeat" for p in await rx.wait_for(n, timeout=5)):
            n += 1  # venue up/down alerts may come first
        await run.stop()
    beat = next(p for p in rx.posts if p["title"] == "arb heartbeat")
    assert "mode live" in beat["message"] and "halted: no" in beat["message"]
