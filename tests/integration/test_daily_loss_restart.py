"""A restart on a journal that holds an open exposure must not halt for a daily loss it does not have.

The day's PnL counts each opportunity's quote flows and values its unmatched base at a mark. On start the day is
rebuilt from the journal before any book has arrived: a long exposure's purchase is in the realised PnL at once,
but there is no mid to value the base it bought. Valuing that base at 0 made the day look like a loss of the whole
notional, and the durable ``daily_loss`` halt stopped trading for the rest of the UTC day (seen in the chaos test).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from arb.store import Journal
from tests.kit.live import AliasedLoopback, key_env, plant, start_sim, unplant, write_config
from tests.kit.run import arb

pytestmark = pytest.mark.slow
VENUES = ("okx", "okx2")


@pytest.fixture
async def sim() -> AsyncIterator[AliasedLoopback]:
    s = await start_sim(VENUES)
    yield s
    await s.stop()


async def test_restart_with_a_long_exposure_before_books_arrive_is_not_a_daily_loss(
    sim: AliasedLoopback, tmp_path: Path
) -> None:
    cfg = write_config(
        sim,
        VENUES,
        tmp_path,
        execution={"on_partial": "hold"},
        risk={"daily_loss_limit": 100, "max_consecutive_failures": 1000},  # no other halt in force
    )
    env = key_env(sim, VENUES)
    run = ("run", "--config", cfg, "--live", "--yes", "--no-ui", "--duration")
    sim.venue("okx2").faults.reject_rate = 1.0  # the sell is refused: the buy (≈ 500 USDT) is held as exposure
    plant(sim, "okx2", 60.0)
    sim.step()
    rc, _, err = await arb(*run, "4", env=env)
    assert rc == 0, err
    with Journal.open(tmp_path / "arb.db", readonly=True) as j:
        exposures = j.exposures("open")
        assert exposures and all(e["base_delta"] > 0 for e in exposures) and not j.halts(), (exposures, j.halts())
    unplant(sim)
    for v in VENUES:  # the restart sees no book for a while: every WebSocket message is held 3 s
        sim.venue(v).faults.delay_ms = 3000
    sim.step()
    rc, _, err = await arb(*run, "2", env=env)
    assert rc == 0, err
    assert "trading halted" not in err, err
    with Journal.open(tmp_path / "arb.db", readonly=True) as j:
        assert j.halts() == [] and j.exposures("open")
