"""Two paper runs into one journal, as README's "review it with `arb report`" does: subprocesses.

Issue 13.1: paper trade ids restarted every run, the journal dropped the second run's fills and
`arb report` showed a PnL unrelated to what the runs said. Here the report's PnL and trade counts
must equal the sum of both runs' final "trades ok …; PnL …" lines, and every paper fill id must be
unique per venue across runs.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from arb.store import MIGRATIONS
from tests.kit import run as kit_run
from tests.kit.run import run_arb

OUTCOME = re.compile(r"run (\S+) \(paper\): trades ok (\d+), failed (\d+); PnL this run (\S+?);")


def run(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    return run_arb(*args, timeout_s=timeout_s)


def outcome(stderr: str) -> tuple[int, int, Decimal, str]:
    """(trades ok, failed, realised PnL of this run, run id) from a run's last line. "PnL today" is not summed:
    after a restart it includes the day's earlier runs in the journal (the durable daily loss)."""
    lines = [m for m in OUTCOME.finditer(stderr)]
    assert lines, stderr[-2000:]
    run_id, ok, failed, pnl = lines[-1].groups()
    return int(ok), int(failed), Decimal(pnl), run_id


@pytest.mark.slow
def test_two_paper_runs_into_one_journal_report_the_sum_of_both(tmp_path: Path) -> None:
    db = tmp_path / "paper.db"
    runs = []
    for seed in ("7", "11"):
        p = run("demo", "--paper", "--no-ui", "--duration", "4", "--seed", seed, "--db", str(db))
        assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr[-2000:]
        runs.append(outcome(p.stderr))
    assert all(r[0] > 0 for r in runs), runs  # both runs traded
    with sqlite3.connect(db) as c:
        fills = c.execute("SELECT venue, trade_id FROM fills").fetchall()
        orders_with_fills = c.execute("SELECT COUNT(*) FROM orders WHERE CAST(filled AS REAL) > 0").fetchone()[0]
        filled_without_rows = c.execute(
            "SELECT COUNT(*) FROM orders o WHERE CAST(o.filled AS REAL) > 0 "
            "AND NOT EXISTS (SELECT 1 FROM fills f WHERE f.client_id = o.client_id)"
        ).fetchone()[0]
    assert len(set(fills)) == len(fills), "paper trade ids repeat across runs"
    assert orders_with_fills > 0 and filled_without_rows == 0  # every filled order has its fills journaled
    rep = run("report", "--db", str(db), "--json")
    assert rep.returncode == 0, rep.stderr
    doc = json.loads(rep.stdout)
    summary = doc["summary"]
    ok, failed = sum(r[0] for r in runs), sum(r[1] for r in runs)
    # issue 13.3: the trade events carry each leg's expected price, so per-leg slippage is known
    assert doc["tables"]["trades"] and all(
        t["buy_slippage_bps"] is not None and t["sell_slippage_bps"] is not None
        for t in doc["tables"]["trades"]
        if t["ok"]
    )
    assert (summary["execution"]["ok"], summary["execution"]["failed"]) == (ok, failed)
    assert summary["pnl"]["trades"] <= ok + failed and summary["pnl"]["trades"] >= ok
    assert Decimal(summary["pnl"]["total"]) == sum((r[2] for r in runs), Decimal(0))
    assert {k: Decimal(v) for k, v in summary["pnl"]["by_run"].items()} == {r[3]: r[2] for r in runs}
    assert len(summary["runs"]) == 2


