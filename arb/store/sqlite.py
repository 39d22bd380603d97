"""The SQLite backend (the default): one file in WAL mode, ``PRAGMA user_version`` / ``application_id``.

``journal_mode=WAL`` with ``synchronous=NORMAL``: a committed transaction is in the WAL (the OS page cache)
when ``COMMIT`` returns, so it survives a crash or SIGKILL of the process. A ``full`` write switches the
connection to ``synchronous=FULL`` for that one transaction: the WAL is fsynced before the call returns. The
journal writer thread's own connection (:meth:`SqliteBackend.reopen`) is at ``FULL`` by default (its writes are
mostly money: no PRAGMA statements around them) and switches to ``NORMAL`` for a batch of observations.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from arb.store.backend import Backend, Meta
from arb.store.dialect import SQLITE
from arb.store.errors import _error
from arb.store.migrate import check_version, migrate
from arb.store.offloop import LockBusy
from arb.store.schema import APPLICATION_ID, check_path
from arb.store.tx import Tx

CHECKPOINT_BYTES = 4 << 20  # SQLite's default: 1000 pages of 4 KiB
WAL_KEEP_BYTES = 1 << 20  # the WAL file's size after a reset (journal_size_limit), below CHECKPOINT_BYTES


class SqliteBackend(Backend):
    dialect = SQLITE
    driver_errors = (sqlite3.Error,)
    always_full = False  # synchronous=FULL by default (full=False writes switch): the writer thread's connection
    supports_group = True
    nowait = False  # reopen_nowait's connection: BEGIN raises LockBusy instead of waiting

    def __init__(self, conn: sqlite3.Connection, path: Path, *, readonly: bool, busy_timeout_ms: int = 5000) -> None:
        self._conn, self._busy_ms = conn, busy_timeout_ms
        self.path = self.location = path
        self.where = str(path)
        self.readonly = readonly

    @classmethod
    def open(cls, path: Path, *, create: bool, readonly: bool, busy_timeout_ms: int) -> SqliteBackend:
        path = path.expanduser().absolute()
        check_path(path, create=create, readonly=readonly)
        conn: sqlite3.Connection | None = None
        try:
            conn = _connect(path, "ro" if readonly else "rwc", busy_timeout_ms)
            backend = cls(conn, path, readonly=readonly, busy_timeout_ms=busy_timeout_ms)
            check_version(backend)
            if not readonly:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                migrate(backend)
            return backend
        except BaseException as e:
            if conn is not None:
                conn.close()
            if isinstance(e, sqlite3.Error):
                raise _error(e, path, "open", readonly=readonly) from None
            raise

    def reopen(self) -> SqliteBackend:
        """A second connection to this (WAL, migrated) file, e.g. for the journal's writer thread."""
        try:
            conn = _connect(self.path, "rw", self._busy_ms)
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA wal_autocheckpoint=0")  # checkpoint_if_large, between its writes instead
        except sqlite3.Error as e:
            raise _error(e, self.path, "open", readonly=False) from None
        backend = SqliteBackend(conn, self.path, readonly=False, busy_timeout_ms=self._busy_ms)
        backend.always_full = True  # its writes are mostly money: no PRAGMA round trips for them
        return backend

    def checkpoint_if_large(self) -> None:
        """A PASSIVE checkpoint once the WAL passes :data:`CHECKPOINT_BYTES`, run by the writer thread between its
        writes: SQLite's automatic one runs inside the COMMIT of whichever write crosses the threshold — milliseconds
        (the database file's fsync) while that commit holds the journal's write lock, so a decision's intents could not
        commit inline meanwhile. A PASSIVE checkpoint takes no write lock: other connections commit during it."""
        try:
            if Path(f"{self.path}-wal").stat().st_size < CHECKPOINT_BYTES:
                return
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except (OSError, sqlite3.Error):  # no WAL yet, or busy: the next write's check tries again
            return

    def reopen_nowait(self) -> SqliteBackend:
        """A connection for inline commits (:class:`arb.store.offloop.InlineWriter`): busy timeout 0, so ``BEGIN
        IMMEDIATE`` raises LockBusy at once when another connection holds the lock; synchronous=FULL; no automatic
        checkpoint (the journal's other connections run it, never the caller at a decision)."""
        try:
            conn = _connect(self.path, "rw", 0)
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA wal_autocheckpoint=0")
        except sqlite3.Error as e:
            raise _error(e, self.path, "open", readonly=False) from None
        backend = SqliteBackend(conn, self.path, readonly=False, busy_timeout_ms=0)
        backend.always_full = backend.nowait = True
        return backend

    def error(self, e: BaseException, action: str) -> Exception:
        assert isinstance(e, sqlite3.Error)
        return _error(e, self.path, action, readonly=self.readonly)

    def _pragma(self, name: str) -> Any:
        return self._conn.execute(f"PRAGMA {name}").fetchone()[0]

    # ---- transactions ------------------------------------------------------------------------
    @contextlib.contextmanager
    def write(self, action: str, *, full: bool = False) -> Iterator[Tx]:
        if self._grouped:  # inside group(): a savepoint, committed (fsynced) with the group
            with self._translated(action), self._savepoint() as tx:
                yield tx
            return
        with self._translated(action):
            conn = self._conn
            toggle = full != self.always_full  # a write of the other kind than the connection's default
            if toggle:
                conn.execute(f"PRAGMA synchronous={'FULL' if full else 'NORMAL'}")
            try:
                with self._transaction("BEGIN IMMEDIATE") as tx:
                    yield tx
            finally:
                if toggle:
                    conn.execute(f"PRAGMA synchronous={'NORMAL' if full else 'FULL'}")

    @contextlib.contextmanager
    def _group_transaction(self) -> Iterator[None]:
        """group()'s transaction: one commit, one fsync."""
        with self._translated("commit a group of writes"), self._transaction("BEGIN IMMEDIATE"):
            yield

    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[Tx]:
        conn = self._conn
        conn.execute("SAVEPOINT arb_write")
        try:
            yield Tx(conn.cursor(), SQLITE)
        except BaseException:
            conn.execute("ROLLBACK TO arb_write")
            conn.execute("RELEASE arb_write")
            raise
        conn.execute("RELEASE arb_write")

    @contextlib.contextmanager
    def read(self, action: str) -> Iterator[Tx]:
        with self._translated(action):
            yield Tx(self._conn.cursor(), SQLITE)

    @contextlib.contextmanager
    def migration(self) -> Iterator[Tx]:
        with self._translated("migrate"), self._transaction("BEGIN IMMEDIATE") as tx:
            yield tx

    @contextlib.contextmanager
    def _transaction(self, begin: str) -> Iterator[Tx]:
        conn = self._conn
        try:
            conn.execute(begin)
        except sqlite3.OperationalError as e:
            if self.nowait and str(getattr(e, "sqlite_errorname", "")).startswith("SQLITE_BUSY"):
                raise LockBusy(self.where) from None  # nothing written: the caller hands it to the writer thread
            raise
        try:
            yield Tx(conn.cursor(), SQLITE)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise

    # ---- schema ------------------------------------------------------------------------------
    def meta(self) -> Meta:
        version, app_id = self._pragma("user_version"), self._pragma("application_id")
        empty = version == 0 and not self.tables()
        return Meta(version, app_id == APPLICATION_ID or (app_id == 0 and empty))

    def version_in(self, tx: Tx) -> int:
        return int(tx.query("PRAGMA user_version")[0]["user_version"])

    def set_version(self, tx: Tx, version: int) -> None:
        tx.execute(f"PRAGMA user_version = {int(version)}")
        tx.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def columns(self, table: str) -> set[str]:
        return {r[1] for r in self._conn.execute(f"PRAGMA table_info({table})")}

    def tables(self) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()


def _connect(path: Path, mode: str, busy_timeout_ms: int) -> sqlite3.Connection:
    conn = sqlite3.connect(
        f"{path.as_uri()}?mode={mode}",
        uri=True,
        timeout=busy_timeout_ms / 1000,
        check_same_thread=False,
        isolation_level=None,  # autocommit: every transaction is an explicit BEGIN … COMMIT
    )
    conn.row_factory = sqlite3.Row
    # SQLite keeps the WAL file at its largest size after a checkpoint; cut back when it is reset, its size says how
    # much it holds again (checkpoint_if_large judges by it)
    conn.execute(f"PRAGMA journal_size_limit={WAL_KEEP_BYTES}")
    return conn
