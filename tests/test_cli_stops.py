"""Runs a user cuts short: `arb demo --no-ui | head -3` ends at once, quietly; Ctrl-C in `arb backtest` says
that the journal it leaves is partial."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from arb.review.record import RecordingWriter
from tests.kit.run import ARB, arb_env
from tests.unit.test_backtest_units import book, header


@pytest.mark.parametrize("paper", [False, True], ids=["scanner", "paper"])
def test_demo_into_a_closed_pipe_stops_without_a_traceback(tmp_path: Path, paper: bool) -> None:
    args = [
        "demo",
        "--no-ui",
        "--duration",
        "60",
        "--venues",
        "okx,binance",
        "--symbols",
        "BTC/USDT",
        "--db",
        str(tmp_path / "d.db"),
        *(["--paper"] if paper else []),
    ]
    proc = subprocess.Popen(
        [*ARB, *args], cwd=tmp_path, env=arb_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    lines = [proc.stdout.readline() for _ in range(3)]  # what `head -3` reads ...
    assert all(line.startswith("{") for line in lines), lines
    proc.stdout.close()  # ... before it exits
    try:
        err = proc.stderr.read()
        code = proc.wait(timeout=30)  # it stops when its reader goes away, not after --duration 60
    finally:
        proc.kill()
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert code == 1, err


def long_recording(path: Path, pairs: int) -> None:
    """okx and bybit books, one pair of updates every 10 ms: a replay of a few seconds."""
    w = RecordingWriter(path, venues=["okx", "bybit"], symbols=["BTC/USDT"], depth=3, header=header(3))
    for i in range(pairs):
        d = (i % 7) * 0.05
        w.book("okx", "BTC/USDT", book([(100.0 + d, 1.0)], [(100.1 + d, 1.0)], 10 + i), 1000 + i * 10, 50 + i * 10)
        w.book("bybit", "BTC/USDT", book([(100.3 - d, 1.0)], [(100.4 - d, 1.0)], 10 + i), 1005 + i * 10, 55 + i * 10)
    w.close()


def test_ctrl_c_in_backtest_says_the_journal_is_partial(tmp_path: Path) -> None:
    rec, db = tmp_path / "long.arbrec.gz", tmp_path / "bt.db"
    long_recording(rec, 40_000)
    proc = subprocess.Popen(
        [*ARB, "backtest", str(rec), "--no-ui", "--db", str(db)],
        cwd=tmp_path,
        env=arb_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not db.exists():  # the journal is created when the replay starts
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert "Traceback" not in err, err
    assert proc.returncode == 1, (out, err)
    assert "backtest" not in out  # no result line claims a finished replay
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("arb: backtest interrupted"), err
    assert f"{db} holds a partial replay" in lines[0] and db.exists()
