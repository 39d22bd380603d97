"""The kill switch and the daily loss limit: trading stops, open orders are cancelled, alerts only."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from arb.cli.trade import write_kill_file
from tests.kit.live import SYM, Run, Setup, make_config, plant


async def next_refusal(run: Run, prefix: str) -> dict[str, Any]:
    while True:
        d = await run.next("decision")
        if d["verdict"].startswith(prefix):
            return d


async def test_kill_cancels_open_orders_and_stops_trading(setup: Setup) -> None:
    sim = await setup.sim(("okx", "okx2"))
    cfg = make_config(sim, ("okx", "okx2"), setup.tmp)
    clients = setup.clients(sim, ("okx", "okx2"))
    trader = setup.trader(cfg, clients)
    run = Run(trader)
    await run.next("ready")
    # an order of ours resting on the book (as a leg would if a venue ignored IOC): far below the market
    low = round(float(sim.book("okx", SYM).bids[0][0]) * 0.9, 1)
    resting = await clients["okx"].create_order(SYM, "limit", "buy", 0.001, low, {"clOrdId": "arbrestingkilltest1"})
    cancelled = asyncio.Event()
    engine = sim.venue("okx").engine
    engine.listeners.append(
        lambda o, f: cancelled.set() if o.order_id == resting["id"] and o.status == "canceled" else None
    )
    assert engine.orders[resting["id"]].status != "canceled"
    written_ms = time.time_ns() // 1_000_000
    write_kill_file(Path(cfg.risk.kill_file), "test: operator pressed kill")  # what `arb kill` does
    halt = await run.next("halt")  # the deadlines here bound a hang; no wall-clock latency is asserted
    await asyncio.wait_for(cancelled.wait(), 15)
    assert halt.reason == "kill" and "operator pressed kill" in halt.detail
    assert halt.ts_ms >= written_ms  # the halt followed the kill file, it was not there before
    assert engine.orders[resting["id"]].status == "canceled"
    sent = len(sim.order_log)
    plant(sim, "okx2", 60.0)  # a juicy opportunity: refused, alert-only from now on
    sim.step()
    refusal = await next_refusal(run, "halted")
    assert refusal["verdict"] == "halted_kill"
    assert len(sim.order_log) == sent
    status = trader.status()
    await run.stop()
    assert status["halted"].startswith("trading halted: kill")
    kinds = [e["kind"] for e in trader.journal.events()]
    assert "halt" in kinds and "cancel" in kinds
    assert "kill" in trader.journal.events(kind="halt")[0]["detail"]


async def test_kill_file_present_at_start_means_alert_only(setup: Setup) -> None:
    sim = await setup.sim(("okx", "okx2"))
    cfg = make_config(sim, ("okx", "okx2"), setup.tmp)
    write_kill_file(Path(cfg.risk.kill_file), "left over")
    trader = setup.trader(cfg, setup.clients(sim, ("okx", "okx2")))
    plant(sim, "okx2", 60.0)
    sim.step()
    run = Run(trader)
    refusal = await next_refusal(run, "halted")
    await run.stop()
    assert refusal["verdict"] == "halted_kill" and not sim.order_log


async def test_daily_loss_limit_halts_and_no_further_order_is_sent(setup: Setup) -> None:
    sim = await setup.sim(("okx", "okx2"))
    sim.venue("okx2").faults.reject_rate = 1.0  # the sell leg fails: the bought base is held as exposure
    cfg = make_config(
        sim,
        ("okx", "okx2"),
        setup.tmp,
        execution={"on_partial": "hold"},
        risk={"daily_loss_limit": "0.05", "max_consecutive_failures": 10},
    )
    trader = setup.trader(cfg, setup.clients(sim, ("okx", "okx2")))
    plant(sim, "okx2", 60.0)
    sim.step()
    run = Run(trader)
    out = await run.next("outcome")
    halt = await run.next("halt")
    assert halt.reason == "daily_loss" and halt.until_ms is not None  # lifted at the next UTC midnight
    sent = len(sim.order_log)
    for _ in range(3):  # the edge is still there and both books update: every decision is refused
        sim.step()
    refusal = await next_refusal(run, "halted")
    assert refusal["verdict"] == "halted_daily_loss"
    status = trader.status()
    await run.stop()
    assert len(sim.order_log) == sent
    realised, at_mid = (Decimal(status["pnl_today"][k]) for k in ("realised", "open_exposure_at_mid"))
    assert realised == out.position.quote_net < 0 < at_mid  # bought base, marked to its venue's mid
    assert realised + at_mid <= -Decimal("0.05")
    assert trader.journal.events(kind="halt")[0]["detail"].startswith("trading halted: daily_loss")
