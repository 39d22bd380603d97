"""`arb report` as a user runs it: terminal metrics, the HTML page with its plots, exports, bad input."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sqlite3
from pathlib import Path

import pytest

from arb.cli import main
from arb.store import Journal
from tests.fixtures.journal_small import build as build_fixture

PNG = b"\x89PNG\r\n\x1a\n"
PLOTS = {
    "episodes_by_hour",
    "episodes_by_pair",
    "net_bps",
    "duration",
    "pnl_curve",
    "daily_pnl",
    "slippage",
    "fees_by_venue",
    "inventory",
}
METRICS = [
    "episodes detected",
    "Episodes per symbol and venue pair",
    "Episodes per hour",
    "net bps",
    "duration",
    "capture rate",
    "Why episodes were not traded",
    "Realised vs expected edge per trade",
    "Fees by venue",
    "Inventory",
    "Rebalance suggestion",
    "PnL curve",
    "total PnL",
    "Daily PnL",
    "Sharpe ratio",
    "max drawdown",
    "drawdown duration",
    "win rate",
]


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return build_fixture(tmp_path / "small.db")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_terminal_report_prints_every_metric(small: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["report", "--db", str(small)], capsys)
    assert code == 0, err
    for metric in METRICS:
        assert metric in out, f"missing {metric!r}"
    assert "mean(daily PnL / capital)" in out and "sqrt(365)" in out  # the Sharpe definition is stated
    assert "10000 (sum of starting USDT balances)" in out


def test_html_report_embeds_distinct_non_empty_png_plots(
    small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "report.html"
    code, _, err = run(["report", "--db", str(small), "--html", str(page)], capsys)
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    images = dict(re.findall(r"id='plot-(\w+)' src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text))
    assert set(images) == PLOTS
    digests = set()
    for name, b64 in images.items():
        png = base64.b64decode(b64, validate=True)
        assert png.startswith(PNG), name
        assert len(png) > 5_000, f"{name}: {len(png)} bytes"
        digests.add(hashlib.sha256(png).hexdigest())
    assert len(digests) == len(images), "two plots are identical"
    assert "src='http" not in text and "<script" not in text  # self-contained
    assert "Sharpe ratio" in text and "Rebalance suggestion" in text


def test_csv_parquet_and_json_outputs(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        ["report", "--db", str(small), "--csv", str(tmp_path / "c"), "--parquet", str(tmp_path / "p"), "--json"], capsys
    )
    assert code == 0, err
    doc = json.loads(out)  # one JSON document on stdout
    assert doc["summary"]["pnl"]["total"] == "15.000"
    assert (tmp_path / "c" / "trades.csv").exists() and (tmp_path / "p" / "trades.parquet").exists()


def test_empty_journal_gives_an_empty_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Journal.open(tmp_path / "e.db").close()
    code, out, err = run(["report", "--db", str(tmp_path / "e.db"), "--html", str(tmp_path / "e.html")], capsys)
    assert code == 0, err
    assert "episodes detected" in out and "PnL is not available" in out
    assert "<img" not in (tmp_path / "e.html").read_text()


def _newer(path: Path) -> Path:
    Journal.open(path).close()
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA user_version = 99")
    return path


def _corrupt(path: Path) -> Path:
    path.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4096)
    return path


def _foreign(path: Path) -> Path:
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE t (x)")
    return path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p, "does not exist"),
        (_corrupt, "corrupt"),
        (_newer, "schema version 99"),
        (_foreign, "not an arb journal"),
    ],
    ids=["missing", "corrupt", "newer-schema", "not-a-journal"],
)
def test_bad_journal_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], make, words) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path / "j.db")
    code, out, err = run(["report", "--db", str(path)], capsys)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("arb: ") and words in lines[0], err
