"""arb.ui.display: rounding for reading (never for deciding or storing) and tables fitted to the width."""

from __future__ import annotations

import io
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from arb.core.model import quantize_bps
from arb.ui import display

MONEY = st.decimals(min_value=D("-1e9"), max_value=D("1e9"), allow_nan=False, allow_infinity=False, places=20)


@given(MONEY)
def test_money_is_within_half_a_displayed_unit_and_short(x: D) -> None:
    text = display.money(x)
    shown = D(text)
    places = -shown.as_tuple().exponent  # type: ignore[operator]
    assert 2 <= places <= 8
    assert abs(shown - x) <= D(1).scaleb(-places) / 2
    if abs(x) >= 100:
        assert places == 2  # 1234.57, not 1234.5678901234
    if x:
        assert places <= max(2, 3 - x.adjusted())  # 4 significant digits: 12.35, 1.561
    if D("1e-8") <= abs(x) < 1:
        assert len(text.lstrip("-0.")) <= 4  # 4 significant digits at most: 0.002384


@given(MONEY)
def test_bps_has_two_decimals_and_quantize_bps_is_within_half_a_quantum(x: D) -> None:
    assert D(display.bps(x)) == x.quantize(D("0.01"))
    q = quantize_bps(x)
    assert abs(q - x) <= D("0.00005") and q.as_tuple().exponent == -4


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("1234.5678"), "1234.57"),
        (D("-709.1"), "-709.10"),
        (D("0.002384"), "0.002384"),
        (D("0.5"), "0.50"),
        (D("12.3456789012345678901"), "12.35"),
        (D("-0.0000000001"), "0.00"),
        (None, "n/a"),
    ],
)
def test_money_examples(value: D | None, text: str) -> None:
    assert display.money(value) == text


def test_export_keeps_money_exact_and_quantises_bps() -> None:
    assert display.export("peak_net_profit", D("1.2345678901234567890")) == "1.2345678901234567890"
    assert display.export("peak_net_bps", D("12.345678901234567890123456789")) == "12.3457"
    assert display.export("evaluations", 17) == 17


def test_fit_table_keeps_key_columns_whole_and_names_hidden_ones() -> None:
    cols = [
        display.Col("time", key=True),
        display.Col("symbol", key=True),
        display.Col("notes", drop=1),
        display.Col("extra", drop=2),
    ]
    rows = [["2026-01-01 00:00:00", "DOGE/USDT", "x" * 30, "y" * 30]]
    console = Console(record=True, width=80, file=io.StringIO(), color_system=None)
    console.print(display.fit_table(cols, rows, 80, title="t"))
    text = console.export_text()
    assert "2026-01-01 00:00:00" in text and "DOGE/USDT" in text and "x" * 30 in text
    assert "y" * 30 not in text and "hidden at 80 columns: extra" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_sweep_table_fits_80_columns_and_rounds_pnl(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from arb.cli.backtest import _print_sweep

    monkeypatch.setenv("COLUMNS", "80")
    rows = [
        {
            "params": {"scanner.min_net_bps": "5", "scanner.max_notional": "1000"},
            "pnl": D("123.45678901234567890"),
            "sharpe": 1.23456789,
            "max_drawdown": 2.3456789,
            "trades": 12,
            "episodes": 40,
            "win_rate": 0.75,
            "capital": "40000",
            "capital_source": "paper balances",
            "command": "arb backtest x --set a=b",
        },
        {
            "params": {"scanner.min_net_bps": "40", "scanner.max_notional": "300"},
            "pnl": D("-0.00123456789012345"),
            "sharpe": None,
            "max_drawdown": 0.0,
            "trades": 1,
            "episodes": 3,
            "win_rate": 0.0,
            "capital": "40000",
            "capital_source": "paper balances",
            "command": "arb backtest x --set a=c",
        },
    ]
    _print_sweep(rows, ["scanner.min_net_bps", "scanner.max_notional"], Path("/tmp/sweep"))
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line[:1] in "┃│┏┡└"]
    assert table and max(len(line) for line in table) <= 80
    assert "scanner.min_net_bps" in out and "scanner.max_notional" in out and "PnL" in out
    assert "123.46" in out and "-0.001235" in out
    assert "123.4567890" not in out and "…" not in "".join(table)


def test_fit_table_cells_are_plain_text_not_markup() -> None:
    cols = [display.Col("reason", key=True)]
    console = Console(record=True, width=80, file=io.StringIO(), color_system=None)
    console.print(display.fit_table(cols, [["leg failed [Errno 111] x [/] y"]], 80))
    assert "leg failed [Errno 111] x [/] y" in console.export_text()


def test_single_backtest_line_rounds_pnl(capsys: pytest.CaptureFixture[str]) -> None:
    from arb.cli.backtest import _print_single

    _print_single(
        {
            "run_id": "r1",
            "mode": "paper",
            "books": 10,
            "market_s": 5.0,
            "speed": 50.0,
            "episodes": 3,
            "trades": 2,
            "pnl": D("12.345678901234567890"),
            "sharpe": None,
            "max_drawdown": 0.5,
            "max_drawdown_pct": 0.01,
            "capital": "900",
            "capital_source": "configured",
            "win_rate": 0.5,
            "truncated": False,
            "journal": "/tmp/x.db",
        }
    )
    out = capsys.readouterr().out
    assert "PnL 12.35," in out and "12.3456789" not in out


def test_report_free_text_columns_wrap_instead_of_disappearing_at_80_columns() -> None:
    import pandas as pd

    from arb.review.report.render import fitted

    why = "buy leg on binance: InsufficientFunds USDT free 427.19 < 1000.2 needed; hedged on okx at -2.01 USDT"
    t = pd.DataFrame(
        [
            {
                "opportunity_id": "6011f2328a02-18.87",
                "symbol": "DOGE/USDT",
                "buy_venue": "binance",
                "sell_venue": "bybit",
                "ts_ms": 1_767_225_601_000,
                "pnl": D("-2.0123456789"),
                "exposure": D("0"),
                "why": why,
            }
        ],
        dtype=object,
    )
    console = Console(record=True, width=80, file=io.StringIO(), color_system=None)
    console.print(fitted("Failed trades (and why)", t, 80))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "DOGE/USDT" in text and "binance" in text and "2026-01-01 00:00:01" in text and "-2.012" in text
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert rows and all(line.endswith("│") for line in rows)  # the whole table, right border included
    why_cells = "".join(line.rsplit("│", 2)[1].strip() for line in rows)
    assert why_cells.replace(" ", "") == why.replace(" ", "")  # the whole text, wrapped
    assert "…" not in text
