"""The journal: every run, episode, snapshot, event, order, fill, balance and exposure, in SQLite.

Durability. The connection runs ``journal_mode=WAL`` with ``synchronous=NORMAL``: a committed
transaction survives a crash or SIGKILL of the process. Order intents, order updates and exposures
commit through :meth:`Journal._write_tx` with ``full=True`` (``synchronous=FULL`` for that one
transaction), so they survive power loss too. See :mod:`arb.store` for the whole story.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from arb import __version__
from arb.core.errors import StoreError
from arb.core.model import dec
from arb.redaction import scrub
from arb.store.codec import decode_row, encode_row, episode_row
from arb.store.errors import JournalDataError, _error
from arb.store.schema import KINDS, MONEY, TERMINAL_ORDER_STATES, check_path, check_version, migrate

_FREE_TEXT = frozenset({"detail", "reason", "end_reason", "cleared_by"})  # columns scrubbed of credentials


def _eq(**filters: Any) -> tuple[list[str], list[Any]]:
    """``column = ?`` clauses (and their arguments) for the filters that are set."""
    given = {k: v for k, v in filters.items() if v is not None}
    return [f"{k} = ?" for k in given], list(given.values())


class Journal:
    """One journal file, one connection; thread-safe (every use holds ``_lock``)."""

    def __init__(self, db: Database, path: Path, *, readonly: bool) -> None:
        self._db = db
        self.path = path
        self.readonly = readonly
        self._lock = threading.RLock()
        self._closed = False
        self.schema_version = self._pragma("user_version")
        self._columns = {t: {c.name for c in db.table(t).columns} for t in MONEY if db.table(t).exists()}

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    def open(
        cls, path: str | Path, *, create: bool = True, readonly: bool = False, busy_timeout_ms: int = 5000
    ) -> Journal:
        """Open (and create/migrate unless ``readonly``) the journal at ``path``."""
        path = Path(path).expanduser().absolute()
        check_path(path, create=create, readonly=readonly)
        conn: sqlite3.Connection | None = None
        try:
            mode = "ro" if readonly else "rwc"
            conn = sqlite3.connect(
                f"{path.as_uri()}?mode={mode}", uri=True, timeout=busy_timeout_ms / 1000, check_same_thread=False
            )
            db = Database(conn, execute_plugins=False)
            check_version(db, path, readonly=readonly)
            if not readonly:
                db.enable_wal()
                db.execute("PRAGMA synchronous=NORMAL")
                migrate(db)
            return cls(db, path, readonly=readonly)
        except StoreError:
            if conn is not None:
                conn.close()
            raise
        except sqlite3.Error as e:
            if conn is not None:
                conn.close()
            raise _error(e, path, "open", readonly=readonly) from None

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                with contextlib.suppress(sqlite3.Error):
                    self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- plumbing ------------------------------------------------------------------------
    def _pragma(self, name: str) -> Any:
        return self._db.execute(f"PRAGMA {name}").fetchone()[0]

    @contextlib.contextmanager
    def _write_tx(self, action: str, *, full: bool = False) -> Iterator[Database]:
        """One BEGIN IMMEDIATE … COMMIT; ``full`` fsyncs the WAL at commit (synchronous=FULL)."""
        with self._lock:
            if self._closed:
                raise StoreError(f"journal {self.path} is closed; cannot {action}")
            conn = self._db.conn
            try:
                if full:
                    conn.execute("PRAGMA synchronous=FULL")
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    yield self._db
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.rollback()
                    raise
                finally:
                    if full:
                        conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as e:
                raise _error(e, self.path, action, readonly=self.readonly) from None

    def _select(
        self, table: str, where: list[str], args: list[Any], order_by: str, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Decoded rows of ``table`` matching every clause of ``where`` (sqlite-utils' ``rows_where``)."""
        with self._reading(table) as db:
            rows = list(db.table(table).rows_where(" AND ".join(where) or None, args, order_by=order_by, limit=limit))
        return [self._decode(table, r) for r in rows]

    def _get(self, table: str, pk: Any) -> dict[str, Any] | None:
        """One decoded row by primary key, or None (sqlite-utils' ``Table.get``)."""
        with self._reading(table) as db:
            try:
                row = db.table(table).get(pk)
            except NotFoundError:
                return None
        return self._decode(table, row)

    @contextlib.contextmanager
    def _reading(self, table: str) -> Iterator[Database]:
        with self._lock:
            if self._closed:
                raise StoreError(f"journal {self.path} is closed; cannot read {table}")
            try:
                yield self._db
            except sqlite3.Error as e:
                raise _error(e, self.path, f"read {table}") from None

    def _encode(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        # free text (error messages) may quote a credential: arb.redaction masks it, as in the logs
        row = {k: scrub(v) if k in _FREE_TEXT and isinstance(v, str) else v for k, v in row.items()}
        return encode_row(table, row, self._columns[table])

    _decode = staticmethod(decode_row)

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
        with self._write_tx("start a run") as db:
            db.table("runs").insert(row)
        return run_id

    def end_run(self, run_id: str, *, now_ms: int, status: str) -> None:
        with self._write_tx("end a run") as db:
            cur = db.execute("UPDATE runs SET ended_ms = ?, status = ? WHERE id = ?", [now_ms, status, run_id])
            if cur.rowcount != 1:
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
            shape = (table, how, tuple(encoded))  # sqlite-utils fills a chunk's missing keys with NULL
            if groups and groups[-1][0] == shape:
                groups[-1][1].append(encoded)
            else:
                groups.append((shape, [encoded]))
        if not groups:
            return
        with self._write_tx("write a batch") as db:
            for (table, how, _), rows in groups:
                if how == "upsert":
                    db.table(table).upsert_all(rows, pk="id")
                else:
                    db.table(table).insert_all(rows, ignore=how == "ignore")

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
        with self._reading("episodes") as db:
            return sorted(r["symbol"] for r in db.query("SELECT DISTINCT symbol FROM episodes"))

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

    # ---- halts (synchronous, fsynced: a halt must survive a crash) ------------------------------
    def record_halt(self, row: dict[str, Any]) -> int:
        """Commit a halt (run_id, reason, detail, ts_ms, until_ms); returns its id."""
        with self._write_tx("record a halt", full=True) as db:
            table = db.table("halts")
            table.insert(self._encode("halts", row))
            return int(table.last_pk)  # type: ignore[arg-type]  # set by the insert just made

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
            with self._write_tx("clear halts", full=True) as db:
                for r in rows:
                    db.table("halts").update(r["id"], {"cleared_ms": now_ms, "cleared_by": cleared_by})
        return rows

    # ---- orders and exposures (synchronous, fsynced) -----------------------------------------
    def record_order_intent(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """Commit an order intent (fsynced) before it is sent.

        Returns None when the intent is new. If ``client_id`` is already journaled, nothing is
        written and the existing row is returned unchanged: the caller must reconcile (fetch the
        order by client id) instead of sending again.
        """
        row = {"state": "intent", **row}
        row.setdefault("updated_ms", row.get("created_ms"))
        encoded = self._encode("orders", row)
        with self._write_tx("record an order intent", full=True) as db:
            try:
                return self._decode("orders", db.table("orders").get(row["client_id"]))
            except NotFoundError:
                db.table("orders").insert(encoded)
        return None

    def update_order(self, client_id: str, **fields: Any) -> None:
        """Update an order's fields (state, venue_order_id, filled, …) and commit, fsynced."""
        encoded = self._encode("orders", fields)
        with self._write_tx("update an order", full=True) as db:
            try:
                db.table("orders").update(client_id, encoded)
            except NotFoundError:
                raise StoreError(f"journal {self.path} has no order {client_id}") from None

    def record_leg(self, client_id: str, fields: dict[str, Any], fills: list[dict[str, Any]]) -> None:
        """An order's update and its fills in ONE fsynced transaction (fills are money: never batched).

        Fills already journaled (same venue, client id, trade id) are kept; when real venue trades are
        given, an aggregate row of this order (trade id ``order:…``, written when the venue gave no
        trades) is replaced by them so nothing is counted twice.
        """
        encoded = self._encode("orders", fields)
        rows = [self._encode("fills", {"client_id": client_id, **f}) for f in fills]
        with self._write_tx("record an order's outcome", full=True) as db:
            try:
                db.table("orders").update(client_id, encoded)
            except NotFoundError:
                raise StoreError(f"journal {self.path} has no order {client_id}") from None
            if any(not str(r["trade_id"]).startswith("order:") for r in rows):
                db.execute("DELETE FROM fills WHERE client_id = ? AND trade_id LIKE 'order:%'", [client_id])
            if rows:
                db.table("fills").insert_all(rows, ignore=True)

    def orders_missing_fills(self) -> list[dict[str, Any]]:
        """Terminal orders whose journaled fills do not add up to their filled amount (or, closed, filled unknown).

        SQL narrows by a float comparison; the exact check is in Decimal here.
        """
        marks = ", ".join("?" * len(TERMINAL_ORDER_STATES))
        where = [
            f"state IN ({marks})",
            "((filled IS NULL AND state = 'closed') OR ABS(COALESCE(CAST(filled AS REAL), 0) - COALESCE("
            "(SELECT SUM(CAST(f.amount AS REAL)) FROM fills f WHERE f.client_id = orders.client_id), 0))"
            " > 1e-15)",
        ]
        out = []
        for r in self._select("orders", where, list(TERMINAL_ORDER_STATES), "created_ms, client_id"):
            got = sum((f["amount"] or Decimal(0) for f in self.fills(r["client_id"])), Decimal(0))
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
        with self._write_tx("record an exposure", full=True) as db:
            table = db.table("exposures")
            table.insert(encoded)
            return int(table.last_pk)  # type: ignore[arg-type]  # set by the insert just made

    def update_exposure(self, exposure_id: int, **fields: Any) -> None:
        encoded = self._encode("exposures", fields)
        with self._write_tx("update an exposure", full=True) as db:
            try:
                db.table("exposures").update(exposure_id, encoded)
            except NotFoundError:
                raise StoreError(f"journal {self.path} has no exposure {exposure_id}") from None
