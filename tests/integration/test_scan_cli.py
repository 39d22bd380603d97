"""`arb scan` / `arb demo` as a user runs them: subprocesses, loopback exchanges, real journals."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from exchanges.sim.harness import LoopbackExchanges
from exchanges.sim.registry import available_venues
from tests.kit.builders import toml_text
from tests.kit.run import arb, start_arb


def write_config(path: Path, venues: dict[str, dict[str, Any]], symbols: list[str], db: Path) -> Path:
    path.write_text(
        toml_text(
            {
                "scanner": {"symbols": symbols, "venues": list(venues), "max_book_age_ms": 2000},
                "venues": {name: {"ccxt_id": "okx", "options": opts} for name, opts in venues.items()},
                "store": {"path": str(db), "paper_path": str(db) + ".paper"},
            }
        )
    )
    return path


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def okx_options(sim: LoopbackExchanges) -> dict[str, Any]:
    cfg = sim.ccxt_config("okx", key=None)
    return {k: v for k, v in cfg.items() if k not in ("apiKey", "secret", "password")}


async def test_unknown_symbol_and_outage_at_startup_are_one_line_each(tmp_path: Path) -> None:
    async with LoopbackExchanges(venues=["okx"], symbols=["BTC/USDT"], seed=2, update_interval_ms=50) as sim:
        good = okx_options(sim)
        dead = json.loads(json.dumps(good).replace(sim.base_urls["okx"], f"http://127.0.0.1:{closed_port()}"))
        cfg = write_config(
            tmp_path / "arb.toml", {"okx": good, "okx_down": dead}, ["BTC/USDT", "FOO/USDT"], tmp_path / "j.db"
        )
        code, out, err = await arb("scan", "--config", str(cfg), "--no-ui", "--duration", "3")
    assert code == 0, err
    assert "Traceback" not in err
    lines = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    skipped = [x for x in lines if x.get("kind") == "symbol_skipped" and x.get("symbol") == "FOO/USDT"]
    assert skipped and "not listed" in skipped[0]["detail"]
    down = [x for x in lines if x.get("kind") == "venue_down" and x.get("venue") == "okx_down"]
    assert down, "an unreachable venue at start-up is reported (and retried)"
    summary = lines[-1]
    assert summary["type"] == "summary" and summary["venues"]["okx"]["status"] == "up"
    assert summary["updates"] > 0


@pytest.mark.parametrize("where", ["missing_dir", "not_a_db"])
async def test_unusable_journal_path_exits_2_with_one_line(tmp_path: Path, where: str) -> None:
    if where == "missing_dir":
        db = Path("/proc/arb-cannot-create/j.db")
    else:
        db = tmp_path / "garbage.db"
        db.write_bytes(b"this is not a sqlite database, just text" * 100)
    cfg = write_config(tmp_path / "arb.toml", {"okx": {}, "okx2": {}}, ["BTC/USDT"], db)
    code, _out, err = await arb("scan", "--config", str(cfg), "--no-ui", "--duration", "1")
    assert code == 2
    assert "Traceback" not in err
    lines = [x for x in err.splitlines() if x.startswith("arb:")]
    assert len(lines) == 1 and "store.path" in lines[0]


async def test_locked_journal_exits_2_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    holder = sqlite3.connect(db)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        cfg = write_config(tmp_path / "arb.toml", {"okx": {}, "okx2": {}}, ["BTC/USDT"], db)
        code, _out, err = await arb("scan", "--config", str(cfg), "--no-ui", "--duration", "1")
    finally:
        holder.rollback()
        holder.close()
    assert code == 2 and "Traceback" not in err
    assert len([x for x in err.splitlines() if x.startswith("arb:")]) == 1


@pytest.mark.skipif(len(available_venues()) < 2, reason="needs two simulated venues")
async def test_sigkilled_scanner_leaves_a_clean_journal(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    proc = await start_arb(
        "demo",
        "--no-ui",
        "--duration",
        "0",
        "--db",
        str(db),
        "--seed",
        "3",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    seen: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(60):
            while not any(x.get("type") == "episode.ended" for x in seen):
                line = await proc.stdout.readline()
                assert line, "demo exited early"
                if line.startswith(b"{"):
                    seen.append(json.loads(line))
            # wait until the writer has flushed that episode (poll the file, with the deadline above)
            ended = next(x for x in seen if x.get("type") == "episode.ended")
            while True:
                with sqlite3.connect(db) as c:
                    try:
                        if c.execute(
                            "SELECT count(*) FROM episodes WHERE id = ? AND status = 'closed'", (ended["id"],)
                        ).fetchone()[0]:
                            break
                    except sqlite3.OperationalError:
                        pass
                await asyncio.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        runs = c.execute("SELECT status, ended_ms FROM runs").fetchall()
        assert len(runs) == 1 and runs[0][1] is None  # killed: the run never ended cleanly
        assert c.execute("SELECT count(*) FROM episodes WHERE id = ?", (ended["id"],)).fetchone()[0] == 1
        assert c.execute("SELECT count(*) FROM snapshots WHERE episode_id = ?", (ended["id"],)).fetchone()[0] == 3
    from arb.store import Journal

    j = Journal.open(db)  # and arb itself opens it again without complaint
    assert any(e["id"] == ended["id"] for e in j.episodes())
    j.close()


@pytest.mark.skipif(len(available_venues()) < 2, reason="needs two simulated venues")
async def test_paper_demo_trades_and_journals(tmp_path: Path) -> None:
    db = tmp_path / "paper.db"
    code, out, err = await arb("-v", "demo", "--paper", "--no-ui", "--duration", "10", "--db", str(db), timeout_s=90)
    assert code == 0, err
    assert "Traceback" not in err and "(paper): trades ok" in err
    assert "start-up heap frozen" in err  # once, before trading (arb.trade.collector.settle_heap)
    outcomes = [json.loads(x) for x in out.splitlines() if x.startswith('{"type":"outcome"')]
    assert outcomes, "the paper demo traded"
    for o in outcomes:
        assert {leg["side"] for leg in o["legs"]} == {"buy", "sell"}  # every leg accounted for
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM orders").fetchone()[0] >= 2 * len(outcomes)
        assert c.execute("SELECT count(*) FROM orders WHERE state = 'intent'").fetchone()[0] == 0
