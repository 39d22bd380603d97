"""The fast replay path keeps results identical: the same journal rows and trades as before.

``demo20.arbrec.gz`` is 20 s of the demo loopback market (3 venues, BTC and ETH, depth 10) recorded
with ``arb record --loopback --profile demo``. ``demo20.alert.json`` holds the journal rows an alert-mode
replay wrote before the fast path existed (episodes, snapshots with every evaluation's inputs and
result, events): the engine, evaluator and reader must keep producing exactly those. In paper mode
the fast path is compared with the reference path (the plain recording reader and one event-loop
step per record) on the same code, so changes to the paper fill model do not break the comparison.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from arb.review.backtest import Settings, backtest
from arb.review.record import Recording

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "backtest"
RECORDING = FIXTURES / "demo20.arbrec.gz"
GOLDEN_ALERT = FIXTURES / "demo20.alert.json"
TABLES = ("episodes", "snapshots", "events", "orders", "fills", "balances", "exposures")


def dump(db: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables a replay writes, in insertion order (the runs row carries host and times)."""
    con = sqlite3.connect(db)
    try:
        out = {}
        for t in TABLES:
            cur = con.execute(f"SELECT * FROM {t} ORDER BY rowid")
            cols = [d[0] for d in cur.description]
            out[t] = [{k: v for k, v in zip(cols, r, strict=True) if k != "id"} for r in cur]
        return out
    finally:
        con.close()


def run(tmp: Path, mode: str, **kw: Any) -> tuple[dict[str, list[dict[str, Any]]], Any]:
    db = tmp / f"{mode}-{len(list(tmp.iterdir()))}.db"
    res = backtest(Recording.open(RECORDING), Settings(mode=mode), db, **kw)
    return dump(db), res


def test_alert_replay_writes_the_rows_it_wrote_before_the_fast_path(tmp_path: Path) -> None:
    rows, res = run(tmp_path, "alert")
    golden = json.loads(GOLDEN_ALERT.read_text())
    assert res.progress.books == golden["books"]
    for t in ("episodes", "snapshots", "events"):
        assert rows[t] == golden[t], t
    assert golden["episodes"], "the fixture must hold episodes to prove anything"
