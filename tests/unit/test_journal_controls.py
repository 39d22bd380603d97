"""An operator's controls in the journal (both backends): set replaces, lift removes, a reopened journal keeps
them; the gate's Controls restores exactly what was kept."""

from __future__ import annotations

from pathlib import Path

from arb.store import Journal
from arb.trade.controls import Controls, control_name


def test_controls_are_kept_replaced_and_lifted_on_either_backend(journal_at: str | Path) -> None:
    d = ("BTC/USDT", "okx", "binance")
    with Journal.open(journal_at) as j:
        assert j.controls() == []
        j.set_control(control_name(None), "ops", 1_000, "maintenance")
        j.set_control(control_name(None), "ops2", 2_000)  # one pause: the later row replaces it
        j.set_control(control_name(d), "ops", 3_000, "thin book")
    with Journal.open(journal_at) as j:  # a restart
        rows = j.controls()
        assert [(r["name"], r["who"], r["ts_ms"], r["reason"]) for r in rows] == [
            ("pause", "ops2", 2_000, None),
            ("direction:BTC/USDT/okx/binance", "ops", 3_000, "thin book"),
        ]
        c = Controls()
        restored = c.restore(rows)
        assert [what for what, _ in restored] == ["paused", "direction BTC/USDT/okx/binance disabled"]
        assert c.paused is not None and c.paused.who == "ops2" and c.disabled[d].reason == "thin book"
        assert [r["name"] for r in j.lift_controls([control_name(d)])] == ["direction:BTC/USDT/okx/binance"]
        assert [r["name"] for r in j.controls()] == ["pause"]
        assert [r["name"] for r in j.lift_controls()] == ["pause"] and j.controls() == []


def test_a_control_row_this_version_cannot_read_is_not_applied() -> None:
    c = Controls()
    assert c.restore([{"name": "direction:nonsense", "who": "x", "ts_ms": 1, "reason": None}]) == []
    assert c.paused is None and c.disabled == {}
