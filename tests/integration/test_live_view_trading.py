"""The live view of a trading run shows trading: trades ok/failed, realised PnL today, in flight, open
exposures, disabled directions and a halt with its reason (issue 13 item 8).

A real paper trader against the loopback simulators: one trade on a planted dislocation, directions
disabled for lack of base, an open exposure left by an earlier run, then a kill file halts it. The view
is rendered from that trader's own ``status()`` to a fixed-width recorded rich console.

The disabled directions are ETH/USDT's, with no ETH on either venue: neither direction can trade, so
nothing in the run gives them their balance back. (A BTC/USDT direction disabled for okx2's lack of BTC
was enabled again by the trade itself, which buys BTC on okx2, whenever the supervisor re-checked the
directions before the view was rendered.)
"""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
from decimal import Decimal
from pathlib import Path

from rich.console import Console

from arb.cli.trade import write_kill_file
from arb.ui.display import money
from arb.ui.live import LiveView
from exchanges.sim.harness import default_balances
from tests.kit.live import SYM, Run, Setup, make_config, plant
from tests.kit.poll import eventually
from tests.kit.run import run_arb

VENUES = ("okx", "okx2")
ETH = "ETH/USDT"
REASON = "operator stop [maintenance]"  # brackets: the view must not read them as rich markup


def render(view: LiveView, width: int) -> str:
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    console.print(view.render())
    return console.export_text()


async def test_live_view_shows_trades_pnl_exposures_directions_and_halt(setup: Setup, tmp_path: Path) -> None:
    sim = await setup.sim(VENUES, symbols=[SYM, ETH])
    held = {k: str(x) for k, x in default_balances(sim.market).items()} | {"ETH": "0"}
    balances = {"okx": held, "okx2": held}  # no ETH anywhere: both ETH/USDT directions are disabled for good
    cfg = make_config(
        sim,
        VENUES,
        tmp_path,
        mode="paper",
        fee_bps=10,
        scanner={"symbols": [SYM, ETH]},
        execution={"paper_balances": balances, "on_partial": "hold", "confirm_updates": 1},
    )
    trader = setup.trader(cfg, setup.clients(sim, VENUES, key=None))
    exposure = trader.journal.record_exposure(
        {"opportunity_id": "earlier.1", "venue": "okx", "symbol": SYM, "base_delta": Decimal("0.0042"), "created_ms": 1}
    )
    run = Run(trader)
    await run.next("ready")
    outcome = asyncio.ensure_future(run.next("outcome"))
    engine = trader.scanner.engine
    plant(sim, "okx", 35.0)  # okx rich: buy on okx2, sell on okx (the enabled direction)
    for _ in range(60):
        if outcome.done():
            break
        before, seen = {v: sim.book(v, SYM).seq for v in VENUES}, engine.stats.updates
        sim.step()
        changed = sum(sim.book(v, SYM).seq != before[v] for v in VENUES)
        await eventually(lambda n=seen + changed: engine.stats.updates >= n or outcome.done())
    out = await outcome
    await eventually(lambda: not trader.risk.in_flight)
    write_kill_file(Path(cfg.risk.kill_file), REASON)
    await run.next("halt")
    await eventually(lambda: not trader.risk.in_flight)  # one accepted just before the halt finishes
    trader.supervisor.directions()  # what its housekeeping does every 0.25 s: render after a re-check

    st = trader.status()
    view = LiveView(trader.scanner, title="arb run (paper)", trading=trader.status)
    text = render(view, 160)
    ok, failed = st["stats"].get("trades_ok", 0), st["stats"].get("trades_failed", 0)
    assert ok + failed == len(trader.outcomes) >= 1 and out in trader.outcomes  # the dislocation may trade again
    assert f"ok {ok}" in text and f"failed {failed}" in text
    realised = Decimal(st["pnl_today"]["realised"])
    assert realised != 0 and re.search(rf"realised PnL today\s*│ {re.escape(money(realised))} ", text)
    assert re.search(r"in flight\s*│ 0 ", text)
    assert f"#{exposure} 0.0042 BTC/USDT on okx" in text
    assert "ETH/USDT okx → okx2: okx2 has 0 ETH spendable" in text
    assert "ETH/USDT okx2 → okx: okx has 0 ETH spendable" in text
    assert f"HALTED kill: {REASON}" in text
    await run.stop()

    narrow = render(view, 80)  # the same facts at 80 columns, nothing wider than the terminal
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert "HALTED kill: operator stop" in narrow and f"#{exposure} 0.0042 BTC/USDT on okx" in narrow


def demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_arb(
        "demo",
        "--duration",
        "3",
        "--symbols",
        "BTC/USDT",
        "--db",
        str(tmp_path / "demo.db"),
        *args,
        env={"COLUMNS": "80"},
        timeout_s=120,
    )


def test_demo_paper_live_view_shows_a_forced_halt(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    db.with_suffix(".kill").write_text("halt forced by the test\n", encoding="utf-8")  # demo's risk.kill_file
    proc = demo(tmp_path, "--paper")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "HALTED kill: halt forced by the test" in proc.stdout
    assert "realised PnL today" in proc.stdout and "in flight" in proc.stdout


def test_demo_alert_only_view_keeps_todays_view(tmp_path: Path) -> None:
    proc = demo(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Venues" in proc.stdout and "Why nothing fired" in proc.stdout
    assert "Trading" not in proc.stdout and "realised PnL" not in proc.stdout
