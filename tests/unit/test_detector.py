"""Detector: pairs appear and disappear as updates arrive; fees and bad books suppress them."""

from __future__ import annotations

from decimal import Decimal

from arb.core.detector import Detector
from arb.core.model import Fee


def _det(rate: str = "0.001") -> Detector:
    d = Detector()
    for v in ("okx", "binance", "bybit"):
        d.set_fee(v, "BTC/USDT", Fee(Decimal(rate)))
    return d


def test_cross_appears_and_disappears() -> None:
    d = _det()
    assert d.update("okx", "BTC/USDT", 100.0, 100.1).pairs == []
    assert d.update("binance", "BTC/USDT", 100.0, 100.1).pairs == []
    # binance bid jumps: buy on okx (ask 100.1), sell on binance (bid 101) crosses after 0.2% fees
    c = d.update("binance", "BTC/USDT", 101.0, 101.1)
    assert c.pairs == [("okx", "binance")]
    assert d.crossing("BTC/USDT") == {("okx", "binance")}
    # back to normal: the pair is gone
    assert d.update("binance", "BTC/USDT", 100.0, 100.1).pairs == []
    assert d.crossing("BTC/USDT") == set()


def test_fees_exceeding_spread_suppress_and_count_near_miss() -> None:
    d = _det("0.001")
    d.update("okx", "BTC/USDT", 100.0, 100.1)
    c = d.update("bybit", "BTC/USDT", 100.2, 100.3)  # 0.1% raw edge < 0.2% fees
    assert c.pairs == [] and c.raw_only == 1
    d0 = _det("0")
    d0.update("okx", "BTC/USDT", 100.0, 100.1)
    assert d0.update("bybit", "BTC/USDT", 100.2, 100.3).pairs == [("okx", "bybit")]


def test_crossed_or_empty_book_is_ignored_and_drops_its_pairs() -> None:
    d = _det("0")
    d.update("okx", "BTC/USDT", 100.0, 100.1)
    assert d.update("bybit", "BTC/USDT", 100.5, 100.6).pairs == [("okx", "bybit")]
    assert d.update("bybit", "BTC/USDT", 100.7, 100.6).pairs == []  # crossed on the venue itself
    assert d.crossing("BTC/USDT") == set() and d.venues("BTC/USDT") == ["okx"]
    assert d.update("bybit", "BTC/USDT", None, 100.6).pairs == []  # empty side
    assert d.venues("BTC/USDT") == ["okx"]


def test_three_venues_both_directions_and_symbol_isolation() -> None:
    d = _det("0")
    d.update("okx", "BTC/USDT", 100.0, 100.1)
    d.update("binance", "BTC/USDT", 100.0, 100.1)
    c = d.update("bybit", "BTC/USDT", 99.0, 99.5)  # bybit cheap: buy bybit, sell on both others
    assert sorted(c.pairs) == [("bybit", "binance"), ("bybit", "okx")]
    d.update("okx", "ETH/USDT", 10.0, 10.1)
    assert d.crossing("ETH/USDT") == set()
    d.remove("bybit", "BTC/USDT")
    assert d.crossing("BTC/USDT") == set()


def test_quote_fee_on_buy_side() -> None:
    d = Detector()
    d.set_fee("a", "X/USDT", Fee(Decimal("0.01"), "quote"))
    d.set_fee("b", "X/USDT", Fee(Decimal("0")))
    d.update("a", "X/USDT", 99.0, 100.0)
    assert d.update("b", "X/USDT", 100.5, 101.0).pairs == []  # 100 * 1.01 = 101 > 100.5
    assert d.update("b", "X/USDT", 101.5, 102.0).pairs == [("a", "b")]
