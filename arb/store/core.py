"""The journal's connection: opening (create, migrate, checks), transactions, and row reads/encoding.

Durability. The connection runs ``journal_mode=WAL`` with ``synchronous=NORMAL``: a committed
transaction survives a crash or SIGKILL of the process. Order intents, order updates and exposures
commit through :meth:`JournalCore._write_tx` with ``full=True`` (``synchronous=FULL`` for that one
transaction), so they survive power loss too. See :mod:`arb.store` for the whole story.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from arb.core.errors import StoreError
from arb.redaction import scrub
from arb.store.codec import decode_row, encode_row
from arb.store.errors import _error
from arb.store.schema import MONEY, check_path, check_version, migrate

_FREE_TEXT = frozenset({"detail", "reason", "end_reason", "cleared_by"})  # columns scrubbed of credentials


def eq(**filters: Any) -> tuple[list[str], list[Any]]:
    """``column = ?`` clauses (and their arguments) for the filters that are set."""
    given = {k: v for k, v in filters.items() if v is not None}
    return [f"{k} = ?" for k in given], list(given.values())


class JournalCore:
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
    ) -> Self:
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

    def __enter__(self) -> Self:
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
