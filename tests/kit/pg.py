"""A throw-away PostgreSQL server for the journal tests: Debian's binaries, a temporary directory, trust auth.

:func:`start_postgres` runs ``initdb`` and ``pg_ctl start`` on a data directory under a fresh temporary
directory, listening only on a unix socket there (no TCP), and returns a :class:`PgServer`; each test gets its
own empty journal location from :meth:`PgServer.new_database` (a ``postgresql://`` URL). The session fixture
:func:`pg_server` skips LOUDLY (:data:`MISSING`) when the binaries are missing. As root (CI containers) the
server runs as the ``postgres`` system user: PostgreSQL refuses root. One server per pytest-xdist worker.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_BIN_DIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
BIN: Path | None = next((Path(d) for d in _BIN_DIRS if (Path(d) / "initdb").exists()), None)
MISSING = (
    "POSTGRESQL NOT FOUND (/usr/lib/postgresql/*/bin/initdb): the journal tests on Postgres are SKIPPED here; "
    "install Debian's postgresql (.ci/run does) to run them"
)


@dataclass
class PgServer:
    root: Path
    port: int
    user: str = "postgres"
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def url(self, database: str = "postgres", password: str | None = None, schema: str | None = None) -> str:
        who = self.user if password is None else f"{self.user}:{password}"
        url = f"postgresql://{who}@/{database}?host={self.socket_dir}&port={self.port}"
        return url + (f"&options=-csearch_path%3D{schema}" if schema else "")

    def new_database(self) -> str:
        """A fresh, empty journal location: its own schema (search_path) in the server's database; its URL.

        A schema is created in milliseconds where ``CREATE DATABASE`` takes about a second; arb sees an empty
        database either way (it works in ``current_schema()``).
        """
        import psycopg

        name = f"j{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return self.url(schema=name)

    def stop(self) -> None:
        _run(["pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"], check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _as_server_user() -> list[str]:
    """``runuser -u postgres --`` when running as root (postgres refuses root), else nothing."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", "postgres", "--"]


def _run(cmd: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    assert BIN is not None
    full = [*_as_server_user(), str(BIN / cmd[0]), *cmd[1:]]
    out = subprocess.run(full, capture_output=True, text=True, timeout=60, check=False)
    if check and out.returncode != 0:
        raise RuntimeError(f"{' '.join(full)} failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
    return out


def start_postgres() -> PgServer:
    """initdb + pg_ctl start in a new temporary directory (unix socket only); the caller stops it."""
    assert BIN is not None, MISSING
    root = Path(tempfile.mkdtemp(prefix="arb-pg-"))
    (root / "sock").mkdir()
    if os.geteuid() == 0:  # the server runs as the postgres user: it must own its directory
        pw = pwd.getpwnam("postgres")
        for p in (root, root / "sock"):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    port = 50000 + os.getpid() % 10000  # names the socket file only: no TCP listener
    try:
        _run(["initdb", "-D", str(root / "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
        opts = f"-k {root / 'sock'} -p {port} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        _run(["pg_ctl", "-D", str(root / "data"), "-o", opts, "-l", str(root / "server.log"), "-w", "start"])
    except BaseException:
        log = root / "server.log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        if detail:
            raise RuntimeError(f"postgres did not start:\n{detail}") from None
        raise
    return PgServer(root, port)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A server for this test process (xdist worker); import this fixture into a conftest or test module."""
    if BIN is None:
        pytest.skip(MISSING)
    server = start_postgres()
    yield server
    server.stop()
