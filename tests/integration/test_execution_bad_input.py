"""Bad input at the venue boundary: refused orders are journaled with the venue's reason and never
retried; malformed order data and unknown order ids are logged and reconciled, never crash the engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arb.core.model import Fee, Leg, MarketSpec, Opportunity
from arb.store import Journal
from arb.trade.executor import Executor
from arb.trade.orders import OrderRouter
from tests.kit.live import (
    SYM,
    Run,
    Setup,
    make_config,
    no_duplicate_client_ids,
    plant,
    start_sim,
)

D = Decimal
VENUES = ("okx", "okx2")


def opportunity(buy_amount: str, buy_price: str, sell_amount: str, sell_price: str) -> Opportunity:
    def leg(venue: str, side: str, amount: str, price: str) -> Leg:
        return Leg(venue, side, D(amount), D(price), D(price), D(price), D(0), 1)  # type: ignore[arg-type]

    b, s = leg("okx", "buy", buy_amount, buy_price), leg("okx2", "sell", sell_amount, sell_price)
    return Opportunity(SYM, b, s, D(1), D(1), D(0), D(0), D(0), D(0))


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """An executor over live ccxt clients on both simulated venues, its router fed by watch_orders."""
    sim = await start_sim(VENUES, balances={"USDT": D(1000), "BTC": D("0.01")})
    setup = Setup(tmp_path)
    clients = setup.clients(sim, VENUES)
    for c in clients.values():
        await c.load_markets()
    journal = Journal.open(tmp_path / "arb.db")
    router = OrderRouter()
    stop = asyncio.Event()
    watchers = [asyncio.create_task(router.watch(v, c, stop)) for v, c in clients.items()]
    markets = {(v, SYM): MarketSpec.from_ccxt(clients[v].markets[SYM]) for v in VENUES}
    fees = {(v, SYM): Fee(D("0.001")) for v in VENUES}
    alerts: list[tuple[str, str, str]] = []
    ex = Executor(
        clients,
        journal,
        run_id="bad",
        markets=markets,
        fees=fees,
        router=router,
        order_timeout_ms=500,
        alert=lambda t, b, k: alerts.append((t, b, k)),
    )
    yield {"sim": sim, "clients": clients, "journal": journal, "executor": ex, "router": router, "alerts": alerts}
    stop.set()
    for w in watchers:
        w.cancel()
    journal.close()
    await setup.close()
    await sim.stop()


@pytest.mark.parametrize(
    ("case", "opp", "buy_reason", "sell_reason"),
    [
        ("min_size", ("0.000005", "70000", "0.000005", "60000"), "51020", "51020"),  # below OKX minSz 0.00001
        ("precision", ("0.000000001", "70000", "0.000000001", "60000"), "precision", "precision"),  # < 1 lot
        ("insufficient", ("1", "70000", "5", "60000"), "51008", "51008"),  # 70,000 USDT / 5 BTC not there
    ],
)
async def test_refused_orders_are_journaled_with_the_reason_and_never_retried(
    rig: dict[str, Any], case: str, opp: tuple[str, str, str, str], buy_reason: str, sell_reason: str
) -> None:
    out = await rig["executor"].execute(f"bad-{case}", opportunity(*opp))
    buy, sell = out.legs
    assert (buy.state, sell.state) == ("rejected", "rejected")
    assert buy_reason in (buy.reason or "") and sell_reason in (sell.reason or "")
    rows = {r["client_id"]: r for r in rig["journal"].orders()}
    assert rows[buy.client_id]["state"] == "rejected" and buy_reason in rows[buy.client_id]["reason"]
    assert out.exposure == 0 and not rig["journal"].exposures()
    sim = rig["sim"]
    for leg in (buy, sell):  # at most one attempt reached the venue (none when ccxt refused it first)
        assert len([e for e in sim.order_log if e["client_id"] == leg.client_id]) == (0 if case == "precision" else 1)
    assert len(out.legs) == 2  # no retry, no hedge: nothing was bought or sold
    assert any(t.startswith("arb failed") for t, _, _ in rig["alerts"])


async def test_malformed_answers_and_updates_never_crash(rig: dict[str, Any]) -> None:
    router: OrderRouter = rig["router"]
    for junk in (None, 42, "x", [], {"clientOrderId": None}, {"info": "?"}, {"clientOrderId": "arbzz", "filled": "?"}):
        router.on_order("okx", junk)
    assert router.malformed >= 3 and router.unknown >= 3
    # the venue's answer to create_order is unreadable: the executor looks the order up instead of resending
    client = rig["clients"]["okx2"]
    send = client.create_order

    async def garbled(*a: Any, **k: Any) -> Any:
        placed = await send(*a, **k)
        return {**placed, "filled": "NaN?", "status": None}

    client.create_order = garbled
    book = rig["sim"].book("okx2", SYM)
    bid = book.bids[0][0]
    ask = rig["sim"].book("okx", SYM).asks[0][0]
    out = await rig["executor"].execute("garbled", opportunity("0.001", str(ask), "0.0009", str(bid)))
    sell = out.legs[1]
    assert sell.state == "closed" and sell.filled == D("0.0009")
    no_duplicate_client_ids(rig["sim"])


async def test_unknown_order_ids_are_logged_and_trading_goes_on(tmp_path: Path) -> None:
    setup = Setup(tmp_path)
    try:
        sim = await setup.sim(VENUES)
        clients = setup.clients(sim, VENUES)
        trader = setup.trader(make_config(sim, VENUES, tmp_path), clients)
        run = Run(trader)
        await run.next("ready")
        other = setup.clients(sim, ("okx",))["okx"]  # the same account from another client: not our orders
        await other.load_markets()
        px = float(sim.book("okx", SYM).asks[0][0])
        await other.create_order(SYM, "limit", "buy", 0.0001, px, {"clOrdId": "manual1"})
        await other.create_order(SYM, "limit", "buy", 0.0001, px, {"clOrdId": "arbnotjournaled1"})
        plant(sim, "okx2", 60.0)
        sim.step()
        out = await run.next("outcome")  # trading continues
        await run.stop()
        assert out.ok
        assert trader.router.unknown >= 2 and trader.status()["orders_unknown_ids"] >= 2
    finally:
        await setup.close()
