"""An operator's controls that survive restarts: the control API's pause and disabled directions.

One row per control in force (``name`` = ``pause`` or ``direction:SYMBOL/BUY/SELL``, who set it, when, why),
written fsynced when it is set and deleted when it is lifted; a trader restores them at start
(:mod:`arb.trade.halts`), and ``arb resume`` lifts them with the halts.
"""

from __future__ import annotations

from typing import Any

from arb.store.core import JournalCore


class OperatorControls(JournalCore):
    """The ``controls`` table: set, lift, read."""

    def set_control(self, name: str, who: str, ts_ms: int, reason: str = "") -> None:
        """Record control ``name`` as in force (replacing an earlier row of that name), fsynced."""
        row = self._encode("controls", {"name": name, "who": who, "ts_ms": ts_ms, "reason": reason or None})
        with self._write_tx("record an operator control", full=True) as tx:
            tx.execute("DELETE FROM controls WHERE name = ?", [name])
            tx.insert("controls", row)

    def lift_controls(self, names: list[str] | None = None) -> list[dict[str, Any]]:
        """Lift the controls named (all when None), fsynced; the rows lifted."""
        rows = [r for r in self.controls() if names is None or r["name"] in names]
        if rows:
            with self._write_tx("lift operator controls", full=True) as tx:
                for r in rows:
                    tx.execute("DELETE FROM controls WHERE id = ?", [r["id"]])
        return rows

    def controls(self) -> list[dict[str, Any]]:
        """The controls in force, oldest first."""
        return self._select("controls", [], [], "ts_ms, id")
