"""`arb run` as a process against the loopback exchanges: SIGKILLed between the two legs, then a restart;
a read-only key refused at start-up. The simulators run in this test's event loop; the CLI connects to
them over 127.0.0.1 like any ccxt client.

The kill is observed from outside: the sell venue holds the sell placement (a delayed landing, longer
than the order's expiry window), and the process is SIGKILLed the moment the buy reaches its venue's
matching engine, before arb has its answer.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from arb.cli import main
from arb.scan.engine import wall_ms
from arb.store import Journal
from tests.kit.live import (
    PAIR,
    AliasedLoopback,
    key_env,
    no_duplicate_client_ids,
    plant,
    unplant,
    write_config,
)
from tests.kit.poll import eventually
from tests.kit.run import arb, start_live_run

VENUES = PAIR
pytestmark = pytest.mark.slow


async def test_crash_between_legs_then_restart_reconciles_without_resending(
    sim: AliasedLoopback, tmp_path: Path
) -> None:
    cfg = write_config(sim, VENUES, tmp_path, execution={"on_partial": "hold", "order_expiry_ms": 1000})
    env = key_env(sim, VENUES)
    faults = sim.venue("okx2").faults
    faults.order_delay_next, faults.order_delay_ms = 1, 2500  # the sell lands after its 1 s window: refused
    plant(sim, "okx2", 60.0)
    sim.step()
    proc = await start_live_run(cfg, env, duration_s="30", stdout=asyncio.subprocess.DEVNULL)
    sim.venue("okx").engine.listeners.append(lambda o, f: proc.returncode is None and proc.kill())
    _, err_bytes = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == -9, err_bytes.decode()  # SIGKILLed when the buy landed
    with Journal.open(tmp_path / "arb.db") as j:
        before = {o["side"]: o for o in j.orders()}
    assert set(before) == {"buy", "sell"}  # both intents were committed before anything was sent
    buy_id, sell_id = before["buy"]["client_id"], before["sell"]["client_id"]
    assert all(o["state"] not in ("closed", "canceled", "rejected") for o in before.values())
    assert before["sell"]["expires_ms"] == before["sell"]["sent_ms"] + 2000  # 1 s window + 1 s skew margin
    # the held sell (if it left before the kill) lands after its window: the venue refuses it, as real venues do
    await eventually(lambda: wall_ms() > before["sell"]["expires_ms"], timeout_s=10)
    unplant(sim)  # no new opportunity: the restart only reconciles
    sim.step()
    rc, _, err = await arb("run", "--config", cfg, "--live", "--yes", "--no-ui", "--duration", "1", env=env)
    assert rc == 0, err
    assert "open exposure" in err  # stopping with open exposure says so
    assert [e["client_id"] for e in sim.order_log if e["status"] != "rejected"] == [buy_id]  # nothing re-sent
    no_duplicate_client_ids(sim)
    with Journal.open(tmp_path / "arb.db") as j:
        after = {o["client_id"]: o for o in j.orders()}
        buy_entry = next(e for e in sim.order_log if e["client_id"] == buy_id)
        assert after[buy_id]["state"] == "closed" and after[buy_id]["filled"] == buy_entry["filled"]
        assert after[buy_id]["fee"] == buy_entry["fee"] and after[buy_id]["fee_currency"] == "BTC"
        assert after[sell_id]["state"] == "rejected" and "never executed" in after[sell_id]["reason"]
        assert not j.open_intents()
        assert {f["client_id"] for f in j.fills()} == {buy_id}
        (exp,) = j.exposures()
        assert exp["state"] == "open" and exp["venue"] == "okx"
        assert exp["base_delta"] == buy_entry["filled"] - buy_entry["fee"]
        findings = [e["detail"] for e in j.events(kind="reconcile")]
        assert any("order_found" in f and buy_id in f for f in findings)
        assert any("not_sent" in f and sell_id in f for f in findings)
        assert any("exposure" in f for f in findings)
        assert j.events(kind="shutdown_exposure")


async def test_read_only_key_fails_at_start_with_one_line(sim: AliasedLoopback, tmp_path: Path) -> None:
    cfg = write_config(sim, VENUES, tmp_path)
    plant(sim, "okx2", 60.0)
    sim.step()
    env = key_env(sim, VENUES, key="readonly")
    rc, out, err = await arb("run", "--config", cfg, "--live", "--yes", "--no-ui", "--duration", "5", env=env)
    assert rc == 1
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("arb: okx") and "cannot trade" in lines[0] and "read_only" in lines[0]
    assert not sim.order_log and out == ""


async def test_live_config_without_flag_and_alert_mode_are_usage_errors(
    sim: AliasedLoopback, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in key_env(sim, VENUES).items():
        monkeypatch.setenv(k, v)
    cfg = write_config(sim, VENUES, tmp_path)
    assert main(["run", "--config", cfg, "--no-ui"]) == 2  # usage errors are refused before any I/O
    assert "--live" in capsys.readouterr().err
    alert = write_config(sim, VENUES, tmp_path, mode="alert")
    assert main(["run", "--config", alert, "--live"]) == 2
    assert "arb scan" in capsys.readouterr().err
    assert not sim.order_log


async def test_kill_and_doctor_commands(
    sim: AliasedLoopback, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = write_config(sim, VENUES, tmp_path)
    assert main(["kill", "--config", cfg, "--reason", "maintenance"]) == 0  # no keys needed to stop a live run
    assert "kill file written" in capsys.readouterr().out
    assert (tmp_path / "arb.kill").read_text().startswith("maintenance")
    for k, v in key_env(sim, VENUES).items():
        monkeypatch.setenv(k, v)
    code = await asyncio.to_thread(main, ["doctor", "--config", cfg, "--json"])  # its own loop, in a thread
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["ok"]  # the loopback trader key: warnings only (no IP whitelist)
    assert {c["name"] for c in doc["checks"] if c["status"] == "warn"} == {"ip"}
