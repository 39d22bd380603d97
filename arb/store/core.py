"""The journal's connection: opening (create, migrate, checks), transactions, and row reads/encoding.

Storage is a :class:`~arb.store.backend.Backend`: SQLite (a file, the default) or PostgreSQL (a
``postgresql://`` URL). Journal methods are written once against :class:`~arb.store.tx.Tx`; see
:mod:`arb.store.backend` for what ``full`` means on each engine and :mod:`arb.store` for the whole story.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Self

from arb.core.errors import StoreError
from arb.redaction import scrub
from arb.store.backend import Backend, open_backend
from arb.store.codec import decode_row, encode_row
from arb.store.offloop import InlineWriter, WriterThread
from arb.store.schema import MONEY
from arb.store.tx import Tx

_FREE_TEXT = frozenset({"detail", "reason", "end_reason", "cleared_by"})  # columns scrubbed of credentials


def eq(**filters: Any) -> tuple[list[str], list[Any]]:
    """``column = ?`` clauses (and their arguments) for the filters that are set."""
    given = {k: v for k, v in filters.items() if v is not None}
    return [f"{k} = ?" for k in given], list(given.values())


class JournalCore:
    """One journal, one connection; thread-safe (every use holds ``_lock``). Writes awaited with
    :meth:`off_loop` run on the journal's writer thread, on a connection of its own (:mod:`.offloop`)."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self.path: Path | str = backend.location  # the SQLite file, or the Postgres URL without its password
        self.readonly = backend.readonly
        self.backend = backend.dialect.name  # "sqlite" | "postgres"
        self._lock = threading.RLock()
        self._closed = False
        self.schema_version = backend.meta().version
        tables = backend.tables()
        self._columns = {t: backend.columns(t) for t in MONEY if t in tables}
        self._writer = WriterThread(backend.reopen, str(self.path))
        self._inline = InlineWriter(backend.reopen_nowait)

    async def off_loop(self, priority: int, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` — a journal write method, or a function calling them — on the writer thread and
        await it: its commits are made (fsynced when ``full``) when this returns, and the event loop ran on
        meanwhile. ``priority``: :data:`arb.store.offloop.URGENT` / ``DURABLE`` / ``BATCH``."""
        return await self.off_loop_start(priority, fn, *args)

    def commit_now(self, priority: int, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """``fn(*args)`` — ONE write transaction, e.g. both intents of a decision — committed right here on the
        calling (event loop) thread if the journal's write lock is free this instant: the future is done when this
        returns, without the writer thread's wake-up and the hop back. When another connection holds the lock, or
        the engine cannot try without waiting (PostgreSQL), nothing was written and it is queued as
        :meth:`off_loop_start` does, so the loop never waits for a lock. Durable (fsynced) either way."""
        loop = asyncio.get_running_loop()
        if not (self.readonly or self._closed or getattr(loop, "virtual_time", False)):
            fut: asyncio.Future[Any] = loop.create_future()
            try:
                done, value = self._inline.run(fn, *args)
            except Exception as e:
                fut.set_exception(e)
                return fut
            if done:
                fut.set_result(value)
                return fut
        return self.off_loop_start(priority, fn, *args)

    def prepare_commit_now(self) -> None:
        """Open :meth:`commit_now`'s connection now (the executor does, so its first decision does not pay for it)."""
        if not (self.readonly or self._closed):
            self._inline.prepare()

    def off_loop_start(self, priority: int, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """Queue ``fn(*args)`` on the writer thread now (from the event loop's thread, without awaiting); the
        future settles when it has run. The write runs even if the future is cancelled (never half-decided)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Any] = loop.create_future()
        try:
            if self.readonly:
                fn(*args)  # raises the read-only error, as on the loop
            if getattr(loop, "virtual_time", False):  # a replay's loop: its time would jump to the next timer
                fut.set_result(fn(*args))  # while it waits on the thread, so the write runs here
                return fut
            job = self._writer.submit(priority, fn, *args)
        except Exception as e:
            fut.set_exception(e)
            return fut

        def settle(done: concurrent.futures.Future[Any]) -> None:  # on the writer thread: one hop to the loop
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                loop.call_soon_threadsafe(_settle, fut, done)

        job.add_done_callback(settle)
        return fut

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    def open(
        cls, path: str | Path, *, create: bool = True, readonly: bool = False, busy_timeout_ms: int = 5000
    ) -> Self:
        """Open (and create/migrate unless ``readonly``) the journal at ``path``: a SQLite file, or a
        ``postgresql://`` URL (the database must exist; ``create`` applies to SQLite files)."""
        return cls(open_backend(path, create=create, readonly=readonly, busy_timeout_ms=busy_timeout_ms))

    def reader_session(self) -> Backend:
        """A session of its own on this journal, for a reader on other threads (the control API's history);
        the caller closes it. The location (a Postgres URL's password included) stays inside the backend."""
        return self._backend.reopen()

    def close(self) -> None:
        self._writer.close()  # what is queued commits first
        self._inline.close()
        with self._lock:
            if not self._closed:
                self._closed = True
                self._backend.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- plumbing ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _write_tx(self, action: str, *, full: bool = False) -> Iterator[Tx]:
        """One write transaction, one commit; ``full``: durable at return, power loss included (one fsync)."""
        if self._writer.on_thread():  # the writer thread: its own connection, used by no other thread
            with self._writer.connection().write(action, full=full) as tx:
                yield tx
            return
        if (inline := self._inline.connection_here()) is not None:  # inside commit_now on this thread
            with inline.write(action, full=full) as tx:
                yield tx
            return
        with self._lock:
            if self._closed:
                raise StoreError(f"journal {self.path} is closed; cannot {action}")
            with self._backend.write(action, full=full) as tx:
                yield tx

    @contextlib.contextmanager
    def _reading(self, table: str) -> Iterator[Tx]:
        with self._lock:
            if self._closed:
                raise StoreError(f"journal {self.path} is closed; cannot read {table}")
            with self._backend.read(f"read {table}") as tx:
                yield tx

    def _select(
        self, table: str, where: list[str], args: list[Any], order_by: str, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Decoded rows of ``table`` matching every clause of ``where``."""
        with self._reading(table) as tx:
            rows = tx.select(table, where, args, order_by, limit)
        return [self._decode(table, r) for r in rows]

    def _get(self, table: str, pk: Any) -> dict[str, Any] | None:
        """One decoded row by primary key, or None."""
        with self._reading(table) as tx:
            row = tx.get(table, pk)
        return None if row is None else self._decode(table, row)

    def _encode(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        # free text (error messages) may quote a credential: arb.redaction masks it, as in the logs
        row = {k: scrub(v) if k in _FREE_TEXT and isinstance(v, str) else v for k, v in row.items()}
        return encode_row(table, row, self._columns[table])

    _decode = staticmethod(decode_row)


def _settle(fut: asyncio.Future[Any], done: concurrent.futures.Future[Any]) -> None:
    if fut.cancelled():
        return
    e = done.exception()
    if e is not None:
        fut.set_exception(e)
    else:
        fut.set_result(done.result())
