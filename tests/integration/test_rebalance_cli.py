"""After a paper run that disabled a direction for lack of balance, ``arb rebalance --json`` (the paper journal, a
real subprocess) proposes transfers that, applied, re-enable it; ``arb report`` shows gross PnL and PnL net of
them; the direction alert carries the suggestion."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest

from arb.trade.risk import direction_blocker
from tests.kit.live import Run, Setup, key_env, make_config, plant
from tests.kit.run import start_arb

D = Decimal
VENUES = ("okx", "binance")
SYM = "BTC/USDT"
pytestmark = pytest.mark.timeout(90)


async def _arb(*args: str) -> tuple[int, str, str]:
    p = await start_arb(*args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await p.communicate()
    assert p.returncode is not None
    return p.returncode, out.decode(), err.decode()


async def test_rebalance_after_a_paper_run_re_enables_the_disabled_direction(setup: Setup) -> None:
    sim = await setup.sim(VENUES)
    # okx holds 0.004 BTC: one arbitrage buying on binance and selling on okx empties it
    balances = {"okx": {"USDT": "1000", "BTC": "0.004"}, "binance": {"USDT": "1000", "BTC": "0.004"}}
    cfg = make_config(
        sim,
        VENUES,
        setup.tmp,
        mode="paper",
        execution={"paper_balances": balances},
        env=key_env(sim, VENUES, key="readonly"),  # read-only keys: the networks are loaded and journaled
    )
    trader = setup.trader(cfg, setup.clients(sim, VENUES, key=None), balance_refresh_s=0.2)
    run = Run(trader)
    plant(sim, "okx", 80.0)  # okx rich: buy binance → sell okx
    sim.step()
    out = await run.next("outcome")
    assert out.ok
    sim.step()
    change = await run.next("direction")
    assert change == ((SYM, "binance", "okx"), "disabled")
    await run.stop()
    assert trader.journal.events(kind="networks"), "the run journaled the venues' networks"
    alert = [e for e in trader.journal.events(kind="direction_disabled") if "binance → sell okx" in e["detail"]]
    assert alert and "rebalance:" in alert[0]["detail"] and "BTC binance→okx send" in alert[0]["detail"], alert

    db = cfg.store.paper_path
    code, stdout, stderr = await _arb("rebalance", "--db", db, "--json")
    assert code == 0, stderr
    doc = json.loads(stdout)
    assert doc["complete"] and "arb never withdraws" in doc["note"]
    moves = {(t["asset"], t["source"], t["dest"]): t for t in doc["transfers"]}
    btc = moves[("BTC", "binance", "okx")]
    assert btc["network"] == "BTC" and D(btc["amount"]) == D(btc["received"]) + D(btc["fee"])
    assert D(btc["amount"]) >= D(btc["minimum"])
    after = {(r["venue"], r["asset"]): D(r["amount"]) for r in doc["after"]}
    before = {(b["venue"], b["asset"]): b["total"] for b in trader.journal.balances()}  # latest per venue/asset
    spend = lambda b: lambda v, a: b.get((v, a))  # noqa: E731
    min_amount, min_quote = D("0.00001"), D("5")
    assert direction_blocker(SYM, "binance", "okx", spend(before), min_amount, min_quote) is not None
    assert direction_blocker(SYM, "binance", "okx", spend(after), min_amount, min_quote) is None  # re-enabled

    code, stdout, stderr = await _arb("report", "--db", db, "--json")
    assert code == 0, stderr
    pnl: dict[str, Any] = json.loads(stdout)["summary"]["pnl"]
    fees = D(doc["fee_quote"])
    assert fees > 0 and D(pnl["net_after_rebalancing"]) == D(pnl["total"]) - fees
    assert D(doc["gross_pnl"]) == D(pnl["total"]) and D(doc["net_after_rebalancing"]) == D(pnl["total"]) - fees
    code, text, _ = await _arb("report", "--db", db)
    assert code == 0 and "net after rebalancing" in text and "instant" in text
