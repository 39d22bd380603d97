"""The journal: every run, episode, snapshot, event, order, fill, balance and exposure.

Only this package touches SQL. Two backends behind one interface (:mod:`.backend`): SQLite, one file in
WAL mode (the default: ``store.path``), or PostgreSQL, one database shared by every worker and machine
(``store.url = "postgresql://…"``, psycopg 3). The journal's methods and every migration are written once,
in SQLite's SQL over :class:`~arb.store.tx.Tx`; :mod:`.dialect` adapts placeholders and DDL types.

Money is TEXT holding ``str(Decimal)`` (never REAL) and comes back as the same ``Decimal``:
``Decimal("1E-8")`` and ``Decimal("1.500")`` round-trip with their exponents.

Durability. Ordinary writes survive a crash or SIGKILL of the process once committed (SQLite WAL +
``synchronous=NORMAL``; Postgres ``synchronous_commit = off``: the server has them). Money writes — order
intents (both legs of a decision in ONE transaction, one fsync: :meth:`Journal.record_order_intents`),
order outcomes with their fills, exposures, halts — commit with ``full=True``: SQLite ``synchronous=FULL``
for that transaction (the WAL is fsynced before the call returns), Postgres ``synchronous_commit = on``
(the server flushed its WAL), so they survive power loss too. Observations are batched by
:class:`JournalWriter` and lose at most the last flush interval on a hard kill.

Off the event loop. The executor's money writes and the observation batches run on the journal's writer
thread (:mod:`.offloop`: one thread, its own connection, intents first, group commit), awaited through
:meth:`Journal.commit_order_intents` / ``commit_order_update`` / ``commit_leg`` / ``off_loop``: durable when
the await returns, exactly as the synchronous methods, but the event loop runs on during the fsync. Reads
and other synchronous writes use the journal's own connection; WAL readers see a write once its await
returned and never wait for the writer thread. A decision's intents (:meth:`Journal.commit_now`) are committed
on the calling thread instead — the event loop's, at the decision — when the write lock is free at that instant,
on a third connection that never waits for it (SQLite busy timeout 0; busy: the writer thread as above;
PostgreSQL: always the writer thread): the same one transaction and fsync, without the thread's wake-up.

Schema. The version is the number of :data:`MIGRATIONS` applied: ``PRAGMA user_version`` (with ``PRAGMA
application_id`` marking an arb journal) on SQLite, the ``arb_meta`` table on Postgres. Migrations are
forward-only; each runs in its own transaction together with the version bump under the backend's schema
lock (``BEGIN IMMEDIATE`` / ``pg_advisory_xact_lock``), so two processes opening a new journal do not both
migrate (:mod:`.migrate`).

Every failure reaches the caller as a one-line :class:`StoreError` (locked, read-only, corrupt, not a
journal, newer schema, unreachable), never a driver traceback; a Postgres URL is only ever shown without
its password (:func:`arb.store.url.display_url`).

Layout: :mod:`.schema` tables and migrations; :mod:`.migrate` version checks; :mod:`.codec` Decimal/TEXT
encoding; :mod:`.errors` one-line failures; :mod:`.backend`, :mod:`.sqlite`, :mod:`.postgres`, :mod:`.tx`,
:mod:`.dialect` storage; :mod:`.core` opening and transactions; :mod:`.observations` and :mod:`.durable` the
journal's methods; :mod:`.journal` :class:`Journal`; :mod:`.writer` :class:`JournalWriter`; :mod:`.offloop`
the writer thread; :mod:`.lock` and :mod:`.pglock` one writer per journal (per run owner on Postgres);
:mod:`.url` locations.
"""

from arb.store.errors import JournalDataError
from arb.store.journal import Journal
from arb.store.schema import (
    APPLICATION_ID,
    KINDS,
    MIGRATIONS,
    MONEY,
    ORDER_STATES,
    TERMINAL_ORDER_STATES,
)
from arb.store.writer import JournalWriter

__all__ = [
    "APPLICATION_ID",
    "KINDS",
    "MIGRATIONS",
    "MONEY",
    "ORDER_STATES",
    "TERMINAL_ORDER_STATES",
    "Journal",
    "JournalDataError",
    "JournalWriter",
]
