"""Paper and live on the same seeded, stepped market: the same decisions up to the first trade, and
each paper fill within tolerance of the live fill on the simulator (stated: same amount, average
price within 1 bp; on a market that does not move between decision and order they are equal)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from arb.trade.paper import PaperVenue
from exchanges.sim.harness import default_balances
from tests.kit.live import SYM, Run, Setup, make_config, plant
from tests.kit.poll import eventually

VENUES = ("okx", "okx2")
TOLERANCE_BPS = Decimal(1)


async def session(setup: Setup, mode: str, tmp: Path) -> tuple[list[dict[str, Any]], Any, Any]:
    """One run on a fresh simulator (seed 11): step the market, plant a dislocation at step 5, stop at
    the first trade. Every step waits until the engine has processed both venues' new books."""
    sim = await setup.sim(VENUES)
    tmp.mkdir()
    paper_balances = {v: {k: str(x) for k, x in default_balances(sim.market).items()} for v in VENUES}
    cfg = make_config(
        sim,
        VENUES,
        tmp,
        mode=mode,
        scanner={"min_net_bps": 3},
        fee_bps=10,
        execution={
            "confirm_updates": 3,
            "depth_multiple": "1.5",
            **({"paper_balances": paper_balances} if mode == "paper" else {}),
        },
    )
    trader = setup.trader(cfg, setup.clients(sim, VENUES, key="trader" if mode == "live" else None))
    decisions: list[dict[str, Any]] = []
    trader.listeners.append(
        lambda k, p: (
            decisions.append({x: y for x, y in p.items() if x != "opportunity_id"}) if k == "decision" else None
        )
    )
    run = Run(trader)
    await run.next("ready")
    engine = trader.scanner.engine
    for k in range(40):
        if k == 5:
            plant(sim, "okx2", 35.0)
        before = {v: sim.book(v, SYM).seq for v in VENUES}
        seen = engine.stats.updates
        sim.step()
        changed = sum(sim.book(v, SYM).seq != before[v] for v in VENUES)
        await eventually(lambda n=seen + changed: engine.stats.updates >= n)
        if any(d["verdict"] == "accept" for d in decisions):
            break
    out = await run.next("outcome")
    await run.stop()
    first = next(i for i, d in enumerate(decisions) if d["verdict"] == "accept")
    return decisions[: first + 1], out, trader


async def test_paper_and_live_decide_alike_and_fill_alike(setup: Setup, tmp_path: Path) -> None:
    live_decisions, live, live_trader = await session(setup, "live", tmp_path / "live")
    paper_decisions, paper, paper_trader = await session(setup, "paper", tmp_path / "paper")
    assert paper_decisions == live_decisions
    assert [d["verdict"] for d in live_decisions] == ["confirming", "accept"]  # held for 3 updates first
    assert all(isinstance(c, PaperVenue) for c in paper_trader.order_clients.values())
    assert live.ok and paper.ok
    for p, lv in zip(paper.legs, live.legs, strict=True):
        assert (p.venue, p.side, p.amount, p.price) == (lv.venue, lv.side, lv.amount, lv.price)
        assert p.filled == lv.filled
        assert abs(p.avg_price - lv.avg_price) <= lv.avg_price * TOLERANCE_BPS / 10_000
        assert p.fees == lv.fees  # the same fee model: rate and currency
    assert abs(paper.position.quote_net - live.position.quote_net) <= live.legs[0].cost * TOLERANCE_BPS / 10_000
    assert paper_trader.journal.path.name == "arb-paper.db" and paper_trader.journal.orders()
    assert live_trader.journal.path.name == "arb.db"


async def test_paper_holds_back_taken_liquidity_until_the_book_changes(setup: Setup) -> None:
    sim = await setup.sim(VENUES)
    (client,) = setup.clients(sim, ("okx",), key=None).values()
    await client.load_markets()
    book = await client.watch_order_book(SYM)
    from arb.core.model import Fee

    venue = PaperVenue("okx", client, fees={("okx", SYM): Fee(Decimal("0.001"))}, latency_ms=0)
    px, size = Decimal(str(book["asks"][0][0])), Decimal(str(book["asks"][0][1]))
    first = await venue.create_order(SYM, "limit", "buy", float(size), float(px), {"clOrdId": "p1"})
    second = await venue.create_order(SYM, "limit", "buy", float(size), float(px), {"clOrdId": "p2"})
    assert first["filled"] == size and first["status"] == "closed"
    assert second["filled"] == 0 and second["status"] == "canceled"  # the level was taken by the first
    assert first["fee"] == {"cost": size * Decimal("0.001"), "currency": "BTC"}
    assert (await venue.fetch_order(None, SYM, {"clientOrderId": "p1"}))["id"] == first["id"]
