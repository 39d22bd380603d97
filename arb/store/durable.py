"""Money records, each committed synchronously and fsynced: halts, order intents and updates, legs, exposures.

The executor awaits its three (intents, order updates, finished legs) through the ``commit_*`` methods: the
same method and fsync, run on the journal's writer thread (:mod:`arb.store.offloop`) so the event loop runs on.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from arb.core.errors import StoreError
from arb.store.core import JournalCore
from arb.store.core import eq as _eq
from arb.store.offloop import DURABLE, URGENT
from arb.store.schema import TERMINAL_ORDER_STATES


class DurableRecords(JournalCore):
    """halts, orders, legs and exposures: never batched, every write its own fsynced transaction."""

    # ---- halts (synchronous, fsynced: a halt must survive a crash) ------------------------------
    def record_halt(self, row: dict[str, Any]) -> int:
        """Commit a halt (run_id, reason, detail, ts_ms, until_ms); returns its id."""
        with self._write_tx("record a halt", full=True) as tx:
            return int(tx.insert("halts", self._encode("halts", row)))

    def open_halts(self, now_ms: int) -> list[dict[str, Any]]:
        """Halts not cleared by an operator and not lifted by their rule (``until_ms``) at ``now_ms``."""
        where = ["cleared_ms IS NULL", "(until_ms IS NULL OR until_ms > ?)"]
        return self._select("halts", where, [now_ms], "ts_ms, id")

    def get_halt(self, halt_id: int) -> dict[str, Any] | None:
        return self._get("halts", halt_id)

    def clear_halts(self, now_ms: int, cleared_by: str) -> list[dict[str, Any]]:
        """An operator ends every open halt (``arb resume``); returns the rows cleared (fsynced)."""
        rows = self.open_halts(now_ms)
        if rows:
            with self._write_tx("clear halts", full=True) as tx:
                for r in rows:
                    tx.update("halts", r["id"], self._encode("halts", {"cleared_ms": now_ms, "cleared_by": cleared_by}))
        return rows

    # ---- orders and exposures (synchronous, fsynced) -----------------------------------------
    def record_order_intent(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """Commit one order intent (fsynced) before it is sent: :meth:`record_order_intents` of one row."""
        return self.record_order_intents([row])[0]

    def record_order_intents(self, rows: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
        """Commit order intents (both legs of a decision) in ONE transaction with one fsync, before they are sent.

        Per row: None when the intent is new (written). If its ``client_id`` is already journaled, that row is
        not written and the existing row is returned unchanged: the caller must reconcile (fetch the order by
        client id) instead of sending again. All or nothing: a bad row writes none of them.
        """
        encoded = []
        for row in rows:
            row = {"state": "intent", **row}
            row.setdefault("updated_ms", row.get("created_ms"))
            encoded.append(self._encode("orders", row))
        out: list[dict[str, Any] | None] = []
        with self._write_tx("record order intents", full=True) as tx:
            for row in encoded:
                if tx.insert_new("orders", row):
                    out.append(None)
                else:  # already journaled (by this process or another sharing the journal): unchanged
                    existing = tx.get("orders", row["client_id"])
                    out.append(None if existing is None else self._decode("orders", existing))
        return out

    async def commit_order_intents(self, rows: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
        """:meth:`record_order_intents` on the writer thread, first in its queue; durable when this returns."""
        return list(await self.off_loop(URGENT, self.record_order_intents, rows))

    async def commit_order_update(self, client_id: str, **fields: Any) -> None:
        """:meth:`update_order` on the writer thread; durable when this returns."""
        await self.off_loop(DURABLE, partial(self.update_order, client_id, **fields))

    async def commit_leg(self, client_id: str, fields: dict[str, Any], fills: list[dict[str, Any]]) -> None:
        """:meth:`record_leg` on the writer thread; durable when this returns."""
        await self.off_loop(DURABLE, self.record_leg, client_id, fields, fills)

    def update_order(self, client_id: str, **fields: Any) -> None:
        """Update an order's fields (state, venue_order_id, filled, …) and commit, fsynced."""
        encoded = self._encode("orders", fields)
        with self._write_tx("update an order", full=True) as tx:
            if tx.update("orders", client_id, encoded) != 1:
                raise StoreError(f"journal {self.path} has no order {client_id}")

    def record_leg(self, client_id: str, fields: dict[str, Any], fills: list[dict[str, Any]]) -> None:
        """An order's update and its fills in ONE fsynced transaction (fills are money: never batched).

        Fills already journaled (same venue, client id, trade id) are kept; when real venue trades are
        given, an aggregate row of this order (trade id ``order:…``, written when the venue gave no
        trades) is replaced by them so nothing is counted twice.
        """
        encoded = self._encode("orders", fields)
        rows = [self._encode("fills", {"client_id": client_id, **f}) for f in fills]
        with self._write_tx("record an order's outcome", full=True) as tx:
            if tx.update("orders", client_id, encoded) != 1:
                raise StoreError(f"journal {self.path} has no order {client_id}")
            if any(not str(r["trade_id"]).startswith("order:") for r in rows):
                tx.execute("DELETE FROM fills WHERE client_id = ? AND trade_id LIKE 'order:%'", [client_id])
            tx.insert_all("fills", rows, ignore=True)

    def orders_missing_fills(self) -> list[dict[str, Any]]:
        """Terminal orders whose journaled fills do not add up to their filled amount (or, closed, filled unknown).

        SQL narrows by a float comparison; the exact check is in Decimal here.
        """
        marks = ", ".join("?" * len(TERMINAL_ORDER_STATES))
        where = [
            f"state IN ({marks})",
            "((filled IS NULL AND state = 'closed') OR ABS(COALESCE(CAST(filled AS DOUBLE PRECISION), 0) - COALESCE("
            "(SELECT SUM(CAST(f.amount AS DOUBLE PRECISION)) FROM fills f WHERE f.client_id = orders.client_id), 0))"
            " > 1e-15)",
        ]
        out = []
        for r in self._select("orders", where, list(TERMINAL_ORDER_STATES), "created_ms, client_id"):
            got = sum(
                (f["amount"] or Decimal(0) for f in self._select("fills", ["client_id = ?"], [r["client_id"]], "id")),
                Decimal(0),
            )
            if r.get("filled") is None or got != r["filled"]:
                out.append(r)
        return out

    def get_order(self, client_id: str) -> dict[str, Any] | None:
        return self._get("orders", client_id)

    def orders(
        self, *, run_id: str | None = None, state: str | None = None, opportunity_id: str | None = None
    ) -> list[dict[str, Any]]:
        return self._select(
            "orders", *_eq(run_id=run_id, state=state, opportunity_id=opportunity_id), "created_ms, client_id"
        )

    def open_intents(self) -> list[dict[str, Any]]:
        """Orders not in a terminal state (intent, sent, open, unknown): what reconcile must check."""
        marks = ", ".join("?" * len(TERMINAL_ORDER_STATES))
        return self._select("orders", [f"state NOT IN ({marks})"], list(TERMINAL_ORDER_STATES), "created_ms, client_id")

    def record_exposure(self, row: dict[str, Any]) -> int:
        """Commit an open exposure (fsynced; money at risk is never batched). Returns its id."""
        encoded = self._encode("exposures", row)
        with self._write_tx("record an exposure", full=True) as tx:
            return int(tx.insert("exposures", encoded))

    def update_exposure(self, exposure_id: int, **fields: Any) -> None:
        encoded = self._encode("exposures", fields)
        with self._write_tx("update an exposure", full=True) as tx:
            if tx.update("exposures", exposure_id, encoded) != 1:
                raise StoreError(f"journal {self.path} has no exposure {exposure_id}")
