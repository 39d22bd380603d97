"""Fixtures for the journal tests on both backends: SQLite (a file) and PostgreSQL (a throw-away server).

``journal_at`` is parametrized over ``sqlite`` and ``postgres``: a fresh SQLite path, or the URL of a fresh
database on a server this pytest process (xdist worker) started in a temporary directory
(:mod:`tests.kit.pg`). Without Debian's PostgreSQL binaries the postgres cases skip with a loud reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kit.pg import PgServer, pg_server

BACKENDS = ["sqlite", "postgres"]
__all__ = ["BACKENDS", "journal_location", "pg_server"]  # pg_server: the session fixture, for these tests


def journal_location(kind: str, tmp: Path, request: pytest.FixtureRequest) -> str | Path:
    if kind == "sqlite":
        return tmp / "journal.db"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.new_database()


@pytest.fixture(params=BACKENDS)
def journal_at(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a new, empty journal goes: a SQLite path or a Postgres URL (one per test)."""
    return journal_location(request.param, tmp_path, request)
