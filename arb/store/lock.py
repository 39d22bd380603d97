"""One writer per journal: an exclusive OS lock on ``<journal>.lock`` for the life of the process.

Every command that trades or writes a run into a journal (``arb run``, ``arb demo`` with or without
``--paper``, ``arb scan``) takes :class:`JournalLock` before it opens the journal. The lock is
``fcntl.flock(LOCK_EX | LOCK_NB)`` on a sidecar file, so the kernel releases it when the process
ends in any way (exit, exception, SIGKILL, power loss): a stale lock file never blocks a restart.
The file holds the holder's pid, command and start time, so a refused second process can say who
holds the journal. Readers (``arb report``, ``arb opportunities``) take no lock. A PostgreSQL journal
(``store.url``) is shared by many processes: there the lock is per run owner (:mod:`arb.store.pglock`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
from pathlib import Path
from typing import IO

from arb.core.errors import StoreError


class JournalLocked(StoreError):
    """Another process holds the journal's lock (a usage error: exit 2)."""


def lock_path(journal: str | Path) -> Path:
    """``<journal>.lock`` beside the journal, for the journal's real path (symlinks resolved)."""
    p = Path(journal).expanduser()
    return Path(os.path.realpath(p)).with_name(Path(os.path.realpath(p)).name + ".lock")


class JournalLock:
    """``with JournalLock(path, "arb run"):`` — held until the block ends or the process dies."""

    def __init__(self, journal: str | Path, command: str, owner: str = "") -> None:
        from arb.store.pglock import PgOwnerLock
        from arb.store.url import is_url

        # a shared Postgres journal: one process per run owner (shard), an advisory lock (arb.store.pglock)
        self._pg = PgOwnerLock(str(journal), command, owner) if is_url(journal) else None
        self.journal = Path(journal).expanduser()
        self.path = lock_path(journal)
        self.command = command
        self._fh: IO[str] | None = None

    def acquire(self) -> JournalLock:
        if self._pg is not None:
            self._pg.acquire()
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process lifetime
        except OSError as e:
            raise StoreError(
                f"journal {self.journal}: cannot create lock file {self.path} ({e.strerror}); "
                "choose a writable store.path"
            ) from None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = " ".join(fh.read().split()) or "another process"
            fh.close()
            raise JournalLocked(
                f"journal {self.journal} is in use by {holder}; one arb process per journal "
                f"(stop it first, or use another store.path / --db)"
            ) from None
        when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} ({self.command} on {socket.gethostname()} since {when})\n")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._pg is not None:
            self._pg.release()
        if self._fh is not None:
            fh, self._fh = self._fh, None
            try:
                fh.seek(0)
                fh.truncate()
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            finally:
                fh.close()

    @property
    def held(self) -> bool:
        return self._fh is not None or (self._pg is not None and self._pg.held)

    def __enter__(self) -> JournalLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
