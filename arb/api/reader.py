"""Read-only queries on the journal for the API, on a connection of its own (WAL: readers never block the
writer; on PostgreSQL a session of its own from :meth:`arb.store.Journal.reader_session`). Every call runs in
a worker thread (:meth:`Reader.run`), so the event loop never waits on disk or the server. The SQL is the
portable subset both backends run. Money stays the journal's TEXT (Decimal text), ids and times integers."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from arb.store.backend import Backend

T = TypeVar("T")


class Reader:
    """``path``: a SQLite journal file, read on a read-only connection; or ``backend``: a journal's own
    session (any backend, e.g. PostgreSQL), which the reader closes with itself."""

    def __init__(self, path: str | Path | None = None, *, backend: Backend | None = None) -> None:
        if (path is None) == (backend is None):
            raise ValueError("a Reader reads a journal file or a backend session, one of them")
        self.path = Path(path) if path is not None else None
        self._backend = backend
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        assert self.path is not None
        if self._conn is None:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 2000")
            self._conn = conn
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._backend is not None:
                self._backend.close()

    def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._lock:
            if self._backend is not None:
                with self._backend.read("read the journal for the API") as tx:
                    return [dict(r) for r in tx.query(sql, args)]
            return [dict(r) for r in self._db().execute(sql, args).fetchall()]

    async def run(self, fn: Callable[[Reader], T]) -> T:
        return await asyncio.to_thread(fn, self)

    # -- queries ------------------------------------------------------------------------------------------
    def episodes(self, limit: int) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM episodes ORDER BY start_ms DESC, id DESC LIMIT ?", (limit,))

    def trades(self, limit: int | None = None, since_ms: int = 0) -> list[dict[str, Any]]:
        """Trade events (an arbitrage's outcome), newest first, detail decoded."""
        sql = "SELECT id, run_id, ts_ms, symbol, detail FROM events WHERE kind = 'trade' AND ts_ms >= ?"
        sql += " ORDER BY ts_ms DESC, id DESC" + (" LIMIT ?" if limit is not None else "")
        rows = self.rows(sql, (since_ms, limit) if limit is not None else (since_ms,))
        for r in rows:
            try:
                r["detail"] = json.loads(r["detail"] or "{}")
            except ValueError:
                r["detail"] = {}
        return rows

    def orders(self, limit: int) -> list[dict[str, Any]]:
        return self.rows(
            "SELECT client_id, run_id, opportunity_id, venue, symbol, side, amount, price, state, filled, avg_price, "
            "reason, created_ms, updated_ms FROM orders ORDER BY created_ms DESC, client_id DESC LIMIT ?",
            (limit,),
        )

    def exposures(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM exposures WHERE state = 'open' ORDER BY id")

    def halts(self, limit: int = 50) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM halts ORDER BY ts_ms DESC, id DESC LIMIT ?", (limit,))

    def events_after(self, last_id: int, limit: int = 500) -> list[dict[str, Any]]:
        return self.rows(
            "SELECT id, run_id, ts_ms, venue, symbol, kind, detail FROM events WHERE id > ? ORDER BY id LIMIT ?",
            (last_id, limit),
        )

    def max_event_id(self) -> int:
        rows = self.rows("SELECT COALESCE(MAX(id), 0) AS n FROM events")
        return int(rows[0]["n"])

    def control_events(self, kinds: tuple[str, ...] = ("control",)) -> list[dict[str, Any]]:
        marks = ", ".join("?" * len(kinds))
        return self.rows(f"SELECT ts_ms, detail FROM events WHERE kind IN ({marks}) ORDER BY id", kinds)

    def run_counts(self, run_id: str) -> dict[str, Any]:
        """What ``/metrics`` takes from the journal for one run: orders by state and venue, fills, order
        latencies (intent committed → final state), episodes and trades journaled."""
        orders = self.rows("SELECT venue, state, created_ms, updated_ms FROM orders WHERE run_id = ?", (run_id,))
        fills = self.rows(
            "SELECT f.venue AS venue, COUNT(*) AS n FROM fills f JOIN orders o ON o.client_id = f.client_id "
            "WHERE o.run_id = ? GROUP BY f.venue",
            (run_id,),
        )
        episodes = self.rows("SELECT COUNT(*) AS n FROM episodes WHERE run_id = ?", (run_id,))[0]["n"]
        trades = self.rows("SELECT detail FROM events WHERE run_id = ? AND kind = 'trade'", (run_id,))
        return {"orders": orders, "fills": {r["venue"]: r["n"] for r in fills}, "episodes": episodes, "trades": trades}
