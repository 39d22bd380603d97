"""`arb record` and `arb backtest` when the venues cannot be reached (a config pointing at closed local ports)."""

from __future__ import annotations

from pathlib import Path

from tests.kit.run import run_arb
from tests.test_exit_codes import dead_config, empty_recording


def test_record_says_what_it_waits_for_and_fails_when_nothing_was_recorded(tmp_path: Path) -> None:
    out = tmp_path / "books.arbrec.gz"
    done = run_arb(
        "record",
        "--config",
        str(dead_config(tmp_path)),
        "--out",
        str(out),
        "--duration",
        "3",
        "--no-ui",
        cwd=tmp_path,
        timeout_s=60,
    )
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr
    assert done.returncode == 1, done.stderr
    assert lines[0] == "arb record: waiting for markets and order books from okx, okx2 (BTC/USDT); up to 30 s"
    assert any(x.startswith("arb record: okx: venue down: load_markets failed") for x in lines), lines
    assert any(x.startswith("arb record: okx2: venue down: load_markets failed") for x in lines), lines
    assert lines[-1].startswith("arb: nothing recorded from okx, okx2 (okx: load_markets failed"), lines
    assert "was not kept" in lines[-1]
    assert "recorded 0 books" not in done.stdout and "arb backtest" not in done.stdout, done.stdout
    assert not out.exists()


def test_backtest_refuses_a_recording_without_books(tmp_path: Path) -> None:
    done = run_arb("backtest", str(empty_recording(tmp_path)), cwd=tmp_path, timeout_s=60)
    assert done.returncode == 2, done.stderr
    assert "replayed" not in done.stdout
    assert done.stderr.strip().splitlines() == [
        f"arb: recording {tmp_path / 'empty.arbrec.gz'} holds no order books (no venue was reachable while "
        "recording?); nothing to replay: record again, e.g. `arb record --loopback --out FILE --duration 60`"
    ]
