"""The journal: every run, episode, snapshot, event, order, fill, balance and exposure, in SQLite.

Only this module touches SQL. Storage is sqlite-utils over one ``sqlite3`` connection in WAL mode.

Money is TEXT holding ``str(Decimal)`` (never REAL) and comes back as the same ``Decimal``:
``Decimal("1E-8")`` and ``Decimal("1.500")`` round-trip with their exponents.

Durability. The connection runs ``journal_mode=WAL`` with ``synchronous=NORMAL``. With WAL+NORMAL
a committed transaction is in the WAL file (the OS page cache) when ``COMMIT`` returns, so it
survives a crash or SIGKILL of the process; only an OS crash or power loss can lose the last
transactions (never corrupt the file). Order intents, order updates and exposures are the
exception: they commit through :meth:`Journal._write_tx` with ``full=True``, which switches the
connection to ``synchronous=FULL`` for that one transaction, so the WAL is fsynced before the
call returns and the intent survives power loss too. Observations are batched by
:class:`JournalWriter` and lose at most the last flush interval on a hard kill.

Schema. ``PRAGMA user_version`` is the schema version (number of :data:`MIGRATIONS` applied) and
``PRAGMA application_id`` marks the file as an arb journal. Migrations are forward-only
functions; each runs in its own ``BEGIN IMMEDIATE`` transaction together with the version bump,
so two processes opening the same new file do not both migrate.

Every failure reaches the caller as a one-line :class:`StoreError` (locked, read-only,
corrupt, not a journal, newer schema), never a raw ``sqlite3`` traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from arb import __version__
from arb.errors import StoreError
from arb.model import Episode, Opportunity, dec

log = logging.getLogger(__name__)

APPLICATION_ID = 0x41524231  # "ARB1" in the SQLite header: marks the file as an arb journal
TERMINAL_ORDER_STATES = ("closed", "canceled", "rejected")
ORDER_STATES = ("intent", "sent", "open", "closed", "canceled", "rejected", "unknown")
EVENT_KINDS = ("disconnect", "resync", "stale", "crossed", "error", "reconnect", "symbol_skipped", "halt")

_EPISODE_MONEY = (
    "peak_net_profit", "peak_net_bps", "peak_buy_amount", "peak_sell_amount", "peak_buy_vwap",
    "peak_sell_vwap", "peak_buy_limit", "peak_sell_limit", "peak_cost", "peak_gross_profit",
    "peak_fees_quote", "last_net_profit", "last_net_bps",
)  # fmt: skip
# Money columns per table: written as str(Decimal), read back as Decimal.
MONEY: dict[str, frozenset[str]] = {
    "runs": frozenset(),
    "episodes": frozenset(_EPISODE_MONEY),
    "snapshots": frozenset({"net_profit", "net_bps"}),
    "events": frozenset(),
    "orders": frozenset({"amount", "price", "filled", "avg_price", "fee"}),
    "fills": frozenset({"amount", "price", "fee"}),
    "balances": frozenset({"free", "used", "total"}),
    "exposures": frozenset({"base_delta"}),
}
# write_batch kinds → (table, how): "upsert" by id, "insert", "ignore" = insert unless duplicate.
KINDS: dict[str, tuple[str, str]] = {
    "episode": ("episodes", "upsert"),
    "snapshot": ("snapshots", "insert"),
    "event": ("events", "insert"),
    "balance": ("balances", "insert"),
    "fill": ("fills", "ignore"),
    "exposure": ("exposures", "upsert"),  # upsert when the row has an id, else insert
}

_V1 = [
    """CREATE TABLE runs (id TEXT PRIMARY KEY, mode TEXT NOT NULL, started_ms INTEGER NOT NULL,
    ended_ms INTEGER, status TEXT NOT NULL, config_json TEXT, arb_version TEXT, host TEXT)""",
    f"""CREATE TABLE episodes (id TEXT PRIMARY KEY, run_id TEXT, symbol TEXT NOT NULL,
    buy_venue TEXT NOT NULL, sell_venue TEXT NOT NULL, start_ms INTEGER NOT NULL, last_ms INTEGER,
    end_ms INTEGER, duration_ms INTEGER, evaluations INTEGER, end_reason TEXT,
    {", ".join(f"{c} TEXT" for c in _EPISODE_MONEY)},
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')))""",
    """CREATE TABLE snapshots (id INTEGER PRIMARY KEY, episode_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('start', 'peak', 'end')), ts_ms INTEGER NOT NULL,
    inputs_json TEXT, net_profit TEXT, net_bps TEXT)""",
    """CREATE TABLE events (id INTEGER PRIMARY KEY, run_id TEXT, ts_ms INTEGER NOT NULL, venue TEXT,
    symbol TEXT, kind TEXT NOT NULL, detail TEXT)""",
    f"""CREATE TABLE orders (client_id TEXT PRIMARY KEY, run_id TEXT, opportunity_id TEXT,
    venue TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
    type TEXT, tif TEXT, amount TEXT NOT NULL, price TEXT,
    state TEXT NOT NULL CHECK (state IN ({", ".join(repr(s) for s in ORDER_STATES)})),
    venue_order_id TEXT, filled TEXT, avg_price TEXT, fee TEXT, fee_currency TEXT, reason TEXT,
    created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL)""",
    """CREATE TABLE fills (id INTEGER PRIMARY KEY, client_id TEXT, venue TEXT NOT NULL,
    trade_id TEXT NOT NULL, ts_ms INTEGER, amount TEXT, price TEXT, fee TEXT, fee_currency TEXT,
    UNIQUE (venue, trade_id))""",
    """CREATE TABLE balances (id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, venue TEXT NOT NULL,
    asset TEXT NOT NULL, free TEXT, used TEXT, total TEXT, source TEXT)""",
    """CREATE TABLE exposures (id INTEGER PRIMARY KEY, opportunity_id TEXT, venue TEXT NOT NULL,
    symbol TEXT NOT NULL, base_delta TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'flattened')),
    created_ms INTEGER NOT NULL, updated_ms INTEGER, detail TEXT)""",
    "CREATE INDEX episodes_symbol_start ON episodes (symbol, start_ms)",
    "CREATE INDEX episodes_start ON episodes (start_ms)",
    "CREATE INDEX snapshots_episode ON snapshots (episode_id)",
    "CREATE INDEX events_ts ON events (ts_ms)",
    "CREATE INDEX orders_state ON orders (state)",
    "CREATE INDEX orders_opportunity ON orders (opportunity_id)",
    "CREATE INDEX fills_client ON fills (client_id)",
    "CREATE INDEX balances_venue_ts ON balances (venue, ts_ms)",
    "CREATE INDEX exposures_state ON exposures (state)",
]


