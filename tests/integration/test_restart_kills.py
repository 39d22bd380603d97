"""`arb run` SIGKILLed at a moment observed from outside, then restarted on the same journal (issue 12,
items 3, 4 and 5): the journal must end up agreeing with the venues' own order logs and fills.

The simulators run in this test's event loop; the CLI connects to them over 127.0.0.1. The test watches
the journal file (read-only) and the venues' matching engines to pick the moment of the kill.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arb.core.ledger import TERMINAL
from arb.store import Journal
from tests.kit.live import (
    AliasedLoopback,
    key_env,
    no_duplicate_client_ids,
    plant,
    start_sim,
    unplant,
    write_config,
)
from tests.kit.poll import eventually
from tests.kit.run import arb, start_live_run

pytestmark = pytest.mark.slow
D = Decimal


@pytest.fixture
async def sims() -> AsyncIterator[list[AliasedLoopback]]:
    made: list[AliasedLoopback] = []
    yield made
    for s in made:
        await s.stop()


async def start(sims: list[AliasedLoopback], venues: tuple[str, str]) -> AliasedLoopback:
    sim = await start_sim(venues)
    sims.append(sim)
    return sim


async def spawn(cfg: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await start_live_run(
        cfg, env, duration_s="30", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )


def journal_orders(db: Path) -> list[dict[str, Any]]:
    if not db.exists():
        return []
    try:
        with Journal.open(db, readonly=True) as j:
            return j.orders()
    except Exception:  # not created / migrated yet
        return []


async def sigkill(proc: asyncio.subprocess.Process) -> None:
    proc.kill()
    await asyncio.wait_for(proc.wait(), 10)


def assert_matches_venue(j: Journal, sim: AliasedLoopback, client_id: str) -> None:
    """The journaled order and its fills are exactly what the venue did."""
    (entry,) = [e for e in sim.order_log if e["client_id"] == client_id]
    row = j.get_order(client_id)
    assert row is not None and row["state"] in TERMINAL, row
    assert row["filled"] == entry["filled"] and row["fee"] == entry["fee"], (row, entry)
    fills = j.fills(client_id)
    assert sum(f["amount"] for f in fills) == entry["filled"]
    assert sum(f["fee"] for f in fills) == entry["fee"]


async def test_terminal_state_is_never_journaled_before_its_fills(sims: list[AliasedLoopback], tmp_path: Path) -> None:
    """Item 3: killed after the sell's answer, while its trades are being fetched; the restart completes it."""
    venues = ("okx", "binance")
    sim = await start(sims, venues)
    cfg = write_config(sim, venues, tmp_path, execution={"on_partial": "hold"})
    env = key_env(sim, venues)
    binance = sim.venue("binance")
    # from the sell's placement on, every further Binance REST request hangs (the trades look-up among them)
    binance.engine.listeners.append(lambda o, f: setattr(binance.faults, "rest_timeout_next", 10_000))
    plant(sim, "binance", 60.0)
    sim.step()
    proc = await spawn(cfg, env)
    db = tmp_path / "arb.db"
    sell = await eventually(
        lambda: next((o for o in journal_orders(db) if o["venue"] == "binance" and o["venue_order_id"]), None),
        timeout_s=20,
    )
    await sigkill(proc)  # the venue's answer (closed) is in hand, its fills are not
    with Journal.open(db) as j:
        row = j.get_order(sell["client_id"])
        assert row["state"] not in TERMINAL or row["filled"] is not None, row  # never terminal without fills
    binance.engine.listeners.clear()  # later engine events (the restart's look-ups) must not hang again
    binance.faults.rest_timeout_next = 0
    unplant(sim)
    rc, _, err = await arb("run", "--config", cfg, "--live", "--yes", "--no-ui", "--duration", "1", env=env)
    assert rc == 0, err
    with Journal.open(db) as j:
        assert_matches_venue(j, sim, sell["client_id"])
        assert not j.exposures("open")  # both legs filled: flat
    no_duplicate_client_ids(sim)


