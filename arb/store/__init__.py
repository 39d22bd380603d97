"""The journal: every run, episode, snapshot, event, order, fill, balance and exposure, in SQLite.

Only this package touches SQL. Storage is sqlite-utils over one ``sqlite3`` connection in WAL mode.

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

Layout: :mod:`.schema` tables, migrations and version checks; :mod:`.codec` Decimal/TEXT encoding;
:mod:`.core` opening and transactions; :mod:`.observations` and :mod:`.durable` the journal's methods;
:mod:`.errors` one-line failures; :mod:`.journal` :class:`Journal`; :mod:`.writer` :class:`JournalWriter`.
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
