"""Schema versions on either backend: refuse what this arb cannot use, apply pending migrations once.

Migrations (:data:`arb.store.schema.MIGRATIONS`) are forward-only functions of a :class:`~arb.store.tx.Tx`,
written once in SQLite's SQL (:mod:`arb.store.dialect` adapts DDL types for Postgres). Each runs in its own
transaction together with the version bump, holding the backend's schema lock, so two processes opening
the same new journal do not both migrate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from arb.core.errors import StoreError
from arb.store.backend import Backend
from arb.store.tx import Tx

log = logging.getLogger("arb.store")


def migrations() -> list[Callable[[Tx], None]]:
    """:data:`MIGRATIONS` as ``arb.store`` holds it now: the package attribute is the one list to extend."""
    import arb.store

    return arb.store.MIGRATIONS


def check_version(backend: Backend) -> None:
    """Refuse a newer schema, a database that is not an arb journal, or a read-only one needing migration."""
    meta = backend.meta()
    known = len(migrations())
    where = backend.where
    if meta.version > known:
        raise StoreError(
            f"journal {where} has schema version {meta.version}, this arb knows up to {known}; upgrade arb"
        )
    if not meta.is_arb:
        kind = "a PostgreSQL database" if backend.dialect.postgres else "a SQLite database"
        fix = "store.url" if backend.dialect.postgres else "store.path"
        raise StoreError(f"journal {where} is {kind} but not an arb journal; choose another {fix}")
    if backend.readonly and meta.version < known:
        raise StoreError(
            f"journal {where} has schema version {meta.version}, this arb needs {known}; "
            "open it once without read-only to migrate"
        )


def migrate(backend: Backend) -> None:
    """Apply pending migrations, each with its version bump in one transaction under the schema lock."""
    steps = migrations()
    if backend.meta().version >= len(steps):
        return  # up to date: no schema lock needed (another writer may hold the write lock)
    while True:
        with backend.migration() as tx:
            version = backend.version_in(tx)  # re-read under the lock
            if version >= len(steps):
                return
            steps[version](tx)
            backend.set_version(tx, version + 1)
        log.info("journal.migrated version=%d", version + 1)
