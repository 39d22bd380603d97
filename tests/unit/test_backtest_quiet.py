"""A replay judges staleness as the live feeds do: a venue's symbols watched together share one stream, so a
quiet book on a venue that keeps delivering other books stays current (arb.scan.liveness)."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

from arb.core.model import Fee, MarketSpec
from arb.review.backtest import Settings, backtest
from arb.review.record import Recording, RecordingWriter, make_header

D = Decimal
VENUES = ["okx", "bybit"]
SYMBOLS = ["BTC/USDT", "ETH/USDT"]


def spec(symbol: str) -> MarketSpec:
    base, quote = symbol.split("/")
    return MarketSpec(symbol, base, quote, D("0.0001"), D("0.01"), min_amount=D("0.0001"))


def book(mid: float, t: int, size: float = 1.0) -> dict[str, Any]:
    return {"bids": [[mid - 0.01, size]], "asks": [[mid + 0.01, size]], "timestamp": t}


def test_a_quiet_book_on_a_venue_still_delivering_is_used_in_a_replay(tmp_path: Path) -> None:
    markets = {(v, s): spec(s) for v in VENUES for s in SYMBOLS}
    fees = {k: Fee(D("0.001")) for k in markets}
    header = make_header(
        venues=VENUES, symbols=SYMBOLS, markets=markets, fees=fees, depth=5, source="test", created_ms=1_000_000
    )
    path = tmp_path / "quiet.arbrec.gz"
    w = RecordingWriter(path, venues=VENUES, symbols=SYMBOLS, depth=5, header=header)
    wall, mono = 1_000_000, 0
    for v in VENUES:
        w.book(v, "ETH/USDT", book(3000.0, wall), wall, mono)
    for i in range(50):  # 10 s: only BTC changes (both venues); ETH is quiet everywhere
        wall, mono = wall + 200, mono + 200
        for v in VENUES:
            w.book(v, "BTC/USDT", book(64000.0, wall, 1.0 + i % 2), wall, mono)
    wall, mono = wall + 10, mono + 10
    w.book("bybit", "ETH/USDT", book(3030.0, wall), wall, mono)  # bybit 1% rich against okx's 10 s old book
    w.close()
    db = tmp_path / "bt.db"
    backtest(Recording.open(path), Settings(mode="alert"), db)
    con = sqlite3.connect(db)
    try:
        stale = con.execute("SELECT venue, symbol FROM events WHERE kind = 'stale'").fetchall()
        episodes = con.execute("SELECT symbol, buy_venue, sell_venue FROM episodes").fetchall()
    finally:
        con.close()
    assert stale == []
    assert episodes == [("ETH/USDT", "okx", "bybit")]
