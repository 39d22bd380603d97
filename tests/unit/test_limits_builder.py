"""Limits come from one builder: [scanner] thresholds, the notional cap bounded by risk when trading."""

from __future__ import annotations

from decimal import Decimal

from arb.config import Config, ScannerConfig
from arb.core.model import Limits
from arb.review.backtest.settings import Settings


def test_scanner_limits_and_the_risk_bound() -> None:
    cfg = Config.from_dict(
        {
            "scanner": {"max_notional": "800", "min_net_bps": "7", "slippage_bps": "1"},
            "risk": {"max_notional_per_trade": "300"},
        }
    )
    want = Limits(Decimal("7"), Decimal("0.5"), Decimal("800"), Decimal("1"))
    assert cfg.limits() == want == Settings.from_config(cfg).limits()
    assert cfg.scanner.limits(cfg.risk) == Limits(Decimal("7"), Decimal("0.5"), Decimal("300"), Decimal("1"))
    assert ScannerConfig().limits() == Limits(Decimal("5"), Decimal("0.5"), Decimal("1000"), Decimal("2"))
