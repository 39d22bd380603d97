"""The journal's connection: opening (create, migrate, checks), transactions, and row reads/encoding.

Storage is a :class:`~arb.store.backend.Backend`: SQLite (a file, the default) or PostgreSQL (a
``postgresql://`` URL). Journal methods are written once against :class:`~arb.store.tx.Tx`; see
:mod:`arb.store.backend` for what ``full`` means on each engine and :mod:`arb.store` for the whole story.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

from arb.core.errors import StoreError
from arb.redaction import scrub
from arb.store.backend import Backend, open_backend
from arb.store.codec import decode_row, encode_row
from arb.store.schema import MONEY
from arb.store.tx import Tx

_FREE_TEXT = frozenset({"detail", "reason", "end_reason", "cleared_by"})  # columns scrubbed of credentials


def eq(**filters: Any) -> tuple[list[str], list[Any]]:
    """``column = ?`` clauses (and their arguments) for the filters that are set."""
    given = {k: v for k, v in filters.items() if v is not None}
    return [f"{k} = ?" for k in given], list(given.values())


class JournalCore:
    """One journal, one connection; thread-safe (every use holds ``_lock``)."""

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

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    def open(
        cls, path: str | Path, *, create: bool = True, readonly: bool = False, busy_timeout_ms: int = 5000
    ) -> Self:
        """Open (and create/migrate unless ``readonly``) the journal at ``path``: a SQLite file, or a
        ``postgresql://`` URL (the database must exist; ``create`` applies to SQLite files)."""
        return cls(open_backend(path, create=create, readonly=readonly, busy_timeout_ms=busy_timeout_ms))

    def close(self) -> None:
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
