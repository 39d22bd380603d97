"""The journal's writer thread: durable commits awaited by the event loop without blocking it.

One dedicated thread per journal owns a connection of its own (a second SQLite connection to the same
WAL file, or a second Postgres session) and runs the journal's write methods queued to it, one at a time,
most urgent first: ``URGENT`` (order intents: a send waits on them), ``DURABLE`` (order updates, finished
legs), ``BATCH`` (the batched observations of :class:`arb.store.JournalWriter`); FIFO within a priority, so
the writes of one order commit in the order they were awaited.

Group commit: the URGENT and DURABLE writes waiting when the thread picks one up run together in ONE
transaction, each in its own savepoint (a failing write is rolled back alone and gets its error), with one
commit — one fsync for all of them. Every caller is answered after that commit. Under load (several trades'
orders finishing at once) this is fewer fsyncs, so a new decision's intents wait behind fewer of them.

A caller awaits the commit (:meth:`arb.store.core.JournalCore.off_loop`): durability is what it was on the
loop (the method and its ``full`` fsync are unchanged; the await returns after ``COMMIT`` returned), but the
event loop keeps running meanwhile, so feeds and other trades' sends never wait on this commit's fsync.
A queued write always runs, even if its awaiting task is cancelled (a write is never half-decided).
Reads on the journal's own connection see a write once its await has returned (WAL: readers see committed
transactions; they never wait for the writer).

Inline commit (:class:`InlineWriter`, :meth:`arb.store.core.JournalCore.commit_now`): a decision's intents are
committed right on the calling thread — the event loop's, at the decision — when the journal's write lock is free
at that instant, on a third connection that never waits for the lock (SQLite busy timeout 0: ``BEGIN IMMEDIATE``
fails at once with :class:`LockBusy`, before anything is written). Busy, or an engine without such a connection
(PostgreSQL): the write is queued on the writer thread as above, so the loop never sits in a lock wait. The
commit is the same transaction and fsync either way; inline it saves the thread's wake-up and the hop back to
the loop, which on a busy machine are most of a decision's latency.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import logging
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

from arb.core.errors import StoreError
from arb.store.backend import Backend

log = logging.getLogger(__package__)

URGENT, DURABLE, BATCH = 0, 1, 2  # priorities: order intents, other money records, batched observations
_STOP = 9  # after everything queued
CHECKPOINT_EVERY = 64  # writes between checkpoint checks when the queue never empties


class LockBusy(Exception):
    """The journal's write lock is held by another connection and this one does not wait (inline commit):
    raised at ``BEGIN``, before anything was written."""


class InlineWriter:
    """A connection for commits made on the calling thread only when the write lock is free (never waiting).

    ``connect`` opens it (``Backend.reopen_nowait``; None: the engine has none). :meth:`run` runs a function
    whose writes are ONE transaction (e.g. ``record_order_intents``) with that connection as the journal's
    (:meth:`connection_here`): ``(True, result)``, or ``(False, None)`` when the lock was busy and nothing
    was written. One caller at a time; another thread meanwhile gets ``(False, None)`` (it uses the writer thread).
    """

    def __init__(self, connect: Callable[[], Backend | None]) -> None:
        self._connect = connect
        self._guard = threading.Lock()
        self._backend: Backend | None = None
        self._pid = 0
        self._owner: int | None = None  # the thread running ``run`` now
        self._closed = False
        self._unavailable = False  # could not open, or the engine has none: always the writer thread

    def connection_here(self) -> Backend | None:
        """The inline connection, if the calling thread is inside :meth:`run`."""
        return self._backend if self._owner is not None and self._owner == threading.get_ident() else None

    def run(self, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
        if self._unavailable or not self._guard.acquire(blocking=False):
            return False, None
        try:
            if self._closed or self._open() is None:
                return False, None
            self._owner = threading.get_ident()
            try:
                return True, fn(*args)
            except LockBusy:
                return False, None
            finally:
                self._owner = None
        finally:
            self._guard.release()

    def prepare(self) -> None:
        """Open the connection now rather than at the first commit (a decision should not pay for it)."""
        with self._guard:
            if not self._closed:
                self._open()

    def _open(self) -> Backend | None:
        if self._pid != os.getpid():  # a forked child never uses its parent's connection (nor closes it)
            self._backend, self._pid = None, os.getpid()
        if self._backend is None:
            try:
                self._backend = self._connect()
            except Exception as e:  # the writer thread will report it, on each write
                log.debug("journal.inline_unavailable error=%s", e)
                self._backend = None
            self._unavailable = self._backend is None
        return self._backend

    def close(self) -> None:
        with self._guard:
            self._closed = True
            if self._backend is not None and self._pid == os.getpid():
                with contextlib.suppress(Exception):
                    self._backend.close()
            self._backend = None


class WriterThread:
    """One thread, one connection: the journal's off-loop writes in priority order."""

    def __init__(self, connect: Callable[[], Backend], name: str) -> None:
        self._connect = connect
        self._name = name
        self._queue: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self._seq = itertools.count()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._closed = False
        self.backend: Backend | None = None  # opened by the thread on its first write
        self.ident: int | None = None

    def submit(self, priority: int, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future[Any]:
        """Queue ``fn(*args)`` to run on the writer thread; its future holds the result or the exception."""
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._guard:
            if self._closed:
                raise StoreError(f"journal {self._name} is closed; cannot write")
            if self._thread is None or self._pid != os.getpid():  # started lazily; again in a forked child
                self.backend, self._pid = None, os.getpid()
                self._thread = threading.Thread(target=self._run, name="arb-journal-writer", daemon=True)
                self._thread.start()
            self._queue.put((priority, next(self._seq), (fut, fn, args)))
        return fut

    def connection(self) -> Backend:
        """The thread's own connection (only ever used on the writer thread), opened on first use."""
        if self.backend is None:
            self.backend = self._connect()
        return self.backend

    def on_thread(self) -> bool:
        return self.ident is not None and threading.get_ident() == self.ident

    def _run(self) -> None:
        self.ident = threading.get_ident()
        busy = 0  # writes since the last checkpoint check
        try:
            while True:
                priority, _, job = self._queue.get()
                if job is None:
                    return
                jobs = [job]
                if priority < BATCH:  # group commit: every money write queued meanwhile, one transaction
                    jobs += self._queued_money()
                jobs = [j for j in jobs if j[0].set_running_or_notify_cancel()]
                if len(jobs) == 1 or not self._can_group():
                    for fut, fn, args in jobs:
                        _run_one(fut, fn, args)
                else:
                    self._run_group(jobs)
                busy += 1
                # between writes (outside any transaction): when nothing waits, or every CHECKPOINT_EVERY writes on a
                # queue that never empties (the WAL must not grow without bound under a sustained load)
                if self.backend is not None and (self._queue.empty() or busy >= CHECKPOINT_EVERY):
                    busy = 0
                    with contextlib.suppress(Exception):
                        self.backend.checkpoint_if_large()
        finally:
            if self.backend is not None:
                with contextlib.suppress(Exception):
                    self.backend.close()
                self.backend = None

    def _queued_money(self) -> list[Any]:
        """The URGENT and DURABLE jobs waiting now, in priority order (a BATCH job or the stop stays queued)."""
        out: list[Any] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return out
            if item[0] >= BATCH or item[2] is None:
                self._queue.put(item)
                return out
            out.append(item[2])

    def _can_group(self) -> bool:
        try:
            return bool(self.connection().supports_group)
        except Exception:  # cannot even connect: each job reports it
            return False

    def _run_group(self, jobs: list[Any]) -> None:
        """The jobs in ONE transaction (each its own savepoint: a failing one is rolled back alone), one commit;
        each future is settled after that commit, so a caller is answered only once its write is durable."""
        done: list[tuple[concurrent.futures.Future[Any], bool, Any]] = []
        try:
            with self.connection().group():
                for fut, fn, args in jobs:
                    try:
                        done.append((fut, True, fn(*args)))
                    except Exception as e:  # its savepoint was rolled back; the others go on
                        done.append((fut, False, e))
        except BaseException as e:  # the commit failed: none of them is durable
            for fut, ok, value in done:
                fut.set_exception(e if ok else value)
            for fut, _, _ in jobs[len(done) :]:
                fut.set_exception(e)
            return
        for fut, ok, value in done:
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)

    def close(self) -> None:
        """Run everything queued, then close the thread's connection and end the thread."""
        with self._guard:
            if self._closed:
                return
            self._closed = True
            thread = self._thread if self._pid == os.getpid() else None
            if thread is not None:
                self._queue.put((_STOP, next(self._seq), None))
        if thread is not None and thread is not threading.current_thread():
            thread.join()


def _run_one(fut: concurrent.futures.Future[Any], fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        fut.set_result(fn(*args))
    except BaseException as e:  # delivered to the awaiting caller
        fut.set_exception(e)
