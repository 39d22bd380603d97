"""A restart must not forget an open exposure in the exposure limits because its symbol has no book.

A first run holds an ETH exposure (≈ 500 USDT bought on okx, the sell refused). The next run trades BTC only, so no
ETH book ever arrives: the ETH exposure still counts toward ``risk.max_exposure_per_venue`` at the price its legs
paid, and a BTC trade that would take okx past the limit is refused, saying why (it counted 0 and was accepted).
"""

from __future__ import annotations

import json
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
    s = await start_sim(VENUES, symbols=["BTC/USDT", "ETH/USDT"])
    yield s
    await s.stop()


def config(sim: AliasedLoopback, tmp: Path, symbol: str) -> str:
    return write_config(
        sim,
        VENUES,
        tmp,
        name=f"arb-{symbol.split('/')[0]}.toml",
        scanner={"symbols": [symbol]},
        execution={"on_partial": "hold"},
        risk={"max_exposure_per_venue": 600, "max_consecutive_failures": 1000},
    )


async def test_an_exposure_of_a_symbol_without_books_counts_toward_the_venue_limit(
    sim: AliasedLoopback, tmp_path: Path
) -> None:
    env = key_env(sim, VENUES)
    run = ("--live", "--yes", "--no-ui", "--duration")
    sim.venue("okx2").faults.reject_rate = 1.0  # the sell is refused: the ETH bought on okx is held as exposure
    plant(sim, "okx2", 60.0, symbol="ETH/USDT")
    sim.step()
    rc, _, err = await arb("run", "--config", config(sim, tmp_path, "ETH/USDT"), *run, "4", env=env)
    assert rc == 0, err
    with Journal.open(tmp_path / "arb.db", readonly=True) as j:
        held = j.exposures("open")
        assert held and all(e["symbol"] == "ETH/USDT" and e["venue"] == "okx" and e["base_delta"] > 0 for e in held)
        paid = sum(e["base_delta"] for e in held) * 3200
        assert 400 < paid <= 600, held  # near max_notional (500): any BTC trade above 100 takes okx past 600
        orders_before = len(j.orders())
    unplant(sim)
    sim.venue("okx2").faults.reject_rate = 0.0
    plant(sim, "okx2", 60.0, symbol="BTC/USDT")  # BTC pays: buy on okx, sell on okx2
    sim.step()
    rc, _, err = await arb("run", "--config", config(sim, tmp_path, "BTC/USDT"), *run, "3", env=env)
    assert rc == 0, err
    with Journal.open(tmp_path / "arb.db", readonly=True) as j:
        assert len(j.orders()) == orders_before, [o for o in j.orders() if o["symbol"] == "BTC/USDT"]
        decisions = [json.loads(e["detail"]) for e in j.events(kind="decision") if e["symbol"] == "BTC/USDT"]
    refused = [d for d in decisions if d["verdict"] == "exposure_venue"]
    assert refused and not [d for d in decisions if d["verdict"] == "accept"], decisions
    assert "venue okx" in refused[0]["why"] and "risk.max_exposure_per_venue = 600" in refused[0]["why"], refused
