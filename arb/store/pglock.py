"""One writer per run owner on a shared PostgreSQL journal: a session advisory lock instead of a lock file.

Many arb processes share one Postgres journal (workers, machines), so "one process per journal" becomes
"one process per run owner": :class:`PgOwnerLock` holds ``pg_try_advisory_lock`` on a key derived from the
database's schema and the owner (``""`` for a plain single process, the shard ``i/N`` for a worker) on its
own connection for the life of the process. The server releases it when that connection ends in any way
(exit, SIGKILL, a lost network), so a stale lock never blocks a restart. Readers take no lock.
"""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any

from arb.core.errors import StoreError
from arb.redaction import scrub
from arb.store.url import display_url


class PgOwnerLock:
    def __init__(self, url: str, command: str, owner: str = "") -> None:
        self.url, self.command, self.owner = url, command, owner
        self._conn: Any = None

    def acquire(self) -> None:
        from arb.store.postgres import import_psycopg

        where = display_url(self.url)
        psycopg = import_psycopg(where)
        name = f"arb {self.command} pid {os.getpid()} on {socket.gethostname()}"[:63]
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10, application_name=name)
        except psycopg.Error as e:
            raise StoreError(f"journal {where}: cannot connect ({scrub(str(e).strip().splitlines()[0])})") from None
        key = f"arb journal owner {self.owner or 'default'}"
        row = conn.execute(
            "SELECT pg_try_advisory_lock(hashtextextended(current_schema() || ' ' || %s, 0))", [key]
        ).fetchone()
        if not row or not row[0]:
            conn.close()
            from arb.store.lock import JournalLocked

            whose = f"shard {self.owner}" if self.owner else "this journal (no --shard)"
            raise JournalLocked(
                f"journal {where} is in use by another arb process for {whose}; one process per run owner "
                "(stop it first, or run another --shard)"
            )
        self._conn = conn

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # a dead connection: the lock went with it
                conn.close()  # ends the session: the server drops the advisory lock

    @property
    def held(self) -> bool:
        return self._conn is not None
