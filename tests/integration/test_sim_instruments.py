"""Each simulated venue serves its real instrument specs and rejects what the real venue rejects.

Expected values are the venues' recorded market entries in ccxt's static test fixtures (github
ccxt/ccxt): ts/src/test/static/markets/okx.json @3802e1a2, binance.json @0dca8ac0, bybit.json @1f8d53ec
(the same entries exchanges/sim/instrument_data.py serves; copied here independently so the test
checks the served data, not itself). Orders go through stock ccxt.pro clients; an order ccxt would
round before sending (off-grid price or amount) goes through ccxt's implicit API methods.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.harness import LoopbackExchanges

D = Decimal
SYMS = ["BTC/USDT", "ETH/USDT", "DOGE/USDT"]
# venue -> symbol -> (tick, lot, min amount, max amount, min cost, max cost) as recorded
RECORDED: dict[str, dict[str, tuple[float, float, float, float | None, float | None, float | None]]] = {
    "okx": {  # info.tickSz, lotSz, minSz, maxLmtSz; OKX lists no min notional; maxLmtAmt checked via info below
        "BTC/USDT": (0.1, 1e-8, 0.00001, None, None, None),
        "ETH/USDT": (0.01, 1e-6, 0.0001, None, None, None),
        "DOGE/USDT": (0.00001, 1e-6, 10, None, None, None),
    },
    "binance": {  # PRICE_FILTER.tickSize, LOT_SIZE.stepSize/minQty/maxQty, NOTIONAL.minNotional/maxNotional
        "BTC/USDT": (0.01, 0.00001, 0.00001, 9000, 5, 9000000),
        "ETH/USDT": (0.01, 0.0001, 0.0001, 9000, 5, 9000000),
        "DOGE/USDT": (0.00001, 1, 1, 9000000, 5, 9000000),
    },
    "bybit": {  # priceFilter.tickSize, lotSizeFilter.basePrecision/minOrderQty/maxOrderQty/minOrderAmt/maxOrderAmt
        "BTC/USDT": (0.1, 0.000001, 0.000011, 83, 5, 8000000),
        "ETH/USDT": (0.01, 0.00001, 0.00029, 4616.1353715, 5, 7000000),
        "DOGE/USDT": (0.00001, 0.1, 3, 22340128.455739, 5, 4000000),
    },
}
OKX_INFO = {  # maxLmtSz, maxMktSz, maxLmtAmt, maxMktAmt as recorded
    "BTC/USDT": ("9999999999", "1000000", "20000000", "1000000"),
    "ETH/USDT": ("999999999999", "1000000", "20000000", "1000000"),
    "DOGE/USDT": ("999999999999", "1000000", "20000000", "1000000"),
}
BINANCE_PERCENT_PRICE_BY_SIDE = ("5", "0.2", "5", "0.2")  # bid up/down, ask up/down, every recorded symbol
BYBIT_RATIOS = {"BTC/USDT": ("0.01", "0.02"), "ETH/USDT": ("0.01", "0.03"), "DOGE/USDT": ("0.03", "0.06")}


@pytest.fixture
async def sim(sim_factory: Any) -> LoopbackExchanges:
    return await sim_factory(venues=["okx", "binance", "bybit"], symbols=SYMS, seed=5, update_interval_ms=None)


@pytest.mark.parametrize("venue", ["okx", "binance", "bybit"])
async def test_specs_loaded_by_ccxt_equal_the_recorded_ones(
    sim: LoopbackExchanges, client_factory: Any, venue: str
) -> None:
    markets = await client_factory(sim, venue, key=None).load_markets()
    for symbol, (tick, lot, amin, amax, cmin, cmax) in RECORDED[venue].items():
        m = markets[symbol]
        assert (m["precision"]["price"], m["precision"]["amount"]) == (tick, lot), (venue, symbol)
        assert m["limits"]["amount"]["min"] == amin, (venue, symbol)
        if amax is not None:
            assert m["limits"]["amount"]["max"] == amax, (venue, symbol)
        if cmin is not None:
            assert (m["limits"]["cost"]["min"], m["limits"]["cost"]["max"]) == (cmin, cmax), (venue, symbol)
        info = m["info"]
        if venue == "okx":
            assert (info["maxLmtSz"], info["maxMktSz"], info["maxLmtAmt"], info["maxMktAmt"]) == OKX_INFO[symbol]
        elif venue == "binance":
            pct = next(f for f in info["filters"] if f["filterType"] == "PERCENT_PRICE_BY_SIDE")
            keys = ("bidMultiplierUp", "bidMultiplierDown", "askMultiplierUp", "askMultiplierDown")
            assert tuple(pct[k] for k in keys) == BINANCE_PERCENT_PRICE_BY_SIDE
        else:
            risk = info["riskParameters"]
            assert (risk["priceLimitRatioX"], risk["priceLimitRatioY"]) == BYBIT_RATIOS[symbol]


@pytest.mark.parametrize("venue", ["okx", "binance", "bybit"])
async def test_published_books_sit_on_each_venues_grid(sim: LoopbackExchanges, client_factory: Any, venue: str) -> None:
    ex = client_factory(sim, venue, key=None)
    for _ in range(3):
        sim.step()
    for symbol, (tick, lot, *_rest) in RECORDED[venue].items():
        ob = await ex.fetch_order_book(symbol, 50 if venue == "bybit" else None)
        levels = ob["bids"] + ob["asks"]
        assert levels
        for price, size, *_count in levels:
            assert D(str(price)) % D(str(tick)) == 0, (venue, symbol, price)
            assert D(str(size)) % D(str(lot)) == 0, (venue, symbol, size)


def _mid(sim: LoopbackExchanges, venue: str, symbol: str) -> Decimal:
    view = sim.book(venue, symbol)
    return (view.bids[0][0] + view.asks[0][0]) / 2


async def _rejects(call: Any, error: type[Exception], code: str) -> None:
    with pytest.raises(error, match=code):
        await call


async def test_binance_filters_reject_with_1013(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "binance")
    await ex.load_markets()
    mid = _mid(sim, "binance", "BTC/USDT")
    px = float(round(mid, 2))
    raw = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
    cases = [
        (ex.private_post_order({**raw, "quantity": "0.001", "price": f"{round(mid, 2)}5"}), "PRICE_FILTER"),
        (ex.private_post_order({**raw, "quantity": "0.001005", "price": str(round(mid, 2))}), "LOT_SIZE"),
        (ex.create_order("BTC/USDT", "limit", "buy", 9001, px), "LOT_SIZE"),  # over maxQty 9000
        (ex.create_order("BTC/USDT", "market", "buy", 129), "MARKET_LOT_SIZE"),  # over maxQty 128.52621715
        (ex.create_order("BTC/USDT", "limit", "buy", 0.00005, px), "NOTIONAL"),  # ~3 USDT < 5
        (ex.create_order("BTC/USDT", "limit", "buy", 0.001, float(round(mid * 6, 2))), "PERCENT_PRICE_BY_SIDE"),
        (ex.create_order("BTC/USDT", "limit", "sell", 0.001, float(round(mid / 6, 2))), "PERCENT_PRICE_BY_SIDE"),
    ]
    # what ccxt maps each -1013 to: PRICE_FILTER/LOT_SIZE by their message, NOTIONAL by the code, and
    # PERCENT_PRICE_BY_SIDE by a broad message match (whose text is the message alone, without the code)
    mapped = {
        "PRICE_FILTER": ccxtpro.InvalidOrder,
        "LOT_SIZE": ccxtpro.InvalidOrder,
        "NOTIONAL": ccxtpro.BadRequest,
        "PERCENT_PRICE_BY_SIDE": ccxtpro.InvalidOrder,
        "MARKET_LOT_SIZE": ccxtpro.InvalidOrder,
    }
    for call, name in cases:
        with pytest.raises(mapped[name], match=f"Filter failure: {name}") as info:
            await call
        assert name == "PERCENT_PRICE_BY_SIDE" or '"code": -1013' in str(info.value)


async def test_bybit_filters_reject_with_real_codes(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "bybit")
    await ex.load_markets()
    mid = _mid(sim, "bybit", "BTC/USDT")
    px = float(round(mid, 1))
    eth_px = float(round(_mid(sim, "bybit", "ETH/USDT"), 2))
    raw = {"category": "spot", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit"}
    cases = [
        (ex.create_order("BTC/USDT", "limit", "buy", 0.00001, px), "170136"),  # < minOrderQty 0.000011
        (ex.private_post_v5_order_create({**raw, "qty": "0.0010005", "price": str(px)}), "170137"),  # basePrecision
        (ex.private_post_v5_order_create({**raw, "qty": "0.001", "price": f"{round(mid, 1)}5"}), "170134"),  # tickSize
        (ex.create_order("BTC/USDT", "limit", "buy", 84, px), "170135"),  # > maxOrderQty 83
        (ex.create_order("BTC/USDT", "limit", "buy", 0.00005, px), "170140"),  # ~3 USDT < minOrderAmt 5
        (ex.create_order("ETH/USDT", "limit", "buy", 2500, eth_px), "170124"),  # ~8M USDT > maxOrderAmt 7M
        (ex.create_order("BTC/USDT", "limit", "buy", 0.001, float(round(mid * D("1.02"), 1))), "170193"),
        (ex.create_order("BTC/USDT", "limit", "sell", 0.001, float(round(mid * D("0.98"), 1))), "170194"),
    ]
    for call, code in cases:
        await _rejects(call, ccxtpro.InvalidOrder, code)
    # inside the 1% band (priceLimitRatioX of BTCUSDT) a buy is accepted
    order = await ex.create_order("BTC/USDT", "limit", "buy", 0.001, float(round(mid * D("1.005"), 1)))
    assert order["id"]


async def test_okx_filters_reject_with_real_scodes(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx")
    await ex.load_markets()
    mid = _mid(sim, "okx", "ETH/USDT")
    px = float(round(mid, 2))
    btc_px = float(round(_mid(sim, "okx", "BTC/USDT"), 1))  # 400 BTC: ~26M USDT > maxLmtAmt 20M
    raw = {"instId": "ETH-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit"}
    cases = [
        (ex.create_order("ETH/USDT", "limit", "buy", 0.00005, px), ccxtpro.InvalidOrder, "51020"),  # < minSz
        (ex.private_post_trade_order({**raw, "sz": "0.0010005", "px": str(px)}), ccxtpro.InvalidOrder, "51121"),
        (ex.private_post_trade_order({**raw, "sz": "0.001", "px": f"{round(mid, 2)}5"}), ccxtpro.BadRequest, "51000"),
        (ex.create_order("DOGE/USDT", "market", "sell", 1_000_001), ccxtpro.InvalidOrder, "51202"),  # > maxMktSz
        (ex.create_order("BTC/USDT", "limit", "buy", 400, btc_px), ccxtpro.InvalidOrder, "51203"),  # > maxLmtAmt
    ]
    for call, error, code in cases:
        await _rejects(call, error, code)
