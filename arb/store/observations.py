"""Runs and observations: the batched writes of the scanner (episodes, snapshots, events, balances, fills) and reads."""

from __future__ import annotations

import json
import socket
import uuid
from decimal import Decimal
from typing import Any

from arb import __version__
from arb.core.errors import StoreError
from arb.core.model import dec
from arb.store.codec import episode_row
from arb.store.core import JournalCore
from arb.store.core import eq as _eq
from arb.store.errors import JournalDataError
from arb.store.schema import KINDS


class Observations(JournalCore):
    """runs, write_batch and the reads of what was observed."""

    # ---- runs ----------------------------------------------------------------------------
    def start_run(self, mode: str, config: dict[str, Any], *, now_ms: int, run_id: str | None = None) -> str:
        """Record a run; ``config`` must already be redacted. Returns the run id."""
        run_id = run_id or uuid.uuid4().hex
        row = {
            "id": run_id,
            "mode": mode,
            "started_ms": now_ms,
            "status": "running",
            "config_json": json.dumps(config, sort_keys=True, default=str),
            "arb_version": __version__,
            "host": socket.gethostname(),
        }
        with self._write_tx("start a run") as tx:
            tx.insert("runs", row)
        return run_id

    def end_run(self, run_id: str, *, now_ms: int, status: str) -> None:
        with self._write_tx("end a run") as tx:
            if tx.execute("UPDATE runs SET ended_ms = ?, status = ? WHERE id = ?", [now_ms, status, run_id]) != 1:
                raise StoreError(f"journal {self.path} has no run {run_id}")

    def runs(self) -> list[dict[str, Any]]:
        return self._select("runs", [], [], "started_ms, id")

    # ---- observations (batched) ----------------------------------------------------------
    episode_row = staticmethod(episode_row)  # Episode → ``episodes`` row

    def write_batch(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """Write observations in ONE transaction, in order; kinds are the keys of :data:`KINDS`.

        "episode" and "exposure" (with an ``id``) are upserts of a whole row (NOT NULL columns
        included; :meth:`episode_row` builds one); "fill" ignores a (venue, trade_id) already
        journaled; the rest insert. A bad row raises :class:`JournalDataError` (before anything is
        written, or from the constraint); any error rolls the whole batch back.
        """
        groups: list[tuple[tuple[str, str, tuple[str, ...]], list[dict[str, Any]]]] = []
        for kind, row in items:
            if kind not in KINDS:
                raise JournalDataError(f"unknown journal kind {kind!r}; expected one of {', '.join(KINDS)}")
            table, how = KINDS[kind]
            if how == "upsert" and row.get("id") is None:
                how = "insert"
            encoded = self._encode(table, row)
            shape = (table, how, tuple(encoded))  # one statement per run of rows with the same columns
            if groups and groups[-1][0] == shape:
                groups[-1][1].append(encoded)
            else:
                groups.append((shape, [encoded]))
        if not groups:
            return
        with self._write_tx("write a batch") as tx:
            for (table, how, _), rows in groups:
                if how == "upsert":
                    tx.upsert_all(table, rows, pk="id")
                else:
                    tx.insert_all(table, rows, ignore=how == "ignore")

    def episodes(
        self,
        *,
        symbol: str | None = None,
        venue: str | None = None,
        since_ms: int | None = None,
        min_bps: Decimal | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Episodes oldest first; ``venue`` matches either leg, ``min_bps`` the peak net bps."""
        where, args = _eq(symbol=symbol)
        if venue is not None:
            where.append("(buy_venue = ? OR sell_venue = ?)")
            args += [venue, venue]
        if since_ms is not None:
            where.append("start_ms >= ?")
            args.append(since_ms)
        rows = self._select("episodes", where, args, "start_ms, id", None if min_bps is not None else limit)
        if min_bps is not None:  # TEXT compares as text in SQL: filter exactly in Decimal here
            rows = [r for r in rows if r["peak_net_bps"] is not None and r["peak_net_bps"] >= dec(min_bps)]
            rows = rows[:limit] if limit is not None else rows
        return rows

    def symbols(self) -> list[str]:
        """The symbols that have episodes, sorted (for "did you mean" hints)."""
        with self._reading("episodes") as tx:
            return sorted(r["symbol"] for r in tx.query("SELECT DISTINCT symbol FROM episodes"))

    def snapshots(self, episode_id: str | None = None) -> list[dict[str, Any]]:
        if episode_id is None:
            return self._select("snapshots", [], [], "id")
        return self._select("snapshots", ["episode_id = ?"], [episode_id], "id")

    def events(
        self,
        *,
        run_id: str | None = None,
        venue: str | None = None,
        symbol: str | None = None,
        kind: str | None = None,
        since_ms: int | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        where, args = _eq(run_id=run_id, venue=venue, symbol=symbol, kind=kind)
        if since_ms is not None:
            where.append("ts_ms >= ?")
            args.append(since_ms)
        return self._select("events", where, args, "ts_ms, id", limit)

    def fills(self, client_id: str | None = None) -> list[dict[str, Any]]:
        return self._select("fills", *_eq(client_id=client_id or None), "id")

    def balances(self, venue: str | None = None) -> list[dict[str, Any]]:
        return self._select("balances", *_eq(venue=venue or None), "ts_ms, id")

    def exposures(self, state: str | None = None) -> list[dict[str, Any]]:
        return self._select("exposures", *_eq(state=state or None), "id")

    def halts(self) -> list[dict[str, Any]]:
        """Every journaled halt (schema v2), oldest first."""
        return self._select("halts", [], [], "ts_ms, id")