def _v1(db: Database) -> None:
    for statement in _V1:
        db.execute(statement)


# Forward-only: append, never edit or reorder. Index i brings a journal from version i to i + 1.
MIGRATIONS: list[Callable[[Database], None]] = [_v1]


class JournalDataError(StoreError):
    """A row cannot be stored (unknown kind or column, non-number money, constraint): fix the caller.

    Retrying the same row cannot help, unlike a locked or full database.
    """


def _one_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _error(e: sqlite3.Error, path: Path, action: str, *, readonly: bool = False) -> StoreError:
    """Translate a sqlite3 error into a one-line StoreError saying what to do."""
    name = getattr(e, "sqlite_errorname", "") or ""
    msg = _one_line(e)
    if isinstance(e, sqlite3.IntegrityError | sqlite3.InterfaceError):
        return JournalDataError(f"journal {path}: {action} rejected a row ({msg})")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in msg:
        return StoreError(
            f"journal {path} is locked by another writer ({action}); stop the other arb process "
            "or give this run its own store.path"
        )
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or "not a database" in msg or "malformed" in msg:
        return StoreError(
            f"journal {path} is corrupt or not a database ({msg}); move it aside or choose another store.path"
        )
    if readonly and name.startswith("SQLITE_READONLY"):
        return StoreError(f"journal {path} is open read-only and cannot {action}; open it without read-only")
    if name.startswith("SQLITE_READONLY"):
        return StoreError(
            f"journal {path} is read-only ({msg}); make it and {path.parent} writable or choose another store.path"
        )
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return StoreError(
            f"journal {path} cannot be opened for writing ({msg}); make {path.parent} writable "
            "or choose another store.path"
        )
    if name.startswith("SQLITE_FULL"):
        return StoreError(f"journal {path}: disk full ({action}); free space on {path.parent}")
    return StoreError(f"journal {path}: {action} failed ({name or type(e).__name__}: {msg})")


