"""Tables people read at 80 columns, numbers rounded for reading, exports exact (issue 13 item 9).

Every command runs as a user runs it (a subprocess with ``COLUMNS=80``) on a small journal
(:mod:`tests.fixtures.journal_wide`: DOGE/USDT, binance/bybit, 20-digit money, 60-digit bps).
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tests.fixtures import journal_small, journal_wide
from tests.kit.run import run_arb

LONG = re.compile(r"\d\.\d{9,}")  # a number with more than 8 decimals


def arb(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    proc = run_arb(*args, env={"COLUMNS": str(columns), "NO_COLOR": "1"}, timeout_s=120)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


@pytest.fixture
def wide(tmp_path: Path) -> Path:
    return journal_wide.build(tmp_path / "wide.db")


def rows_with(text: str, word: str) -> list[str]:
    return [line for line in text.splitlines() if word in line]


def test_opportunities_table_keeps_time_symbol_venues_and_net_whole_at_80_columns(wide: Path) -> None:
    proc = arb("opportunities", "--db", str(wide))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    (doge,) = rows_with(out, "DOGE/USDT")
    assert "2026-01-01 00:00:01" in doge and "binance → bybit" in doge
    assert "1.235" in doge and "12.35" in doge  # net 1.2345678901234567890 and 12.3456… bps, rounded
    assert "…" not in doge
    assert not LONG.search(out)
    assert "hidden at 80 columns" in out  # what did not fit is named, not silently cut


def test_opportunities_wide_terminal_shows_every_column(wide: Path) -> None:
    proc = arb("opportunities", "--db", str(wide), columns=160)
    (doge,) = rows_with(proc.stdout, "DOGE/USDT")
    assert "1234.5" in doge and "1234 ms" in doge and "17" in doge and "gap" in doge
    assert "hidden" not in proc.stdout


def test_opportunities_exports_keep_money_exact_and_bps_quantised(wide: Path) -> None:
    for path in (wide, journal_wide.age(wide)):  # as stored now, and as an older arb stored it
        rows = list(csv.DictReader(io.StringIO(arb("opportunities", "--db", str(path), "--format", "csv").stdout)))
        docs = json.loads(arb("opportunities", "--db", str(path), "--format", "json").stdout)
        for r in (*rows, *docs):
            assert r["peak_net_profit"] == str(journal_wide.NET20)  # exact money, as a string
            assert r["peak_net_bps"] == "12.3457"  # 0.0001 bps, not 60 digits
        assert all(d["last_net_bps"] == str((journal_wide.BPS60 / 3).quantize(Decimal("0.0001"))) for d in docs)


def test_journal_stores_bps_quantised_and_money_exact(wide: Path) -> None:
    con = sqlite3.connect(wide)
    try:
        got = con.execute("SELECT peak_net_bps, last_net_bps, peak_net_profit FROM episodes WHERE id = 'W1'").fetchone()
    finally:
        con.close()
    assert got == ("12.3457", str((journal_wide.BPS60 / 3).quantize(Decimal("0.0001"))), str(journal_wide.NET20))


def test_opportunities_negative_limit_is_a_usage_error_and_zero_means_all(wide: Path) -> None:
    proc = arb("opportunities", "--db", str(wide), "--limit", "-1")
    assert proc.returncode == 2
    assert "--limit" in proc.stderr and "-1" in proc.stderr and ">=0" in proc.stderr.replace(" ", "")
    assert len(rows_with(arb("opportunities", "--db", str(wide), "--limit", "0").stdout, "2026-01-01")) == 3
    assert len(rows_with(arb("opportunities", "--db", str(wide), "--limit", "2").stdout, "2026-01-01")) == 2


def test_opportunities_symbol_is_matched_regardless_of_case_and_unknown_ones_get_a_hint(wide: Path) -> None:
    proc = arb("opportunities", "--db", str(wide), "--symbol", "doge/usdt", "--format", "json")
    assert proc.returncode == 0
    assert [r["id"] for r in json.loads(proc.stdout)] == ["W1"]
    miss = arb("opportunities", "--db", str(wide), "--symbol", "DOGE/USDC")
    assert miss.returncode == 0
    assert "no episodes for DOGE/USDC" in miss.stderr
    assert "BTC/USDT, DOGE/USDT, ETH/USDT" in miss.stderr


def test_report_tables_keep_key_columns_whole_at_80_columns(wide: Path, tmp_path: Path) -> None:
    proc = arb("report", "--db", str(wide))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    table_lines = [line for line in out.splitlines() if line[:1] in "│┃┏┡└┌╭╰├"]
    assert max(len(line) for line in table_lines) <= 80
    trade = [line for line in rows_with(out, "DOGE/USDT") if "2026-01-01 00:00:01" in line]
    assert trade, out
    assert "binance" in trade[0] and "bybit" in trade[0] and "…" not in trade[0]
    assert not LONG.search(out)
    small = arb("report", "--db", str(journal_small.build(tmp_path / "small.db"))).stdout
    assert "buy_ve…" not in small and "2026-…" not in small and "ETH/U…" not in small


def test_report_exports_keep_money_exact_and_bps_quantised(wide: Path, tmp_path: Path) -> None:
    journal_wide.age(wide)
    assert arb("report", "--db", str(wide), "--csv", str(tmp_path / "csv")).returncode == 0
    episodes = list(csv.DictReader((tmp_path / "csv" / "episodes.csv").open()))
    assert {r["peak_net_bps"] for r in episodes} == {"12.3457"}
    assert {r["peak_net_profit"] for r in episodes} == {str(journal_wide.NET20)}
    doc = json.loads(arb("report", "--db", str(wide), "--json").stdout)
    assert {r["peak_net_bps"] for r in doc["tables"]["episodes"]} == {"12.3457"}
    assert {r["peak_net_profit"] for r in doc["tables"]["episodes"]} == {str(journal_wide.NET20)}


def test_report_symbol_is_matched_regardless_of_case(wide: Path) -> None:
    doc = json.loads(arb("report", "--db", str(wide), "--symbol", "doge/usdt", "--json").stdout)
    assert [r["id"] for r in doc["tables"]["episodes"]] == ["W1"]


def test_backtest_sweep_table_fits_80_columns(tmp_path: Path) -> None:
    rec = tmp_path / "books.arbrec.gz"
    assert (
        arb("record", "--loopback", "--duration", "2", "--symbols", "BTC/USDT", "-o", str(rec), "--no-ui").returncode
        == 0
    )
    proc = arb(
        "backtest",
        str(rec),
        "--no-ui",
        "--sweep",
        "scanner.min_net_bps=5,40",
        "--sweep",
        "scanner.max_notional=300,1000",
        "--out",
        str(tmp_path / "sweep"),
    )
    assert proc.returncode == 0, proc.stderr
    table = [line for line in proc.stdout.splitlines() if line[:1] in "┃│┏┡└"]
    assert len(table) == 4 + 4 and max(len(line) for line in table) <= 80  # 4 runs, nothing wider than 80
    header = next(line for line in table if "PnL" in line)
    assert "scanner.min_net_bps" in header and "scanner.max_notional" in header and "…" not in "".join(table)
    assert not LONG.search(proc.stdout)