def _v1_journal(path: Path) -> None:
    """A schema-v1 journal as an older arb left it: the sell leg's fill was dropped (its paper trade id
    repeated an earlier run's), its order row still says what it filled."""
    from sqlite_utils import Database

    from arb.store.schema import APPLICATION_ID, _v1

    con = sqlite3.connect(path)
    _v1(Database(con))
    con.execute("PRAGMA user_version = 1")
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute("INSERT INTO runs (id, mode, started_ms, ended_ms, status) VALUES ('r2', 'paper', 1000, 9000, 'ok')")
    for cid, venue, side, price, fee in (
        ("c-buy", "okx", "buy", "100", "0.1"),
        ("c-sell", "bybit", "sell", "101", "0.101"),
    ):
        con.execute(
            "INSERT INTO orders (client_id, run_id, opportunity_id, venue, symbol, side, amount, price, state,"
            " filled, avg_price, fee, fee_currency, created_ms, updated_ms) VALUES (?, 'r2', 'ep.1', ?, "
            "'BTC/USDT', ?, '1', ?, 'closed', '1', ?, ?, 'USDT', 2000, 2100)",
            (cid, venue, side, price, price, fee),
        )
    con.execute(
        "INSERT INTO fills (client_id, venue, trade_id, ts_ms, amount, price, fee, fee_currency) VALUES "
        "('c-buy', 'okx', 'paper-okx-1-1', 2100, '1', '100', '0.1', 'USDT')"
    )
    con.commit()
    con.close()


def test_report_migrates_a_v1_journal_and_counts_orders_whose_fills_were_dropped(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _v1_journal(db)
    p = run("report", "--db", str(db), "--json")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    doc = json.loads(p.stdout)
    # 101 − 100 − 0.1 − 0.101: the sell leg from its order totals (its fill row is lost for good)
    assert doc["summary"]["pnl"]["trades"] == 1 and Decimal(doc["summary"]["pnl"]["total"]) == Decimal("0.799")
    assert any("lack fills" in n for n in doc["notes"])
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_report_paper_without_config_reviews_the_default_paper_journal(tmp_path: Path) -> None:
    """Issue 13.3: `arb report --paper` without --config silently reviewed arb.db."""
    from arb.store import Journal
    from tests.fixtures.journal_small import build as build_small

    build_small(tmp_path / "arb-paper.db")  # the default store.paper_path, four trades
    Journal.open(tmp_path / "arb.db").close()  # the default store.path, empty
    p = run_arb("report", "--paper", "--json", cwd=tmp_path, timeout_s=120)
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)["summary"]
    assert summary["journal"].endswith("arb-paper.db") and summary["pnl"]["trades"] == 4
    both = run_arb("report", "--paper", "--db", "arb.db", cwd=tmp_path, timeout_s=120)
    assert both.returncode == 2 and both.stdout == ""
    lines = both.stderr.strip().splitlines()
    assert len(lines) == 1 and "--paper" in lines[0] and "--db" in lines[0], both.stderr


@pytest.mark.slow
async def test_two_arb_run_paper_runs_report_the_sum_of_both(tmp_path: Path) -> None:
    """The same with `arb run` in paper mode (config's store.paper_path, reviewed with --paper --config)."""
    from tests.kit.builders import toml_text
    from tests.kit.live import config_dict, plant, start_sim

    async def arb(*args: str) -> tuple[int, str, str]:
        return await kit_run.arb(*args, timeout_s=120)

    venues = ("okx", "okx2")
    sim = await start_sim(venues, update_interval_ms=50)
    try:
        plant(sim, "okx2", 60)  # okx2 rich for the whole test: the trader keeps taking it
        doc = config_dict(
            sim,
            venues,
            tmp_path,
            mode="paper",
            execution={"paper_balances": {v: {"USDT": "100000", "BTC": "2"} for v in venues}},
        )
        (tmp_path / "arb.toml").write_text(toml_text(doc))
        runs = []
        for _ in range(2):
            code, _, err = await arb("run", "--config", str(tmp_path / "arb.toml"), "--no-ui", "--duration", "4")
            assert code == 0 and "Traceback" not in err, err[-2000:]
            runs.append(outcome(err))
        code, out, err = await arb("report", "--paper", "--config", str(tmp_path / "arb.toml"), "--json")
    finally:
        await sim.stop()
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert all(r[0] > 0 for r in runs), runs
    assert (summary["execution"]["ok"], summary["execution"]["failed"]) == (
        sum(r[0] for r in runs),
        sum(r[1] for r in runs),
    )
    assert Decimal(summary["pnl"]["total"]) == sum((r[2] for r in runs), Decimal(0))
    assert {k: Decimal(v) for k, v in summary["pnl"]["by_run"].items()} == {r[3]: r[2] for r in runs}