async def test_fills_survive_a_kill_right_after_the_outcome_and_are_recovered(
    sims: list[AliasedLoopback], tmp_path: Path
) -> None:
    """Item 4: fills are written with the order's outcome (not batched); missing ones are recovered on start."""
    venues = ("okx", "okx2")
    sim = await start(sims, venues)
    cfg = write_config(sim, venues, tmp_path, execution={"on_partial": "hold"})
    text = Path(cfg).read_text().replace("flush_ms = 20", "flush_ms = 600000")  # batched rows would sit in memory
    Path(cfg).write_text(text)
    env = key_env(sim, venues)
    plant(sim, "okx2", 60.0)
    sim.step()
    proc = await spawn(cfg, env)
    db = tmp_path / "arb.db"
    done = await eventually(
        lambda: (rows := journal_orders(db)) and len(rows) == 2 and all(r["state"] in TERMINAL for r in rows) and rows,
        timeout_s=20,
    )
    await sigkill(proc)  # right after both outcomes were journaled
    ids = [r["client_id"] for r in done]
    with Journal.open(db) as j:
        for cid in ids:
            assert_matches_venue(j, sim, cid)
    # a journal that lost them anyway (an older arb, a torn copy): recovered from the venue on start
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM fills")
    unplant(sim)
    rc, _, err = await arb("run", "--config", cfg, "--live", "--yes", "--no-ui", "--duration", "1", env=env)
    assert rc == 0, err
    with Journal.open(db) as j:
        for cid in ids:
            assert_matches_venue(j, sim, cid)
    no_duplicate_client_ids(sim)


async def test_arb_run_prepares_once_and_a_hedge_restart_flattens_a_held_exposure(
    sims: list[AliasedLoopback], tmp_path: Path
) -> None:
    """Item 5: `arb run` after a `hold` run with on_partial = "hedge" hedges the exposure (README's advice)."""
    venues = ("okx", "okx2")
    sim = await start(sims, venues)
    env = key_env(sim, venues)
    hold = write_config(sim, venues, tmp_path, "hold.toml", execution={"on_partial": "hold"})
    sim.venue("okx2").faults.reject_rate = 1.0  # the sell is refused: the buy is left as exposure
    plant(sim, "okx2", 60.0)
    sim.step()
    proc = await spawn(hold, env)
    db = tmp_path / "arb.db"
    await eventually(
        lambda: (rows := journal_orders(db)) and len(rows) == 2 and all(r["state"] in TERMINAL for r in rows),
        timeout_s=20,
    )
    with Journal.open(db, readonly=True) as j:
        await eventually(lambda: j.exposures("open"), timeout_s=10)
    proc.send_signal(2)  # Ctrl-C: a clean stop
    await asyncio.wait_for(proc.wait(), 20)
    sim.venue("okx2").faults.reject_rate = 0.0
    unplant(sim)
    sim.step()
    sent = len(sim.order_log)
    hedge = write_config(sim, venues, tmp_path, "hedge.toml", execution={"on_partial": "hedge"})
    rc, _, err = await arb("run", "--config", hedge, "--live", "--yes", "--no-ui", "--duration", "3", env=env)
    assert rc == 0, err
    with Journal.open(db) as j:
        runs = [r["id"] for r in j.runs()]
        fee_events = [e for e in j.events(kind="fee") if e["run_id"] == runs[-1]]
        assert len(fee_events) == 2  # prepared once: one fee look-up per venue and symbol
    assert len(sim.order_log) == sent + 1  # the restart sent one hedge ...
    no_duplicate_client_ids(sim)
    with Journal.open(db) as j:
        assert not j.exposures("open") and j.exposures("flattened")  # ... and it flattened the exposure
        hedge_row = next(r for r in j.orders() if r["leg"] == "hedge")
        assert_matches_venue(j, sim, hedge_row["client_id"])
