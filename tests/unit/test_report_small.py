"""`arb report` over the small fixed journal: every number checked against a hand computation.

The fixture (tests/fixtures/journal_small.py) has four trades with PnL +10, −4, −3, +12 USDT on
2026-01-01 (two), 01-02 and 01-04, nothing on 01-03, and 10,000 USDT of starting quote balances.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from arb.review.report import Filters, build, open_journal, render
from arb.review.report.data import BALANCE, LATENCY, STALE
from arb.store import Journal
from tests.fixtures.journal_small import DAY, HOUR, RUN, SYMBOL, T0, trade_ts
from tests.fixtures.journal_small import build as build_fixture

D = Decimal


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return build_fixture(tmp_path / "small.db")


def report(path: Path, **kw: object):  # type: ignore[no-untyped-def]
    j = open_journal(str(path))
    try:
        return build(j, **kw)  # type: ignore[arg-type]
    finally:
        j.close()


def test_pnl_per_trade_total_and_daily_from_fills(small: Path) -> None:
    r = report(small)
    trades = r.tables["trades"]
    # A: 1012 − 1000 − 1 − 1; B: 998 − 1000 − 2; C: 999 − 1000 − 2; D: 0.999·1015 − 1000 − 1.985 (fee 0.001 ETH
    # came out of the base bought, so only 0.999 was sold: no base left over)
    assert list(trades["pnl"]) == [D(10), D(-4), D(-3), D(12)]
    assert list(trades["residual_base"]) == [D(0)] * 4
    p = r.summary["pnl"]
    assert D(p["total"]) == 15 and p["trades"] == 4
    assert {k: D(v) for k, v in p["daily"].items()} == {
        "2026-01-01": 6,
        "2026-01-02": -3,
        "2026-01-03": 0,
        "2026-01-04": 12,
    }
    assert D(p["mean_daily"]) == D("3.75")
    assert list(r.tables["pnl_curve"]["cum_pnl"]) == [D(10), D(6), D(3), D(15)]


def test_sharpe_drawdown_and_win_rate_match_hand_computation(small: Path) -> None:
    p = report(small).summary["pnl"]
    assert D(p["capital"]) == 10_000 and "starting USDT balances" in p["capital_source"]
    # daily returns (6, −3, 0, 12)/10,000: mean 3.75e-4; squared deviations (2.25² + 6.75² + 3.75² + 8.25²)e-8
    # = 132.75e-8, sample variance over 3 → std = sqrt(44.25)e-4
    assert p["sharpe"] == pytest.approx(3.75 / math.sqrt(132.75 / 3) * math.sqrt(365), rel=1e-12)
    dd = p["max_drawdown"]
    # cumulative 0 → 10 → 6 → 3 → 15: from 10 (after A) down to 3 (after C), back above 10 with D
    assert dd["abs_quote"] == pytest.approx(7.0)
    assert dd["pct_of_capital"] == pytest.approx(0.07)
    assert (dd["peak_ms"], dd["trough_ms"], dd["end_ms"], dd["recovered"]) == (
        trade_ts("E1"),
        trade_ts("E3"),
        trade_ts("E4"),
        True,
    )
    assert dd["duration_ms"] == trade_ts("E4") - trade_ts("E1")
    assert p["win_rate"] == 0.5


def test_capture_rate_and_reasons(small: Path) -> None:
    r = report(small)
    c = r.summary["capture"]
    assert (c["detected"], c["traded"]) == (7, 4) and c["rate"] == pytest.approx(4 / 7)
    assert c["not_traded"] == {BALANCE: 1, LATENCY: 1, STALE: 1}


def test_slippage_fees_and_rebalance(small: Path) -> None:
    r = report(small)
    assert list(r.tables["trades"]["slippage_quote"]) == [D(-1), D(-6), D(-4), D("-0.5")]
    assert D(r.summary["pnl"]["slippage_quote_mean"]) == D("-2.875")
    fees = {row.venue: row.fees_quote for row in r.tables["fees_by_venue"].itertuples()}
    assert fees == {"a": D(4), "b": D("4.985")}  # a: 3 × 1 USDT + 0.001 ETH at 1000
    assert D(r.summary["pnl"]["fees_quote"]) == D("8.985")
    # end: a 997 USDT / 8.999 ETH, b 9018 USDT / 1.001 ETH; target = the 50/50 start split of the totals
    moves = {(t.asset, t.from_venue, t.to_venue): t.amount for t in r.tables["rebalance"].itertuples()}
    assert moves == {("USDT", "b", "a"): D("4010.5"), ("ETH", "a", "b"): D("3.999")}
    assert r.summary["rebalance"]["target"] == "starting balances of the newest run"


def test_configured_target_and_explicit_capital(small: Path) -> None:
    target = {("a", "USDT"): D(1), ("b", "USDT"): D(3), ("a", "ETH"): D(1), ("b", "ETH"): D(1)}
    r = report(small, target=target, capital=D(5000))
    moves = {(t.asset, t.from_venue, t.to_venue): t.amount for t in r.tables["rebalance"].itertuples()}
    assert moves[("USDT", "b", "a")] == D("10015") / 4 - D("997") == D("1506.75")  # a: a quarter of 10,015
    assert r.summary["pnl"]["capital_source"] == "--capital"
    assert r.summary["pnl"]["max_drawdown"]["pct_of_capital"] == pytest.approx(0.14)


def test_episode_tables(small: Path) -> None:
    r = report(small)
    pairs = {(t.buy_venue, t.sell_venue): t.episodes for t in r.tables["episodes_by_pair"].itertuples()}
    assert pairs == {("a", "b"): 6, ("b", "a"): 1}
    assert list(r.tables["episodes_by_hour"]["episodes"]) == [1] * 7
    assert r.summary["episodes"]["net_bps"]["count"] == 7


def test_filters(small: Path) -> None:
    assert report(small, filters=Filters(symbol="BTC/USDT")).summary["episodes"]["detected"] == 0
    late = report(small, filters=Filters(since_ms=T0 + 2 * DAY))
    assert late.summary["episodes"]["detected"] == 3 and late.summary["pnl"]["total"] == "12.000"
    everything = report(small)
    # a third venue: an episode c → b that a venue filter for "a" must leave out and one for "c" must keep
    j = Journal.open(small)
    j.write_batch(
        [
            (
                "episode",
                {
                    "id": "E8",
                    "run_id": RUN,
                    "symbol": SYMBOL,
                    "buy_venue": "c",
                    "sell_venue": "b",
                    "start_ms": T0 + 2 * HOUR,
                    "end_ms": T0 + 2 * HOUR + 500,
                    "duration_ms": 500,
                    "status": "closed",
                    "peak_net_bps": D("9"),
                    "peak_net_profit": D("0.9"),
                },
            )
        ]
    )
    j.close()
    assert report(small).summary["episodes"]["detected"] == 8
    only_a = report(small, filters=Filters(venue="a"))
    assert only_a.summary["episodes"]["detected"] == 7 and only_a.summary["capture"]["detected"] == 7
    assert only_a.summary["pnl"]["total"] == everything.summary["pnl"]["total"]  # every trade was a → b
    only_c = report(small, filters=Filters(venue="c"))
    assert only_c.summary["episodes"]["detected"] == 1 and only_c.summary["pnl"]["trades"] == 0
    pairs = {(t.buy_venue, t.sell_venue) for t in only_c.tables["episodes_by_pair"].itertuples()}
    assert pairs == {("c", "b")}


def test_empty_journal_is_an_empty_report(tmp_path: Path) -> None:
    Journal.open(tmp_path / "empty.db").close()
    r = report(tmp_path / "empty.db")
    assert r.summary["episodes"]["detected"] == 0 and not r.has_pnl
    assert r.summary["capture"]["rate"] is None
    assert any("no fills" in n for n in r.notes)


def test_alert_only_journal_reports_episodes_without_pnl(tmp_path: Path) -> None:
    j = Journal.open(tmp_path / "alert.db")
    j.start_run("alert", {}, now_ms=T0, run_id="r1")
    j.write_batch(
        [
            (
                "episode",
                {
                    "id": "r1-1",
                    "run_id": "r1",
                    "symbol": "BTC/USDT",
                    "buy_venue": "okx",
                    "sell_venue": "bybit",
                    "start_ms": T0 + 5,
                    "end_ms": T0 + 505,
                    "duration_ms": 500,
                    "status": "closed",
                    "peak_net_bps": D("12.5"),
                    "peak_net_profit": D("1.2"),
                },
            )
        ]
    )
    j.close()
    r = report(tmp_path / "alert.db")
    assert r.summary["capture"]["not_traded"] == {"not executed (alert-only run)": 1}
    assert not r.summary["pnl"]["available"] and r.summary["pnl"]["sharpe"] is None
    assert r.summary["episodes"]["net_bps"]["max"] == 12.5


def test_csv_and_parquet_exports_keep_money_exact(small: Path, tmp_path: Path) -> None:
    r = report(small)
    render.export(r, tmp_path / "csv", "csv")
    render.export(r, tmp_path / "pq", "parquet")
    csv_trades = pd.read_csv(tmp_path / "csv" / "trades.csv", dtype=str)
    assert list(csv_trades["pnl"]) == ["10", "-4", "-3", "12.000"]
    pq_trades = pq.read_table(tmp_path / "pq" / "trades.parquet").to_pylist()
    assert [row["pnl"] for row in pq_trades] == [D(10), D(-4), D(-3), D(12)]
    assert {p.stem for p in (tmp_path / "csv").iterdir()} >= {
        "episodes",
        "episodes_by_pair",
        "episodes_by_hour",
        "trades",
        "capture_reasons",
        "fees_by_venue",
        "inventory",
        "rebalance",
        "daily_pnl",
        "pnl_curve",
        "summary",
    }
    assert json.loads((tmp_path / "csv" / "summary.json").read_text())["pnl"]["total"] == "15.000"


def test_json_document_is_serialisable(small: Path) -> None:
    doc = render.as_json(report(small))
    text = json.dumps(doc, default=str)
    assert json.loads(text)["tables"]["trades"][0]["pnl"] == "10"
