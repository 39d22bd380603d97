"""`arb record` and `arb backtest` as a user runs them: subprocesses against the loopback exchanges."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import signal
from pathlib import Path

import pytest

from arb.cli import main
from arb.review.record import BookRecord, Recording
from tests.kit.run import arb, start_arb


async def test_record_loopback_then_backtest_the_file(tmp_path: Path) -> None:
    rec = tmp_path / "books.arbrec.gz"
    code, out, err = await arb(
        "record",
        "--loopback",
        "--venues",
        "okx,binance",
        "--symbols",
        "BTC/USDT,ETH/USDT",
        "--duration",
        "3",
        "--depth",
        "10",
        "--out",
        str(rec),
        "--json",
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["books"] > 20 and set(summary["books_by_venue"]) == {"okx", "binance"}
    r = Recording.open(rec)
    assert r.header["venues"] == ["okx", "binance"] and r.header["depth"] == 10
    assert r.header["ccxt_ids"] == {"okx": "okx", "binance": "binance"}
    assert set(r.markets()) == {(v, s) for v in ("okx", "binance") for s in ("BTC/USDT", "ETH/USDT")}
    every = [x for x in r.records() if isinstance(x, BookRecord)]
    books = [b for b in every if b.delivered]
    assert len(books) == summary["books"] == r.trailer["books"]  # type: ignore[index]
    assert len(every) - len(books) == r.trailer["states"]  # type: ignore[index]
    assert all(len(b.book["bids"]) <= 10 for b in every)
    assert all(a.m_ms <= b.m_ms for a, b in itertools.pairwise(every))
    code, out, err = await arb("backtest", str(rec), "--json", "--db", str(tmp_path / "bt.db"))
    assert code == 0, err
    doc = json.loads(out)
    assert doc["books"] == summary["books"] and doc["mode"] == "paper" and doc["speed"] > 1
    code, out, err = await arb("report", "--db", str(tmp_path / "bt.db"), "--json")
    assert code == 0, err
    assert json.loads(out)["summary"]["runs"][0]["mode"] == "backtest-paper"


async def test_record_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    rec = tmp_path / "books.arbrec.gz"
    proc = await start_arb(
        "record",
        "--loopback",
        "--venues",
        "okx",
        "--symbols",
        "BTC/USDT",
        "--out",
        str(rec),
        "--no-ui",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(30):  # the header is written once markets are loaded
        while not rec.exists() or rec.stat().st_size < 200:
            await asyncio.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    assert "recorded" in out.decode() and "arb backtest" in out.decode()
    r = Recording.open(rec)
    list(r.records())
    assert r.trailer is not None and not r.truncated


def _rec(tmp_path: Path) -> Path:
    from tests.unit.test_backtest_units import write

    path = tmp_path / "r.arbrec.gz"
    write(path)
    return path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p / "nope.arbrec.gz", "does not exist"),
        (lambda p: (p / "bad.gz").write_bytes(b"\x1f\x8b garbage") and p / "bad.gz", "corrupt"),
        (
            lambda p: (
                (p / "new.gz").write_bytes(gzip.compress(b'{"format": "arb-recording", "version": 9}\n'))
                and p / "new.gz"
            ),
            "format version 9",
        ),
    ],
    ids=["missing", "corrupt", "newer"],
)
def test_bad_recording_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make,  # type: ignore[no-untyped-def]
    words: str,
) -> None:
    code = main(["backtest", str(make(tmp_path)), "--no-ui"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and words in err and err.startswith("arb: ")


def test_truncated_recording_needs_allow_truncated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _rec(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    code = main(["backtest", str(path), "--mode", "alert", "--no-ui", "--db", str(tmp_path / "a.db")])
    _, err = capsys.readouterr()
    assert code == 2 and "--allow-truncated" in err and len(err.strip().splitlines()) == 1
    code = main(
        ["backtest", str(path), "--mode", "alert", "--no-ui", "--allow-truncated", "--db", str(tmp_path / "b.db")]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "cut short" in out


def test_bad_sweep_key_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["backtest", str(_rec(tmp_path)), "--no-ui", "--sweep", "scanner.min_bps=1,2"])
    _, err = capsys.readouterr()
    assert code == 2 and "no such key" in err and len(err.strip().splitlines()) == 1
