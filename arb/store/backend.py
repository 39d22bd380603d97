"""The journal's storage engine behind one small interface: SQLite (default, a file) or PostgreSQL (a URL).

A :class:`Backend` owns one connection and gives the journal :class:`~arb.store.tx.Tx` objects:

- ``write(action, full=…)`` — one write transaction. ``full=False``: committed data survives a crash of the
  process (SQLite ``synchronous=NORMAL`` in WAL mode; Postgres ``synchronous_commit = off`` for that
  transaction: the server has it, its WAL flush follows within ~3 × ``wal_writer_delay``). ``full=True``:
  durable when the call returns, power loss included (SQLite ``synchronous=FULL``: the WAL is fsynced at the
  commit; Postgres ``synchronous_commit = on``: the commit waits for the WAL flush). One ``write`` block is
  one commit, so one fsync.
- ``group()`` — one transaction around several ``write`` blocks, each then a savepoint (rolled back alone if
  it fails): one commit, one fsync for all of them (the journal's writer thread, :mod:`arb.store.offloop`).
- ``read(action)`` — reads outside any write transaction.
- ``migration()`` — a transaction holding the schema lock (SQLite ``BEGIN IMMEDIATE``; Postgres
  ``pg_advisory_xact_lock``), in which :func:`arb.store.migrate.migrate` reads and bumps the version.
- ``meta()`` / ``set_version(tx, n)`` — schema version and "is this an arb journal" (SQLite ``PRAGMA
  user_version`` / ``application_id``; Postgres the ``arb_meta`` table).

Every driver error leaves a block as a one-line :class:`~arb.core.errors.StoreError`.
:func:`open_backend` picks the engine from the location: a ``postgresql://`` URL or a path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arb.store.dialect import Dialect
from arb.store.tx import Tx
from arb.store.url import is_url


@dataclass(frozen=True, slots=True)
class Meta:
    """What a store says about itself before migrating: version, whether it is an arb journal."""

    version: int
    is_arb: bool  # marked as an arb journal, or empty (nothing else in it)


class Backend:
    """One connection to one journal. Not thread-safe by itself: :class:`arb.store.core.JournalCore` locks."""

    dialect: Dialect
    where: str  # how the journal is named in messages: the path, or the URL without its password
    location: Path | str  # Journal.path: the SQLite file, or the display URL
    readonly: bool

    supports_group = False  # group(): several writes in one transaction (each a savepoint), one commit
    _grouped = False  # inside group(): each write is a savepoint of the group's transaction

    def write(self, action: str, *, full: bool = False) -> contextlib.AbstractContextManager[Tx]:
        raise NotImplementedError

    @contextlib.contextmanager
    def group(self) -> Iterator[None]:
        """One transaction around several writes, each of them a savepoint in it: one commit."""
        with self._group_transaction():
            self._grouped = True
            try:
                yield
            finally:
                self._grouped = False

    def _group_transaction(self) -> contextlib.AbstractContextManager[Any]:
        """The engine's transaction that :meth:`group` runs its writes in."""
        raise NotImplementedError

    def read(self, action: str) -> contextlib.AbstractContextManager[Tx]:
        raise NotImplementedError

    def migration(self) -> contextlib.AbstractContextManager[Tx]:
        raise NotImplementedError

    def meta(self) -> Meta:
        raise NotImplementedError

    def version_in(self, tx: Tx) -> int:
        raise NotImplementedError

    def set_version(self, tx: Tx, version: int) -> None:
        raise NotImplementedError

    def columns(self, table: str) -> set[str]:
        raise NotImplementedError

    def tables(self) -> set[str]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def reopen(self) -> Backend:
        """Another connection to the same (already checked and migrated) journal, for the writer thread."""
        raise NotImplementedError

    def checkpoint_if_large(self) -> None:
        """Move a large write-ahead log into the database outside any write transaction (SQLite; others: nothing)."""

    def reopen_nowait(self) -> Backend | None:
        """Another connection whose writes never wait for the lock (``BEGIN`` raises
        :class:`arb.store.offloop.LockBusy` at once), fsynced; None when the engine has none (PostgreSQL)."""
        return None

    @contextlib.contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        """Driver errors → one-line StoreError (per backend: :meth:`error`)."""
        try:
            yield
        except self.driver_errors as e:
            raise self.error(e, action) from None

    driver_errors: tuple[type[BaseException], ...] = ()

    def error(self, e: BaseException, action: str) -> Exception:
        raise NotImplementedError


def open_backend(location: str | Path, *, create: bool, readonly: bool, busy_timeout_ms: int) -> Backend:
    """The backend for ``location``: a ``postgresql://`` URL, else a SQLite file path; migrated unless read-only."""
    if is_url(location):
        from arb.store.postgres import PostgresBackend

        return PostgresBackend.open(str(location).strip(), readonly=readonly, busy_timeout_ms=busy_timeout_ms)
    from arb.store.sqlite import SqliteBackend

    return SqliteBackend.open(Path(location), create=create, readonly=readonly, busy_timeout_ms=busy_timeout_ms)
