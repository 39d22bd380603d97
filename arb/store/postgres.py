"""The PostgreSQL backend (``store.url = "postgresql://…"``): one shared journal for many arb processes.

psycopg 3, one connection per journal in autocommit mode; every write is an explicit ``BEGIN … COMMIT``.
The database must exist (arb creates its tables, not databases). The schema version and the "this is an
arb journal" mark live in ``arb_meta`` (key, value); migrations run under ``pg_advisory_xact_lock`` so
concurrent openers migrate once. Durability per write (:mod:`arb.store.backend`): ``full`` writes commit
with ``synchronous_commit = on`` (the server flushes its WAL before COMMIT returns: power loss included);
the batched observations with ``synchronous_commit = off`` (safe from an arb crash; a server crash may
lose the last ~0.6 s of them, never corrupting anything). Read-only opens set
``default_transaction_read_only``. Error lines name the URL without its password (:func:`display_url`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from arb.core.errors import StoreError
from arb.redaction import add_secrets, scrub
from arb.store.backend import Backend, Meta
from arb.store.dialect import POSTGRES
from arb.store.errors import JournalDataError, _one_line
from arb.store.migrate import check_version, migrate
from arb.store.schema import APPLICATION_ID
from arb.store.tx import Tx
from arb.store.url import display_url, url_password

META_DDL = "CREATE TABLE IF NOT EXISTS arb_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
SCHEMA_LOCK = APPLICATION_ID  # pg_advisory_xact_lock key for migrations
APP_NAME = "arb journal"  # application_name: how an operator finds arb's sessions in pg_stat_activity


def import_psycopg(where: str) -> Any:
    """psycopg, or a one-line StoreError saying how to install it (it is an optional dependency)."""
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            f"journal {where}: a PostgreSQL journal needs psycopg 3; install it with pip install 'arb[scale]' "
            "(or psycopg[binary]), or leave store.url empty for SQLite"
        ) from None
    return psycopg


class PostgresBackend(Backend):
    dialect = POSTGRES

    def __init__(self, url: str, *, readonly: bool, busy_timeout_ms: int) -> None:
        self.where = self.location = display_url(url)
        self.readonly = readonly
        self._url, self._busy_ms = url, busy_timeout_ms  # the URL may hold a password: never shown (display_url)
        self._conn: Any = None
        self._conn = self._dial()

    def __repr__(self) -> str:
        return f"PostgresBackend({self.where!r}, readonly={self.readonly})"

    @classmethod
    def open(cls, url: str, *, readonly: bool, busy_timeout_ms: int) -> PostgresBackend:
        add_secrets(url_password(url))  # never in a log line, an error, an alert or the journal
        backend = cls(url, readonly=readonly, busy_timeout_ms=busy_timeout_ms)
        try:
            check_version(backend)
            if not readonly:
                migrate(backend)
            return backend
        except BaseException:
            backend.close()
            raise

    def _dial(self) -> Any:
        """A new connection, set up (lock timeout, read-only); a failure is one line without the password."""
        psycopg = import_psycopg(self.where)
        from psycopg.rows import dict_row

        try:
            conn = psycopg.connect(
                self._url, autocommit=True, row_factory=dict_row, connect_timeout=10, application_name=APP_NAME
            )
        except psycopg.Error as e:
            raise StoreError(f"journal {self.where}: cannot connect ({scrub(_one_line(e))}); check store.url") from None
        except Exception as e:  # psycopg's URL parser: ProgrammingError / ValueError on a malformed URL
            raise StoreError(f"journal {self.where}: bad store.url ({scrub(_one_line(e))})") from None
        try:
            with self._translated("connect"):
                conn.execute(f"SET lock_timeout = {int(self._busy_ms)}")
                if self.readonly:
                    conn.execute("SET default_transaction_read_only = on")
        except BaseException:
            conn.close()
            raise
        return conn

    def _live(self) -> Any:
        """The connection, dialled again if the last one was lost (server restart, network): the write that
        saw it fail raised (its outcome unknown to the caller, who never sends on it); the next one reconnects."""
        if self._conn is None or self._conn.closed:
            self._conn = self._dial()
        return self._conn

    @property
    def driver_errors(self) -> tuple[type[BaseException], ...]:  # type: ignore[override]
        import psycopg

        return (psycopg.Error,)

    def error(self, e: BaseException, action: str) -> Exception:
        from psycopg import errors as pg

        msg = scrub(_one_line(e))
        where = self.where
        if isinstance(e, pg.IntegrityError | pg.DataError):
            return JournalDataError(f"journal {where}: {action} rejected a row ({msg})")
        if isinstance(e, pg.ReadOnlySqlTransaction | pg.InsufficientPrivilege) and self.readonly:
            return StoreError(f"journal {where} is open read-only and cannot {action}; open it without read-only")
        if isinstance(e, pg.LockNotAvailable):
            return StoreError(f"journal {where} is locked by another writer ({action}); try again or stop it")
        if isinstance(e, pg.OperationalError):
            return StoreError(f"journal {where}: {action} failed, the database is unreachable ({msg})")
        return StoreError(f"journal {where}: {action} failed ({type(e).__name__}: {msg})")

    # ---- transactions ------------------------------------------------------------------------
    supports_group = True

    @contextlib.contextmanager
    def write(self, action: str, *, full: bool = False) -> Iterator[Tx]:
        with self._translated(action), self._transaction() as tx:  # inside group(): a savepoint (psycopg nests)
            if not full and not self._grouped:  # observations: the commit does not wait for the server's WAL flush
                tx.execute("SET LOCAL synchronous_commit = off")
            yield tx

    @contextlib.contextmanager
    def _group_transaction(self) -> Iterator[None]:
        """group()'s transaction: one synchronous commit."""
        with self._translated("commit a group of writes"), self._live().transaction():
            yield

    @contextlib.contextmanager
    def read(self, action: str) -> Iterator[Tx]:
        with self._translated(action):
            yield Tx(self._live().cursor(), POSTGRES)

    @contextlib.contextmanager
    def migration(self) -> Iterator[Tx]:
        with self._translated("migrate"), self._transaction() as tx:
            tx.execute(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")
            tx.execute(META_DDL)
            yield tx

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Tx]:
        conn = self._live()
        with conn.transaction(), conn.cursor() as cur:
            yield Tx(cur, POSTGRES)

    # ---- schema ------------------------------------------------------------------------------
    def _meta_rows(self, tx: Tx) -> dict[str, str]:
        if "arb_meta" not in self.tables():
            return {}
        return {r["key"]: r["value"] for r in tx.query("SELECT key, value FROM arb_meta")}

    def meta(self) -> Meta:
        with self.read("read the schema version") as tx:
            rows = self._meta_rows(tx)
        version = int(rows.get("schema_version", 0))
        marked = rows.get("application_id") == str(APPLICATION_ID)
        return Meta(version, marked or (not rows and not self.tables()))

    def version_in(self, tx: Tx) -> int:
        return int(self._meta_rows(tx).get("schema_version", 0))

    def set_version(self, tx: Tx, version: int) -> None:
        for key, value in (("schema_version", str(int(version))), ("application_id", str(APPLICATION_ID))):
            tx.upsert_all("arb_meta", [{"key": key, "value": value}], pk="key")
        self._resync_identities(tx)

    def _resync_identities(self, tx: Tx) -> None:
        """Identity sequences past the largest id (a migration may copy rows with their ids)."""
        for r in tx.query(
            "SELECT c.relname AS t FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " WHERE c.relnamespace = current_schema()::regnamespace AND a.attname = 'id' AND a.attidentity <> ''"
        ):
            t = r["t"]
            tx.query(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {t}")

    def columns(self, table: str) -> set[str]:
        with self.read(f"read the columns of {table}") as tx:
            rows = tx.query(
                "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(?) AND attnum > 0 AND NOT attisdropped",
                [table],
            )
        return {r["attname"] for r in rows}

    def tables(self) -> set[str]:
        with self.read("list tables") as tx:
            rows = tx.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        return {r["tablename"] for r in rows}

    def reopen(self) -> PostgresBackend:
        """A second session on this (checked, migrated) journal, e.g. for the journal's writer thread."""
        return PostgresBackend(self._url, readonly=self.readonly, busy_timeout_ms=self._busy_ms)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self._conn is not None:
                self._conn.close()
