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
from tests.kit.poll import eventually
from tests.kit.run import start_arb

D = Decimal
VENUES = ("okx", "binance")
SYM = "BTC/USDT"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]  # subprocesses: arb rebalance and arb report


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

    def disabled() -> list[dict[str, Any]]:  # at send (the sell holds okx's BTC) or once settled
        return [e for e in trader.journal.events(kind="direction_disabled") if "binance → sell okx" in e["detail"]]

    await eventually(disabled, 15, what="direction disabled")
    await run.stop()
    assert ("BTC/USDT", "binance", "okx") in trader.risk.disabled  # still disabled: okx's BTC is gone
    assert trader.journal.events(kind="networks"), "the run journaled the venues' networks"
    detail = disabled()[0]["detail"]
    assert "rebalance:" in detail and "BTC binance→okx send" in detail, detail

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


def _journal(path: str, networks: dict[str, Any] | None) -> None:
    from arb.store import Journal

    j = Journal.open(path)
    try:
        j.start_run("paper", {}, now_ms=1_000, run_id="r1")
        rows = [(2_000, "okx", "500", "start"), (2_000, "binance", "500", "start")]
        rows += [(2_100, "okx", "700", "trade"), (2_100, "binance", "300", "trade")]  # arb sold on okx: quote piled up
        j.write_batch(
            [
                ("balance", {"ts_ms": ts, "venue": v, "asset": "USDT", "total": D(x), "source": src})
                for ts, v, x, src in rows
            ]
        )
        if networks is not None:
            j.write_batch(
                [("event", {"run_id": "r1", "ts_ms": 2_500, "kind": "networks", "detail": json.dumps(networks)})]
            )
        j.end_run("r1", now_ms=3_000, status="ok")
    finally:
        j.close()


def _usdt(venue: str, network: str, fee: str, withdraw: bool) -> dict[str, Any]:
    return {
        "venue": venue,
        "asset": "USDT",
        "network": network,
        "deposit": True,
        "withdraw": withdraw,
        "withdraw_fee": fee,
        "withdraw_min": "10",
        "withdraw_step": "0.000001",
        "confirmations": 20,
    }


async def test_rebalance_exit_codes_impossible_unknown_and_targets(tmp_path: Any) -> None:
    db = str(tmp_path / "paper.db")
    nets = {
        v: {"USDT": [_usdt(v, "TRC20", "1", v != "okx"), _usdt(v, "ERC20", "4", v != "okx")]}
        for v in ("okx", "binance")
    }
    _journal(db, nets)
    cfg = tmp_path / "arb.toml"
    cfg.write_text("[rebalance]\ntargets = { okx = { USDT = 1 }, binance = { USDT = 1 } }\n", encoding="utf-8")
    code, out, err = await _arb("rebalance", "--db", db, "--json", "--config", str(cfg))
    assert code == 1 and "withdrawals suspended at okx" in err and len(err.strip().splitlines()) == 1
    (t,) = json.loads(out)["transfers"]
    assert (t["status"], t["needed"]) == ("impossible", "200") and json.loads(out)["target"].startswith("configured")
    nets["okx"]["USDT"][0]["withdraw"] = True  # TRC20 open again at okx
    _journal(db2 := str(tmp_path / "paper2.db"), nets)
    code, out, _ = await _arb("rebalance", "--db", db2, "--json")
    (t,) = json.loads(out)["transfers"]
    assert code == 0 and (t["network"], t["amount"], t["received"]) == ("TRC20", "201", "200")
    _journal(db3 := str(tmp_path / "paper3.db"), None)  # no keys in the run: no networks journaled
    code, out, err = await _arb("rebalance", "--db", db3)
    assert code == 1 and "unknown" in err and "Traceback" not in err
    code, out, err = await _arb("rebalance", "--db", db3, "--networks", db2, "--json")  # borrowed networks
    assert code == 0 and json.loads(out)["transfers"][0]["network"] == "TRC20", err
    code, _, err = await _arb("rebalance", "--db", str(tmp_path / "missing.db"))
    assert code == 2 and "no journal" in err