def _money(v: Any, table: str, column: str) -> str:
    """A money value as the exact Decimal string. Floats go through ``dec`` (their repr)."""
    try:
        d = dec(v)
    except (TypeError, InvalidOperation, ValueError):
        raise JournalDataError(f"{table}.{column} must be a number, got {v!r}") from None
    if not d.is_finite():
        raise JournalDataError(f"{table}.{column} must be finite, got {v!r}")
    return str(d)


def _scalar(v: Any, table: str, column: str) -> Any:
    if v is None or isinstance(v, str | int | float | bytes):
        return v
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, dict | list | tuple):
        return json.dumps(v, sort_keys=True, default=str)
    raise JournalDataError(f"{table}.{column} cannot store a {type(v).__name__}; pass text, a number or JSON")


def _opp_fields(prefix: str, opp: Opportunity | None, full: bool) -> dict[str, Any]:
    if opp is None:
        return {}
    row: dict[str, Any] = {f"{prefix}_net_profit": opp.net_profit, f"{prefix}_net_bps": opp.net_bps}
    if full:
        row |= {
            f"{prefix}_buy_amount": opp.buy.amount, f"{prefix}_sell_amount": opp.sell.amount,
            f"{prefix}_buy_vwap": opp.buy.vwap, f"{prefix}_sell_vwap": opp.sell.vwap,
            f"{prefix}_buy_limit": opp.buy.limit_price, f"{prefix}_sell_limit": opp.sell.limit_price,
            f"{prefix}_cost": opp.cost, f"{prefix}_gross_profit": opp.gross_profit,
            f"{prefix}_fees_quote": opp.fees_quote,
        }  # fmt: skip
    return row


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
        if path.is_dir():
            raise StoreError(f"journal {path} is a directory; point store.path at a file such as {path}/arb.db")
        if not path.exists():
            if readonly or not create:
                raise StoreError(f"journal {path} does not exist; run arb once to create it or fix store.path")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(
                    f"journal {path}: cannot create directory {path.parent} ({e.strerror}); "
                    "choose a writable store.path"
                ) from None
        if not readonly and not os.access(path.parent, os.W_OK):
            raise StoreError(
                f"journal {path}: directory {path.parent} is not writable; fix its permissions, choose another "
                "store.path, or open the journal read-only"
            )
        conn: sqlite3.Connection | None = None
        try:
            mode = "ro" if readonly else "rwc"
            conn = sqlite3.connect(
                f"{path.as_uri()}?mode={mode}", uri=True, timeout=busy_timeout_ms / 1000, check_same_thread=False
            )
            db = Database(conn, execute_plugins=False)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            known = len(MIGRATIONS)
            if version > known:
                raise StoreError(
                    f"journal {path} has schema version {version}, this arb knows up to {known}; upgrade arb"
                )
            if app_id != APPLICATION_ID and (app_id != 0 or version != 0 or db.table_names()):
                raise StoreError(
                    f"journal {path} is a SQLite database but not an arb journal; choose another store.path"
                )
            if readonly:
                if version < known:
                    raise StoreError(
                        f"journal {path} has schema version {version}, this arb needs {known}; "
                        "open it once without read-only to migrate"
                    )
            else:
                db.enable_wal()
                db.execute("PRAGMA synchronous=NORMAL")
                _migrate(db)
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
        sql = f"SELECT * FROM {table}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {order_by}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._lock:
            if self._closed:
                raise StoreError(f"journal {self.path} is closed; cannot read {table}")
            try:
                rows = list(self._db.query(sql, args))
            except sqlite3.Error as e:
                raise _error(e, self.path, f"read {table}") from None
        return [self._decode(table, r) for r in rows]

    def _encode(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        unknown = row.keys() - self._columns[table]
        if unknown:
            raise JournalDataError(f"{table} has no column {', '.join(sorted(unknown))}; fix the caller")
        money = MONEY[table]
        return {
            k: (_money(v, table, k) if k in money and v is not None else _scalar(v, table, k)) for k, v in row.items()
        }

    @staticmethod
    def _decode(table: str, row: dict[str, Any]) -> dict[str, Any]:
        for k in MONEY[table] & row.keys():
            if row[k] is not None:
                row[k] = dec(row[k])
        return row

    # ---- runs ----------------------------------------------------------------------------
    def start_run(self, mode: str, config: dict[str, Any], *, now_ms: int, run_id: str | None = None) -> str:
        """Record a run; ``config`` must already be redacted. Returns the run id."""
        run_id = run_id or uuid.uuid4().hex
        row = {
            "id": run_id, "mode": mode, "started_ms": now_ms, "status": "running",
            "config_json": json.dumps(config, sort_keys=True, default=str),
            "arb_version": __version__, "host": socket.gethostname(),
        }  # fmt: skip
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
    @staticmethod
    def episode_row(ep: Episode, run_id: str) -> dict[str, Any]:
        """Episode → ``episodes`` row (Decimals kept; :meth:`write_batch` writes them as text)."""
        return {
            "id": ep.id, "run_id": run_id, "symbol": ep.symbol, "buy_venue": ep.buy_venue,
            "sell_venue": ep.sell_venue, "start_ms": ep.start_ms, "last_ms": ep.last_ms, "end_ms": ep.end_ms,
            "duration_ms": ep.duration_ms, "evaluations": ep.evaluations, "end_reason": ep.end_reason,
            "status": "open" if ep.end_ms is None else "closed",
            **_opp_fields("peak", ep.peak, full=True), **_opp_fields("last", ep.last, full=False),
        }  # fmt: skip

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
        where: list[str] = []
        args: list[Any] = []
        if symbol is not None:
            where.append("symbol = ?")
            args.append(symbol)
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
        filters = {"run_id": run_id, "venue": venue, "symbol": symbol, "kind": kind}
        where = [f"{k} = ?" for k, v in filters.items() if v is not None]
        args: list[Any] = [v for v in filters.values() if v is not None]
        if since_ms is not None:
            where.append("ts_ms >= ?")
            args.append(since_ms)
        return self._select("events", where, args, "ts_ms, id", limit)

    def fills(self, client_id: str | None = None) -> list[dict[str, Any]]:
        return self._select("fills", ["client_id = ?"] if client_id else [], [client_id] if client_id else [], "id")

    def balances(self, venue: str | None = None) -> list[dict[str, Any]]:
        return self._select("balances", ["venue = ?"] if venue else [], [venue] if venue else [], "ts_ms, id")

    def exposures(self, state: str | None = None) -> list[dict[str, Any]]:
        return self._select("exposures", ["state = ?"] if state else [], [state] if state else [], "id")

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
            existing = list(db.query("SELECT * FROM orders WHERE client_id = ?", [row["client_id"]]))
            if existing:
                return self._decode("orders", existing[0])
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

    def get_order(self, client_id: str) -> dict[str, Any] | None:
        rows = self._select("orders", ["client_id = ?"], [client_id], "client_id")
        return rows[0] if rows else None

    def orders(self, *, run_id: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
        filters = {"run_id": run_id, "state": state}
        where = [f"{k} = ?" for k, v in filters.items() if v is not None]
        return self._select("orders", where, [v for v in filters.values() if v is not None], "created_ms, client_id")

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
            return int(table.last_pk)

    def update_exposure(self, exposure_id: int, **fields: Any) -> None:
        encoded = self._encode("exposures", fields)
        with self._write_tx("update an exposure", full=True) as db:
            try:
                db.table("exposures").update(exposure_id, encoded)
            except NotFoundError:
                raise StoreError(f"journal {self.path} has no exposure {exposure_id}") from None


def _migrate(db: Database) -> None:
    """Apply pending migrations, each with its version bump in one BEGIN IMMEDIATE transaction."""
    conn = db.conn
    if conn.execute("PRAGMA user_version").fetchone()[0] >= len(MIGRATIONS):
        return  # up to date: no write lock needed (another writer may hold it)
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # re-read under the write lock
            if version >= len(MIGRATIONS):
                conn.execute("COMMIT")
                return
            MIGRATIONS[version](db)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("COMMIT")
            log.info("journal.migrated version=%d", version + 1)
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise


class JournalWriter:
    """The single writer task: the hot path calls :meth:`submit`, which never blocks.

    A bounded ``asyncio.Queue`` holds observations; when it is full they are dropped and counted
    in ``dropped``. :meth:`run` flushes every ``flush_ms`` in ONE transaction, in a worker thread
    (``asyncio.to_thread``). Measured on a local disk: 10 rows ≈ 0.4 ms, 100 rows ≈ 2 ms, 1000 rows
    ≈ 18 ms (sqlite-utils row building dominates); add a WAL checkpoint (fsync) or another writer
    holding the lock (up to the busy timeout) and the loop would stall, so commits never run on
    it. Batches are written in order, one flush at a time.
    If the database is temporarily unwritable (locked, disk full) the batch is kept and retried
    at the next flush (up to ``maxsize`` rows, older ones dropped and counted); a batch with a bad
    row is written row by row and the bad rows are logged and counted in ``rejected``.
    ``close()`` (or cancelling ``run()``) drains and flushes everything.
    """

    def __init__(
        self,
        journal: Journal,
        *,
        flush_ms: int = 250,
        maxsize: int = 10000,
        on_flush: Callable[[int], None] | None = None,
    ) -> None:
        self.journal = journal
        self.flush_ms = flush_ms
        self.maxsize = maxsize
        self.on_flush = on_flush  # called on the loop after each committed flush with ``written``
        self._full = 0  # submit() found the queue full (event loop thread)
        self._overflowed = 0  # kept rows beyond maxsize while the journal was unwritable (worker thread)
        self.written = 0
        self.rejected = 0
        self.errors = 0
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(maxsize=maxsize)
        self._pending: list[tuple[str, dict[str, Any]]] = []  # kept after a transient failure
        self._tlock = threading.Lock()  # one commit at a time (worker thread or shutdown path)
        self._alock: asyncio.Lock | None = None
        self._stop = asyncio.Event()

    def submit(self, kind: str, row: dict[str, Any]) -> bool:
        """Queue one observation; False (and ``dropped`` + 1) when the queue is full."""
        if kind not in KINDS:
            raise ValueError(f"unknown journal kind {kind!r}; expected one of {', '.join(KINDS)}")
        try:
            self._queue.put_nowait((kind, row))
        except asyncio.QueueFull:
            self._full += 1
            if self._full == 1 or self._full % 1000 == 0:
                log.warning("journal.dropped count=%d reason=queue_full maxsize=%d", self._full, self.maxsize)
            return False
        return True

    @property
    def dropped(self) -> int:
        """Observations lost: queue full at submit, or beyond ``maxsize`` while the journal was unwritable."""
        return self._full + self._overflowed

    @property
    def pending(self) -> int:
        return self._queue.qsize() + len(self._pending)

    def stop(self) -> None:
        """Ask :meth:`run` to flush once more and return."""
        self._stop.set()

    async def run(self) -> None:
        """Flush every ``flush_ms`` until :meth:`stop`; on cancellation flush, then re-raise."""
        try:
            while not self._stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.flush_ms / 1000)
                await self.flush()
            await self.flush()
        except asyncio.CancelledError:
            self._commit(self._drain())  # shutdown: synchronously, waits for an in-flight commit
            raise

    async def flush(self) -> None:
        """Write everything queued so far in one transaction (off the event loop)."""
        if self._alock is None:
            self._alock = asyncio.Lock()
        async with self._alock:
            items = self._drain()
            if items or self._pending:
                await asyncio.to_thread(self._commit, items)
                if self.on_flush is not None:
                    self.on_flush(self.written)

    async def close(self) -> None:
        """Stop and flush everything still queued (shutdown flush)."""
        self.stop()
        await self.flush()

    def _drain(self) -> list[tuple[str, dict[str, Any]]]:
        items = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                return items

    def _commit(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        with self._tlock:
            batch = self._pending + items
            self._pending = []
            if not batch:
                return
            try:
                self.journal.write_batch(batch)
                self.written += len(batch)
                return
            except JournalDataError:
                self.errors += 1  # a bad row spoils the batch: isolate it below
            except StoreError as e:  # locked, disk full, I/O: keep the batch for the next flush
                self.errors += 1
                overflow = max(0, len(batch) - self.maxsize)
                self._overflowed += overflow
                self._pending = batch[overflow:]
                log.error("journal.flush_failed rows=%d kept=%d error=%s", len(batch), len(self._pending), e)
                return
            except Exception as e:  # never let the writer die on an unexpected error: isolate rows
                self.errors += 1
                log.error("journal.flush_failed rows=%d error=%s: %s", len(batch), type(e).__name__, e)
            for i, item in enumerate(batch):
                try:
                    self.journal.write_batch([item])
                    self.written += 1
                except JournalDataError as e:
                    self.rejected += 1
                    log.error("journal.rejected kind=%s error=%s", item[0], e)
                except StoreError as e:  # the database went away meanwhile: keep the rest
                    self._pending = batch[i:]
                    log.error("journal.flush_failed rows=%d kept=%d error=%s", len(batch), len(self._pending), e)
                    return
                except Exception as e:
                    self.rejected += 1
                    log.error("journal.rejected kind=%s error=%s: %s", item[0], type(e).__name__, e)
