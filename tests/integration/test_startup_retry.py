"""Issue 12 item 9 (first half): a transient 429/503/hung request during `arb run`'s start-up checks is
retried with jittered back-off (and said so on stderr); only a persistent failure exits 1, with one line.

`arb run` runs as a process in live mode against the loopback exchanges, which run in this test's event
loop; the faults come from the simulators' own fault injection (exchanges/sim/faults.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.kit.live import PAIR, AliasedLoopback, config_dict, key_env, plant, toml_text
from tests.kit.poll import eventually
from tests.kit.run import start_live_run

VENUES = PAIR
pytestmark = pytest.mark.slow


async def arb_run(
    sim: AliasedLoopback,
    tmp: Path,
    duration_s: str,
    timeout_s: float = 60,
    ready_hook: Callable[[], None] | None = None,
) -> tuple[int, str, str]:
    """`arb run` in live mode (JSON lines); ``ready_hook`` runs when the run reports it is ready to trade."""
    cfg = config_dict(sim, VENUES, tmp)
    for v in VENUES:  # a hung request is given up by ccxt after 1 s (its `timeout` option), not 10 s
        cfg["venues"][v]["options"]["timeout"] = 1000
    path = tmp / "arb.toml"
    path.write_text(toml_text(cfg), encoding="utf-8")
    proc = await start_live_run(path, key_env(sim, VENUES), duration_s=duration_s)
    assert proc.stdout is not None and proc.stderr is not None

    async def lines() -> str:
        assert proc.stdout is not None
        out = []
        async for raw in proc.stdout:
            line = raw.decode()
            out.append(line)
            if ready_hook is not None and line.startswith('{"type":"ready"'):
                ready_hook()
        return "".join(out)

    try:
        async with asyncio.timeout(timeout_s):
            out, err = await asyncio.gather(lines(), proc.stderr.read())
            await proc.wait()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out, err.decode()


@pytest.mark.parametrize("fault", ["rate_limit_burst", "rest_5xx_rate", "rest_timeout_next"])
async def test_one_transient_failure_at_start_is_retried_and_the_run_trades(
    sim: AliasedLoopback, tmp_path: Path, fault: str
) -> None:
    server = sim.venue("okx")
    faults = server.faults
    if fault == "rest_5xx_rate":
        faults.rest_5xx_rate = 1.0  # 503 until the first request was refused (then the venue is back)
    else:
        setattr(faults, fault, 1)  # only the very first REST request at okx: the start-up key check
    plant(sim, "okx2", 60.0)
    sim.step()
    run = asyncio.ensure_future(arb_run(sim, tmp_path, "4"))
    if fault == "rest_5xx_rate":
        await eventually(lambda: any(r["status"] == 503 for r in server.request_log) or run.done(), timeout_s=30)
        faults.rest_5xx_rate = 0.0
    rc, out, err = await run
    assert rc == 0, err
    assert "Traceback" not in err
    assert "startup.retry venue=okx" in err, err  # the retry is said, at the default log level
    outcomes = [json.loads(x) for x in out.splitlines() if x.startswith("{") and '"outcome"' in x]
    assert outcomes and outcomes[0]["ok"], out  # the run started and traded
    assert sim.order_log


async def test_persistent_rate_limit_at_start_exits_1_with_one_line(sim: AliasedLoopback, tmp_path: Path) -> None:
    sim.venue("okx").faults.rate_limit_burst = 10_000
    plant(sim, "okx2", 60.0)
    sim.step()
    rc, out, err = await arb_run(sim, tmp_path, "4")
    assert rc == 1, err
    lines = [x for x in err.splitlines() if x.strip() and "startup.retry" not in x]
    assert len(lines) == 1, err
    assert lines[0].startswith("arb: okx") and "attempts" in lines[0] and "Traceback" not in err
    assert not sim.order_log and out == ""


async def test_every_start_up_call_survives_a_flaky_venue(sim: AliasedLoopback, tmp_path: Path) -> None:
    """A third of all REST requests answer 503 during the whole start-up (key check, markets, fees, balances,
    reconcile): each is retried; once the run says it is ready the venues recover and it trades."""
    for v in VENUES:
        sim.venue(v).faults.rest_5xx_rate = 0.3
    run = asyncio.ensure_future(arb_run(sim, tmp_path, "6", ready_hook=lambda: recover(sim)))
    rc, out, err = await run
    assert rc == 0, err
    assert "Traceback" not in err
    refused = [r for v in VENUES for r in sim.venue(v).request_log if r["status"] == 503]
    assert refused, "the fault never fired"
    assert err.count("startup.retry") >= len(refused) - 1, err  # every refusal before `ready` was retried, and said
    outcomes = [json.loads(x) for x in out.splitlines() if x.startswith("{") and '"outcome"' in x]
    assert outcomes and outcomes[0]["ok"], out


def recover(sim: AliasedLoopback) -> None:
    for v in VENUES:
        sim.venue(v).faults.rest_5xx_rate = 0.0
    plant(sim, "okx2", 60.0)
    sim.step()
