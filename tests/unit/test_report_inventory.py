"""`arb report` inventory from frequent balance rows (issue 13.3): two paper runs into one journal.

As a trader does, each run journals its starting balances just before its run row. Run p1 (from T0)
journals a, b and c at start (USDT 5000, 5000, 1000) and after trades a 4000, b 6000.
Run p2 (from T0 + 2 h) trades a and b only: start 5000/5000, then a 4500 / b 5500 after a trade, the same
at stop. The current inventory is p2's last rows (not p1's c, a world that ended with p1); the
rebalance restores p2's starting split (a 5000 / b 5000: 500 USDT from b to a); the plot draws each
run's line on its own (no step from p1's end to p2's start).
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from arb.review.report import build, open_journal, plots
from arb.store import Journal

T0 = 1_767_225_600_000
H = 3_600_000


def _rows(ts: int, source: str, totals: dict[str, int]) -> list[tuple[str, dict[str, object]]]:
    return [
        (
            "balance",
            {"ts_ms": ts, "venue": v, "asset": "USDT", "free": D(x), "used": D(0), "total": D(x), "source": source},
        )
        for v, x in totals.items()
    ]


def build_journal(path: Path) -> Path:
    j = Journal.open(path)
    try:
        j.start_run("paper", {}, now_ms=T0, run_id="p1")
        j.write_batch(
            _rows(T0 - 2, "start", {"a": 5000, "b": 5000, "c": 1000})  # journaled just before the run row
            + _rows(T0 + H, "trade", {"a": 4000, "b": 6000})
        )
        j.end_run("p1", now_ms=T0 + H + 10, status="ok")
        j.start_run("paper", {}, now_ms=T0 + 2 * H, run_id="p2")
        j.write_batch(
            _rows(T0 + 2 * H - 2, "start", {"a": 5000, "b": 5000})
            + _rows(T0 + 3 * H, "trade", {"a": 4500, "b": 5500})
            + _rows(T0 + 3 * H + 5, "stop", {"a": 4500, "b": 5500})
        )
        j.end_run("p2", now_ms=T0 + 3 * H + 10, status="ok")
    finally:
        j.close()
    return path


def test_inventory_reads_every_balance_row_per_run_and_rebalances_the_newest(tmp_path: Path) -> None:
    j = open_journal(str(build_journal(tmp_path / "inv.db")))
    try:
        r = build(j)
    finally:
        j.close()
    inv = r.tables["inventory"]
    assert len(inv) == 11 and list(inv["run_id"]) == ["p1"] * 5 + ["p2"] * 6
    latest = {(x.venue, x.asset): x.total for x in r.tables["inventory_latest"].itertuples()}
    assert latest == {("a", "USDT"): D(4500), ("b", "USDT"): D(5500)}
    moves = [(x.asset, x.from_venue, x.to_venue, x.amount) for x in r.tables["rebalance"].itertuples()]
    assert moves == [("USDT", "b", "a", D(500))]
    segments = plots.inventory_segments(inv)
    assert [(run, [float(y) for y in ys]) for run, _, ys in segments[("USDT", "a")]] == [
        ("p1", [5000.0, 4000.0]),
        ("p2", [5000.0, 4500.0, 4500.0]),
    ]
    assert plots.inventory(inv).startswith(b"\x89PNG")
