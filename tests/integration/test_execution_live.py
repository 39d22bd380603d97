"""Live mode against the loopback exchanges: real ccxt.pro clients with keys, both legs at once.

Markets are stepped by the test (no driver), so the books a decision sees are the books the orders
meet: fills, fees and PnL are exactly checkable against the simulator's own fills. Every test
also checks the simulator's order log: no client order id ever reaches a venue twice.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from arb.notify import Notifier
from tests.kit.live import (
    SYM,
    Run,
    Setup,
    make_config,
    no_duplicate_client_ids,
    plant,
    sim_order,
    venue_pairs,
)
from tests.receiver import Receiver

D = Decimal


async def start(
    setup: Setup,
    venues: tuple[str, str] = ("okx", "okx2"),
    *,
    rich: str | None = None,
    notifier: Notifier | None = None,
    overrides: dict[str, Any] | None = None,
    plant_now: bool = True,
    **cfg_kw: Any,
) -> tuple[Any, Any, Run]:
    sim = await setup.sim(venues)
    cfg = make_config(sim, venues, setup.tmp, **cfg_kw)
    trader = setup.trader(cfg, setup.clients(sim, venues, **(overrides or {})), notifier=notifier)
    if plant_now:
        plant(sim, rich or venues[1], 60.0)  # the second venue is rich: buy on the first, sell there
        sim.step()
    return sim, trader, Run(trader)


@pytest.mark.parametrize("venues", venue_pairs(), ids="-".join)
async def test_both_legs_fill_pnl_matches_simulator_fills(setup: Setup, venues: tuple[str, str]) -> None:
    sim, trader, run = await start(setup, venues)
    out = await run.next("outcome")
    await run.stop()
    assert out.ok, out.summary()
    buy, sell = out.legs[:2]
    _, b_order = sim_order(sim, buy.client_id)
    _, s_order = sim_order(sim, sell.client_id)
    # hand computation from the simulator's own fills
    spent = sum(f.amount * f.price for f in b_order.fills)
    received = sum(f.amount * f.price for f in s_order.fills)
    assert (b_order.fee_currency, s_order.fee_currency) == ("BTC", "USDT")  # fee in the currency received
    quote_net = received - s_order.fee - spent
    base_net = b_order.filled - b_order.fee - s_order.filled
    assert (out.position.quote_net, out.position.base_net) == (quote_net, base_net)
    assert D(0) <= base_net < trader.markets[(venues[1], SYM)].amount_step  # base-neutral after fees: dust only
    assert quote_net > 0
    journal = trader.journal
    trade = json.loads(journal.events(kind="trade")[0]["detail"])
    assert D(trade["pnl_quote"]) == quote_net and trade["ok"] and D(trade["planned_net"]) > 0
    fills = {f["client_id"]: f for f in journal.fills()}
    assert (fills[buy.client_id]["fee"], fills[buy.client_id]["fee_currency"]) == (b_order.fee, "BTC")
    assert (fills[sell.client_id]["fee"], fills[sell.client_id]["fee_currency"]) == (s_order.fee, "USDT")
    orders = {o["client_id"]: o for o in journal.orders()}
    assert orders[buy.client_id]["state"] == orders[sell.client_id]["state"] == "closed"
    assert next(json.loads(e["detail"])["verdict"] for e in journal.events(kind="decision")) == "accept"
    assert {e["kind"] for e in journal.events()} >= {"fee", "decision", "trade", "trading"}
    no_duplicate_client_ids(sim)


@pytest.mark.parametrize("policy", ["hedge", "hold"])
async def test_rejected_leg_runs_the_policy_and_alerts(setup: Setup, policy: str) -> None:
    async with Receiver() as rx:
        notifier = Notifier([rx.url], min_interval_s=0, dedupe_window_s=0)
        sim = await setup.sim(("okx", "okx2"))
        sim.venue("okx2").faults.reject_rate = 1.0  # the rich venue refuses every order (OKX 51006)
        cfg = make_config(sim, ("okx", "okx2"), setup.tmp, execution={"on_partial": policy})
        trader = setup.trader(cfg, setup.clients(sim, ("okx", "okx2")), notifier=notifier)
        plant(sim, "okx2", 60.0)
        sim.step()
        run = Run(trader)
        out = await run.next("outcome")
        await run.stop()
        titles = [p["title"] for p in await rx.wait_for(1)]
    buy, sell = out.legs[:2]
    assert buy.state == "closed" and buy.filled == buy.amount
    assert sell.state == "rejected" and "51006" in (sell.reason or "")
    exposures = trader.journal.exposures()
    assert len(exposures) == 1 and exposures[0]["opportunity_id"] == out.opportunity_id
    assert any("failed leg" in t for t in titles)
    if policy == "hedge":  # the better-priced venue first (it refuses again), then the other one: flat
        hedges = [(h.venue, h.side, h.state) for h in out.legs[2:]]
        assert hedges == [("okx2", "sell", "rejected"), ("okx", "sell", "closed")]
        assert out.exposure == 0 and exposures[0]["state"] == "flattened"
    else:
        assert len(out.legs) == 2 and out.exposure == buy.filled - buy.fee
        assert exposures[0]["state"] == "open" and exposures[0]["base_delta"] == out.exposure
        assert trader.status()["open_exposures"][0]["base_delta"] == str(out.exposure)
        assert trader.journal.events(kind="shutdown_exposure")  # stopping with exposure says so
        assert any("stopped with open exposure" in t for t in titles)
    orders = {o["client_id"]: o for o in trader.journal.orders()}
    assert orders[sell.client_id]["state"] == "rejected" and "51006" in orders[sell.client_id]["reason"]
    assert orders[sell.client_id]["cause"] == "InvalidOrder"  # the refusal's code (ccxt's class for OKX 51006)
    no_duplicate_client_ids(sim)


@pytest.mark.parametrize("policy", ["hold", "retry", "hedge"])
async def test_partial_fill_policies(setup: Setup, policy: str) -> None:
    sim = await setup.sim(("okx", "okx2"))
    sim.venue("okx2").engine.forced_fill_ratio = D("0.5")  # every taker fill on okx2 stops at half the order
    cfg = make_config(sim, ("okx", "okx2"), setup.tmp, execution={"on_partial": policy})
    trader = setup.trader(cfg, setup.clients(sim, ("okx", "okx2")))
    plant(sim, "okx2", 60.0)
    sim.step()
    run = Run(trader)
    out = await run.next("outcome")
    await run.stop()
    buy, sell = out.legs[:2]
    assert sell.state == "canceled" and 0 < sell.filled < sell.amount  # IOC remainder cancelled
    imbalance = buy.filled - buy.fee - sell.filled
    exp = trader.journal.exposures()[0]
    if policy == "hold":
        assert len(out.legs) == 2 and out.exposure == imbalance and exp["state"] == "open"
    elif policy == "retry":  # the missing leg again, same venue, at its original limit, new client ids
        retries = out.legs[2:]
        assert [r.venue for r in retries] == ["okx2"] * len(retries) and retries
        assert all(r.price == sell.price and r.side == "sell" for r in retries)
        assert len({r.client_id for r in out.legs}) == len(out.legs)
        assert D(0) < out.exposure < imbalance  # each retry halves what is left (the fault persists)
        assert exp["state"] == "open" and exp["base_delta"] == out.exposure
    else:  # hedge: the better venue first (okx2, half fills), then the other one: flat
        assert out.exposure == 0 and exp["state"] == "flattened"
        assert [h.venue for h in out.legs[2:]] == ["okx2", "okx"]
    no_duplicate_client_ids(sim)


async def test_send_timeout_is_looked_up_never_resent(setup: Setup) -> None:
    sim = await setup.sim(("okx", "okx2"))
    clients = setup.clients(sim, ("okx", "okx2"), overrides={"okx2": {"timeout": 300}})
    faults = sim.venue("okx2").faults
    faults.rest_timeout_ms = 600  # the venue holds the request 600 ms, then places the order
    send = clients["okx2"].create_order

    async def slow_send(*a: Any, **k: Any) -> Any:
        faults.rest_timeout_rate = 1.0  # only this request hangs (the server decides on arrival)
        try:
            return await send(*a, **k)
        finally:
            faults.rest_timeout_rate = 0.0

    clients["okx2"].create_order = slow_send
    trader = setup.trader(make_config(sim, ("okx", "okx2"), setup.tmp), clients)
    plant(sim, "okx2", 60.0)
    sim.step()
    run = Run(trader)
    out = await run.next("outcome")
    await run.stop()
    sell = out.legs[1]
    assert out.ok, out.summary()  # the client timed out at 300 ms; the look-up by client id found the order
    entry, _ = sim_order(sim, sell.client_id)  # exactly once at the venue
    assert entry["status"] == "filled"
    no_duplicate_client_ids(sim)


async def test_429_on_send_is_not_resent(setup: Setup) -> None:
    sim, _, run = await start(setup, plant_now=False)
    await run.next("ready")
    sim.venue("okx2").faults.rate_limit_burst = 1  # the next request to okx2 gets OKX's 429 (50011)
    plant(sim, "okx2", 60.0)
    sim.step()
    out = await run.next("outcome")
    await run.stop()
    sell = out.legs[1]
    assert sell.state == "rejected" and "RateLimitExceeded" in (sell.reason or "")
    logged = [e for e in sim.order_log if e["client_id"] == sell.client_id]  # refused before the engine:
    assert len(logged) == 1 and logged[0]["status"] == "rejected" and "50011" in str(logged[0]["reject_reason"])
    assert not logged[0]["filled"]
    assert out.exposure == 0 and [h.venue for h in out.legs[2:]] == ["okx2"]  # hedged on the rich venue
    no_duplicate_client_ids(sim)


async def test_5xx_on_send_holds_the_unconfirmed_leg(setup: Setup) -> None:
    sim, trader, run = await start(setup, plant_now=False)
    await run.next("ready")
    sim.venue("okx2").faults.rest_5xx_rate = 1.0  # okx2 answers 503 to everything (look-ups included)
    plant(sim, "okx2", 60.0)
    sim.step()
    out = await run.next("outcome")
    sim.venue("okx2").faults.rest_5xx_rate = 0.0
    await run.stop()
    sell = out.legs[1]
    assert sell.state == "unknown" and "50001" in (sell.reason or "")  # ccxt: OnMaintenance (a 5xx)
    assert len(out.legs) == 2  # an unconfirmed leg is never acted on: held, no hedge, no resend
    exp = trader.journal.exposures()[0]
    assert exp["state"] == "open" and exp["base_delta"] == out.exposure > 0
    assert trader.journal.get_order(sell.client_id)["state"] == "unknown"  # reconcile settles it later
    assert not [e for e in sim.order_log if e["client_id"] == sell.client_id]
    no_duplicate_client_ids(sim)
