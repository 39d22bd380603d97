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

from arb.review.backtest import Settings, backtest, reader
from arb.review.backtest.reader import LazyBook, ViewRecord
from arb.review.record import BookRecord, Recording, RecordingWriter
from arb.review.record.format import make_header

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "backtest"
RECORDING = FIXTURES / "demo20.arbrec.gz"
GOLDEN_ALERT = FIXTURES / "demo20.alert.json"
TABLES = ("episodes", "snapshots", "events", "orders", "fills", "balances", "exposures")


def dump(db: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables a replay writes, in insertion order (the runs row carries host and times),
    with the run id (a hash of every setting, so it moves with new config keys) written as RUN."""
    con = sqlite3.connect(db)
    try:
        out = {}
        for t in TABLES:
            cur = con.execute(f"SELECT * FROM {t} ORDER BY rowid")
            cols = [d[0] for d in cur.description]
            out[t] = [{k: v for k, v in zip(cols, r, strict=True) if k != "id"} for r in cur]
        (run_id,) = con.execute("SELECT id FROM runs").fetchone()
        return json.loads(json.dumps(out).replace(run_id, "RUN"))
    finally:
        con.close()


def as_golden(rows: list[dict[str, Any]], golden: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` limited to what the golden holds: its columns (later migrations may add more) and, in a
    snapshot's inputs, its keys (later fields, e.g. ``stream_age_ms``, are new facts, not changed ones)."""
    out = []
    for r, g in zip(rows, golden, strict=False):
        row = {k: r.get(k, "<missing>") for k in g}
        if isinstance(g.get("inputs_json"), str) and isinstance(row["inputs_json"], str):
            old, new = json.loads(g["inputs_json"]), json.loads(row["inputs_json"])
            row["inputs_json"] = g["inputs_json"] if {k: new.get(k) for k in old} == old else row["inputs_json"]
        out.append(row)
    return out


def run(tmp: Path, mode: str, **kw: Any) -> tuple[dict[str, list[dict[str, Any]]], Any]:
    db = tmp / f"{mode}-{len(list(tmp.iterdir()))}.db"
    res = backtest(Recording.open(RECORDING), Settings(mode=mode), db, **kw)
    return dump(db), res


def test_alert_replay_writes_the_rows_it_wrote_before_the_fast_path(tmp_path: Path) -> None:
    rows, res = run(tmp_path, "alert")
    golden = json.loads(GOLDEN_ALERT.read_text())
    assert res.progress.books == golden["books"]
    for t in ("episodes", "snapshots", "events"):
        assert as_golden(rows[t], golden[t]) == golden[t]
        assert len(rows[t]) == len(golden[t]), t
    assert golden["episodes"], "the fixture must hold episodes to prove anything"


def test_alert_reference_path_writes_the_golden_rows_too(tmp_path: Path) -> None:
    rows, _ = run(tmp_path, "alert", fast=False)
    golden = json.loads(GOLDEN_ALERT.read_text())
    for t in ("episodes", "snapshots", "events"):
        assert as_golden(rows[t], golden[t]) == golden[t] and len(rows[t]) == len(golden[t]), t


def test_paper_fast_path_writes_the_reference_paths_rows_and_trades(tmp_path: Path) -> None:
    fast, res = run(tmp_path, "paper")
    ref, ref_res = run(tmp_path, "paper", fast=False)
    assert res.trades == ref_res.trades > 0
    assert fast["orders"] and fast["fills"]
    assert fast == ref


def _books(records: Any) -> list[tuple[Any, ...]]:
    out = []
    for r in records:
        if isinstance(r, ViewRecord):
            book = LazyBook(r.symbol)
            book.point(r.view, r.timestamp, 0)
            out.append((r.t_ms, r.m_ms, r.venue, r.symbol, r.delivered, r.timestamp, book["bids"], book["asks"]))
            assert (r.bid, r.ask) == (book["bids"][0][0], book["asks"][0][0])
        elif isinstance(r, BookRecord):
            b = r.book
            out.append((r.t_ms, r.m_ms, r.venue, r.symbol, r.delivered, b["timestamp"], b["bids"], b["asks"]))
        else:
            out.append((r.t_ms, r.m_ms, r.venue, r.symbol, r.kind, r.detail))
    return out


def test_fast_reader_builds_the_reference_readers_books() -> None:
    rec = Recording.open(RECORDING)
    assert _books(reader.records(rec)) == _books(rec.records())


def test_fast_reader_orders_prices_that_collide_as_floats_like_the_reference(tmp_path: Path) -> None:
    """Distinct price strings with one float (a hand-made file): the reference's Decimal order, ties in view order."""
    path = tmp_path / "odd.arbrec.gz"
    header = make_header(
        venues=["a"], symbols=["X/USDT"], depth=5, source="loopback", created_ms=1, markets={}, fees={}
    )
    w = RecordingWriter(path, venues=["a"], symbols=["X/USDT"], depth=5, header=header)
    w.book("a", "X/USDT", {"bids": [["99.0", "1"], ["98", "2"]], "asks": [["101", "1"], ["102", "3"]]}, 1, 1)
    w.book("a", "X/USDT", {"bids": [["99.00", "5"], ["99.0", "1"], ["98", "2"]], "asks": [["101", "1"]]}, 2, 2)
    w.book("a", "X/USDT", {"bids": [["99.00", "5"], ["98.5", "1"]], "asks": [["101", "1"], ["101.0", "2"]]}, 3, 3)
    w.close()
    rec = Recording.open(path)
    fast, ref = _books(reader.records(rec)), _books(rec.records())
    assert fast == ref
    assert [lv[0] for lv in fast[1][6]] == [99.0, 99.0, 98.0]
