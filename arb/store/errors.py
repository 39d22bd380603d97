"""Journal failures: :class:`JournalDataError`, and sqlite3 errors translated into one-line StoreErrors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from arb.core.errors import StoreError


class JournalDataError(StoreError):
    """A row cannot be stored (unknown kind or column, non-number money, constraint): fix the caller.

    Retrying the same row cannot help, unlike a locked or full database.
    """


def _one_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _error(e: sqlite3.Error, path: Path, action: str, *, readonly: bool = False) -> StoreError:
    """Translate a sqlite3 error into a one-line StoreError saying what to do."""
    name = getattr(e, "sqlite_errorname", "") or ""
    msg = _one_line(e)
    if isinstance(e, sqlite3.IntegrityError | sqlite3.InterfaceError):
        return JournalDataError(f"journal {path}: {action} rejected a row ({msg})")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in msg:
        return StoreError(
            f"journal {path} is locked by another writer ({action}); stop the other arb process "
            "or give this run its own store.path"
        )
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or "not a database" in msg or "malformed" in msg:
        return StoreError(
            f"journal {path} is corrupt or not a database ({msg}); move it aside or choose another store.path"
        )
    if readonly and name.startswith("SQLITE_READONLY"):
        return StoreError(f"journal {path} is open read-only and cannot {action}; open it without read-only")
    if name.startswith("SQLITE_READONLY"):
        return StoreError(
            f"journal {path} is read-only ({msg}); make it and {path.parent} writable or choose another store.path"
        )
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return StoreError(
            f"journal {path} cannot be opened for writing ({msg}); make {path.parent} writable "
            "or choose another store.path"
        )
    if name.startswith("SQLITE_FULL"):
        return StoreError(f"journal {path}: disk full ({action}); free space on {path.parent}")
    return StoreError(f"journal {path}: {action} failed ({name or type(e).__name__}: {msg})")
