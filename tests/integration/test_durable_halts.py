"""Halts survive restarts (issue 12 item 6): `arb run` halts on a breaker, a restart on the same journal is
still halted and sends nothing (its exit line says why), `arb resume` ends the halt (journaled with who and
why), and the next start trades. A running arb picks up `arb resume` from the journal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from arb.store import Journal
from tests.kit.live import (
    PAIR,
    AliasedLoopback,
    Run,
    Setup,
    config_dict,
    key_env,
    make_config,
    plant,
    toml_text,
)
from tests.kit.run import arb

VENUES = PAIR
pytestmark = pytest.mark.slow


def last_line(err: str) -> str:
    return [x for x in err.splitlines() if x.strip()][-1]


async def test_a_halt_survives_restarts_until_arb_resume(sim: AliasedLoopback, tmp_path: Path) -> None:
    path = tmp_path / "arb.toml"
    path.write_text(
        toml_text(
            config_dict(sim, VENUES, tmp_path, execution={"on_partial": "hold"}, risk={"max_consecutive_failures": 1})
        ),
        encoding="utf-8",
    )
    cfg, env = str(path), key_env(sim, VENUES)
    run = ("run", "--config", cfg, "--live", "--yes", "--no-ui", "--duration")
    sim.venue("okx2").faults.reject_rate = 1.0  # the sell leg is refused: one failed arbitrage trips the breaker
    plant(sim, "okx2", 60.0)
    sim.step()
    rc, _, err = await arb(*run, "4", env=env)
    assert rc == 0, err
    assert last_line(err).startswith("trading halted: consecutive_failures"), err
    sent = len(sim.order_log)
    assert sent == 2
    sim.venue("okx2").faults.reject_rate = 0.0  # the venue is fine again, the edge is still there
    sim.step()
    for _ in range(2):  # each restart: still halted, nothing sent, and the exit line says so
        rc, _, err = await arb(*run, "2", env=env)
        assert rc == 0, err
        assert len(sim.order_log) == sent
        assert last_line(err).startswith("trading halted: consecutive_failures"), err
    rc, out, err = await arb("resume", "--config", cfg, "--reason", "checked okx2", env={})
    assert rc == 0, err
    assert "cleared halt #1 (consecutive_failures" in out
    with Journal.open(tmp_path / "arb.db", readonly=True) as j:
        (h,) = j.halts()
        assert h["cleared_ms"] is not None and "checked okx2" in h["cleared_by"]
    rc, out, err = await arb("resume", "--config", cfg, env={})
    assert rc == 0 and "no halt in force" in out
    sim.step()
    rc, _, err = await arb(*run, "4", env=env)
    assert rc == 0, err
    assert len(sim.order_log) > sent and "trading halted" not in err  # trades again
    assert "trades ok 1" in err


async def test_a_running_arb_picks_up_arb_resume(setup: Setup) -> None:
    sim = await setup.sim(VENUES)
    cfg = make_config(sim, VENUES, setup.tmp, execution={"on_partial": "hold"}, risk={"max_consecutive_failures": 1})
    sim.venue("okx2").faults.reject_rate = 1.0
    trader = setup.trader(cfg, setup.clients(sim, VENUES))
    run = Run(trader)
    plant(sim, "okx2", 60.0)
    sim.step()
    halt = await run.next("halt")
    assert halt.reason == "consecutive_failures"
    sim.venue("okx2").faults.reject_rate = 0.0
    cfg_path = setup.tmp / "arb.toml"
    cfg_path.write_text(toml_text(config_dict(sim, VENUES, setup.tmp)), encoding="utf-8")
    rc, out, err = await arb("resume", "--config", str(cfg_path), env={})
    assert rc == 0 and "cleared halt" in out, err
    lifted: Any = await run.next("resume")
    assert lifted.reason == "consecutive_failures" and trader.risk.halted is None
    sim.step()
    out2 = await run.next("outcome")
    await run.stop()
    assert out2.ok
    assert [e["kind"] for e in trader.journal.events() if e["kind"] in ("halt", "resume")] == ["halt", "resume"]


async def test_demo_paper_exit_line_reports_the_halt_in_force(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    with Journal.open(db) as j:  # an earlier paper run on this journal tripped the failure breaker
        j.record_halt(
            {
                "run_id": "earlier",
                "reason": "consecutive_failures",
                "detail": "3 arbitrages in a row failed",
                "ts_ms": 1,
                "until_ms": None,
            }
        )
    rc, _, err = await arb("demo", "--paper", "--no-ui", "--duration", "3", "--db", str(db), env={})
    assert rc == 0, err
    assert "trades ok 0" in err
    assert last_line(err) == "trading halted: consecutive_failures: 3 arbitrages in a row failed", err
