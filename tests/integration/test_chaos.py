"""Chaos: live ``arb run`` against faulty venues, SIGKILLed at random moments, restarted on one journal, audited.

This test process hosts the loopback venues (okx, binance, bybit; frequent dislocations so trades happen;
placement faults — delayed landings inside and past the venue's expiry, responses dropped after the
order was processed, 5xx after acceptance, rejects — and WebSocket disconnects). ``arb run --live`` runs
as a real subprocess; it is SIGKILLed several times, most of them right after an ``accept`` decision line
(intents in flight), the others at a random moment (start-up reconcile included), and restarted on the
same journal. A last run trades for a while, then the market calms (no new dislocations) and the run
ends with SIGINT once reconcile has settled every order and no placement is still on its way. Then
:func:`tests.kit.audit.audit` compares the venues' order logs, fills and balances with the journal: any
disagreement fails the test, listed line by line.

Scale: ``CHAOS_KILLS`` (default 4), ``CHAOS_SECONDS`` (longest life of one killed process, default 10),
``CHAOS_SEED`` (default 12), ``CHAOS_POLICY`` (``hedge`` or ``hold``; default hedge). ``make chaos``
runs a long version.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from arb.store import Journal
from exchanges.sim.faults import FaultConfig
from exchanges.sim.harness import LoopbackExchanges
from tests.kit.audit import audit, fill_flows
from tests.kit.live import config_dict, key_env, toml_text
from tests.kit.run import start_live_run

VENUES = ("okx", "binance", "bybit")
SYMBOLS = ["BTC/USDT", "ETH/USDT"]
KILLS = int(os.environ.get("CHAOS_KILLS", "4"))
LIFE_S = float(os.environ.get("CHAOS_SECONDS", "10"))
SEED = int(os.environ.get("CHAOS_SEED", "12"))
POLICY = os.environ.get("CHAOS_POLICY", "hedge")
EXPIRY_MS = 4000  # execution.order_expiry_ms: the venue expiry arb sends with every order
SETTLE_S = 40.0  # the last run's deadline to settle every order
DAILY_LOSS_LIMIT = Decimal(100)  # risk.daily_loss_limit (arb's default)

# ~35 s at the default scale; the per-test timeout grows with CHAOS_KILLS/CHAOS_SECONDS (make chaos)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(int(180 + KILLS * (LIFE_S + 30) + 2 * SETTLE_S))]


def faults() -> dict[str, FaultConfig]:
    """Moderate placement faults everywhere; OKX delays past the expiry, the others inside it."""
    common = {
        "order_delay_rate": 0.2,
        "order_drop_rate": 0.1,
        "order_error_after_accept_rate": 0.1,
        "reject_rate": 0.05,
        "rest_timeout_ms": 4000,
    }
    return {
        "okx": FaultConfig(order_delay_ms=EXPIRY_MS + 2000, disconnect_every_ms=9000, **common),
        "binance": FaultConfig(order_delay_ms=EXPIRY_MS // 2, disconnect_every_ms=11_000, **common),
        "bybit": FaultConfig(order_delay_ms=EXPIRY_MS // 2, **common),
    }


@dataclass
class Chaos:
    sim: LoopbackExchanges
    tmp: Path
    config: str
    env: dict[str, str]
    rng: random.Random
    starts: list[int] = field(default_factory=list)  # each process's start, wall ms (the venues' clock)
    kills_in_flight: int = 0
    decisions: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    log: list[str] = field(default_factory=list)

    async def spawn(self, n: int) -> asyncio.subprocess.Process:
        self.starts.append(int(time.time() * 1000))
        err = open(self.tmp / f"arb-{n}.err", "wb")  # noqa: SIM115 - closed when the process is reaped
        proc = await start_live_run(self.config, self.env, stderr=err)
        err.close()
        return proc

    async def life(self, n: int) -> None:
        """One process: SIGKILL right after its 1st-3rd accept decision (2 of 3 lives) or at a random moment."""
        proc = await self.spawn(n)
        on_decision = self.rng.random() < 0.67
        accepts_left = self.rng.randint(1, 3)
        deadline = self.rng.uniform(1.0, LIFE_S) if not on_decision else LIFE_S
        why = "timer"
        assert proc.stdout is not None
        try:
            async with asyncio.timeout(deadline):
                async for raw in proc.stdout:
                    doc = _json(raw)
                    if doc.get("type") == "decision":
                        self.verdicts[str(doc.get("verdict"))] += 1
                    if doc.get("type") == "decision" and doc.get("verdict") == "accept":
                        self.decisions += 1
                        accepts_left -= 1
                        if on_decision and accepts_left == 0:
                            await asyncio.sleep(self.rng.choice((0, 0, 0.005, 0.02, 0.08)))
                            why = "decision"
                            break
        except TimeoutError:
            pass
        if proc.returncode is None:
            proc.send_signal(signal.SIGKILL)
        rc = await proc.wait()
        self.kills_in_flight += why == "decision"
        self.log.append(f"process {n}: killed on {why} (rc {rc})")

    async def last_run(self, n: int) -> int:
        """A clean run: wait until every order is settled and no placement is on its way, then SIGINT."""
        proc = await self.spawn(n)
        drain = asyncio.create_task(_drain(proc))
        db = self.tmp / "arb.db"
        begun = time.monotonic()
        pending: str | None = "not started"
        calm = False
        while time.monotonic() - begun < SETTLE_S and proc.returncode is None:
            await asyncio.sleep(0.5)
            if not calm and time.monotonic() - begun > LIFE_S / 2:
                calm = True  # no new dislocations from here on: trading stops, reconcile settles
                self.sim.market.params = replace(self.sim.market.params, dislocation_rate_per_min=0.0)
                now = self.sim.market.now_ms
                self.sim.market.schedule[:] = [d for d in self.sim.market.schedule if d.start_ms <= now]
            in_flight = sum(s.placements_in_flight for s in self.sim.servers.values())
            pending = _unsettled(db) or (f"{in_flight} placements in flight" if in_flight else None)
            if pending is None and calm and time.monotonic() - begun > LIFE_S / 2 + EXPIRY_MS / 1000 + 4:
                break
        took = f"{time.monotonic() - begun:.1f} s"
        self.log.append(
            f"process {n}: last run, "
            + (f"NOT settled after {took}: {pending}" if pending else f"settled after {took}")
        )
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        rc = await asyncio.wait_for(proc.wait(), 30)
        await drain
        return rc


def _json(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


async def _drain(proc: asyncio.subprocess.Process) -> None:
    assert proc.stdout is not None
    async for _ in proc.stdout:
        pass


def _unsettled(db: Path) -> str | None:
    """None when no journaled order is still unresolved, else what is."""
    try:
        with Journal.open(db, readonly=True) as j:
            left = j.open_intents()
    except Exception as e:  # the journal is being written or locked: ask again
        return f"journal unreadable ({type(e).__name__}: {e})"
    return "; ".join(f"{o['venue']} {o['client_id']} {o['state']} ({o.get('reason')})" for o in left) or None


def unfounded_loss_halts(sim: LoopbackExchanges, halts: list[dict[str, Any]], limit: Decimal) -> list[str]:
    """A daily-loss halt needs a real loss: the venues' PnL from the fills up to the halt (quote flows and fees,
    base marked at the current mid, with 2% slack on the base) must have reached ``-limit``."""
    out = []
    for h in halts:
        if h["reason"] != "daily_loss":
            continue
        flows: Counter[str] = Counter()
        for v in VENUES:
            for f in (f for f in sim.fills(v) if f["ts_ms"] <= h["ts_ms"]):
                flows.update(fill_flows(f["side"], f["symbol"], f["amount"], f["price"], f["fee"], f["fee_currency"]))
        mids = {s.split("/")[0]: Decimal(str(sim.market.mids[s])) for s in SYMBOLS}
        pnl = flows["USDT"] + sum((flows[b] * m for b, m in mids.items()), Decimal(0))
        slack = sum((abs(flows[b]) * m for b, m in mids.items()), Decimal(0)) * Decimal("0.02")
        if pnl - slack > -limit:
            out.append(
                f"halted for daily loss at {h['ts_ms']} ({h.get('detail')}) but the venues' PnL then was "
                f"{pnl:.4f} USDT (limit -{limit})"
            )
    return out


@pytest.fixture
async def sim() -> AsyncIterator[LoopbackExchanges]:
    s = LoopbackExchanges(
        venues=list(VENUES),
        symbols=SYMBOLS,
        seed=SEED,
        faults=faults(),
        update_interval_ms=50,
        dislocation_rate_per_min=40.0,
        dislocation_bps=(25.0, 60.0),
        dislocation_ms=(1500, 4000),
    )
    await s.start()
    yield s
    await s.stop()


async def test_kills_faults_and_restarts_leave_venues_and_journal_in_agreement(
    sim: LoopbackExchanges, tmp_path: Path
) -> None:
    doc = config_dict(
        sim,
        VENUES,
        tmp_path,
        execution={"on_partial": POLICY, "order_expiry_ms": EXPIRY_MS, "order_timeout_ms": 2000},
        scanner={"max_notional": 200, "symbols": SYMBOLS},
        risk={"daily_loss_limit": int(DAILY_LOSS_LIMIT)},
    )
    config = tmp_path / "arb.toml"
    config.write_text(toml_text(doc), encoding="utf-8")
    chaos = Chaos(sim, tmp_path, str(config), key_env(sim, VENUES), random.Random(SEED))
    for n in range(KILLS):
        await chaos.life(n)
    rc = await chaos.last_run(KILLS)
    err = (tmp_path / f"arb-{KILLS}.err").read_text(errors="replace")
    lines = audit(tmp_path / "arb.db", sim, policy=POLICY, process_starts=chaos.starts)
    attempts = sim.attempts()
    accepted = sum(a["order_id"] is not None for a in attempts)
    with Journal.open(tmp_path / "arb.db", readonly=True) as j:
        halt_rows = j.halts()
    halts = [f"{h['reason']} ({h.get('detail')})" for h in halt_rows]
    lines += unfounded_loss_halts(sim, halt_rows, DAILY_LOSS_LIMIT)
    moved: Counter[str] = Counter()
    for v in VENUES:
        for ccy, amount in sim.account_balances(v).items():
            moved[ccy] += amount - sim.initial_balances[v].get(ccy, 0)
    summary = (
        f"{len(attempts)} placements, {accepted} accepted; decisions of killed runs {dict(chaos.verdicts)}; "
        f"halts: {halts or 'none'}; all venues moved {dict(moved)}"
    )
    story = "\n".join([*chaos.log, summary])
    print(story)
    assert rc == 0 and "Traceback" not in err, f"last run rc {rc}:\n{err[-3000:]}\n{story}"
    assert attempts and chaos.kills_in_flight >= min(1, KILLS), f"the chaos never hit an order in flight\n{story}"
    assert lines == [], f"{len(lines)} disagreements between venues and journal:\n" + "\n".join(lines) + "\n" + story
