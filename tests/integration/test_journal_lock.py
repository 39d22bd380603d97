"""One arb process per journal (issue 12 item 7): a second `arb run` / `arb demo` / `arb scan` on a
journal another process holds exits 2 with one line naming the journal and the holder's pid, before it
writes anything; the lock dies with its process (SIGKILL included), so a restart is never blocked."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from arb.core.errors import StoreError
from arb.store import Journal
from tests.kit.builders import toml_text
from tests.kit.poll import eventually
from tests.kit.run import arb, start_arb

pytestmark = pytest.mark.slow


def refused(rc: int, out: str, err: str, db: Path, pid: int) -> None:
    lines = [x for x in err.splitlines() if x.strip()]
    assert rc == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert str(db) in lines[0] and f"pid {pid}" in lines[0], lines[0]


async def test_second_process_on_a_journal_exits_2_naming_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "paper.db"
    first = await start_arb(
        "demo",
        "--paper",
        "--no-ui",
        "--duration",
        "120",
        "--db",
        str(db),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:

        def running() -> bool:  # the first run is journaled once it has started
            try:
                with Journal.open(db, readonly=True) as j:
                    return bool(j.runs())
            except StoreError:  # not created or not migrated yet
                return False

        await eventually(running, timeout_s=30)
        n_runs = 1
        cfg = tmp_path / "arb.toml"
        store = {"path": str(tmp_path / "live.db"), "paper_path": str(db)}
        cfg.write_text(toml_text({"execution": {"mode": "paper"}, "store": store}), encoding="utf-8")
        refused(*await arb("run", "--config", str(cfg), "--no-ui", "--duration", "1"), db, first.pid)
        refused(*await arb("demo", "--paper", "--no-ui", "--duration", "1", "--db", str(db)), db, first.pid)
        refused(*await arb("demo", "--no-ui", "--duration", "1", "--db", str(db)), db, first.pid)
        refused(*await arb("scan", "--config", str(cfg), "--db", str(db), "--no-ui", "--duration", "1"), db, first.pid)
        with Journal.open(db, readonly=True) as j:
            assert len(j.runs()) == n_runs  # the refused commands wrote nothing
        os.kill(first.pid, signal.SIGKILL)  # the OS releases the lock with the process
        await first.wait()
        rc, _, err = await arb("demo", "--paper", "--no-ui", "--duration", "1", "--db", str(db))
        assert rc == 0, err
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
