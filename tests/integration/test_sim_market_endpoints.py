"""Endpoints a bot calls beyond books and orders, each through a stock ccxt.pro client built from the
sims' ccxt_config: currencies and withdrawal fees (with the suspend switch), OKX ``watch_balance``,
public trades over REST and WebSocket (every account's fills), 24 h tickers from the tape, Bybit
``create_orders`` and ``fetch_status``.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from exchanges.sim.base import ApiKey
from exchanges.sim.harness import DEMO_PASSPHRASE, LoopbackExchanges

VENUES = ["okx", "binance", "bybit"]
SYM = "BTC/USDT"
D = Decimal
TRADE_SUBS = {
    "okx": lambda sub: sub == ("trades", "BTC-USDT"),
    "binance": lambda sub: sub == ("trade", "BTCUSDT"),
    "bybit": lambda sub: sub == "publicTrade.BTCUSDT",
}


def other_key(venue: str) -> ApiKey:
    """A second account on the venue: its fills are public trades too."""
    return ApiKey(f"{venue}-other-key", f"{venue}-other-secret", DEMO_PASSPHRASE, account="other", label="other")


@pytest.fixture
async def sim(sim_factory: Any) -> LoopbackExchanges:
    sim = await sim_factory(
        venues=VENUES,
        symbols=[SYM, "ETH/USDT"],
        seed=3,
        update_interval_ms=None,
        extra_keys={v: [other_key(v)] for v in VENUES},
    )
    for v in VENUES:
        sim.venue(v).engine.fund("other", {"BTC": D(10), "USDT": D(1_000_000)})
    return sim


@pytest.mark.parametrize("venue", VENUES)
async def test_currencies_and_withdraw_fees_with_the_suspend_switch(
    sim: LoopbackExchanges, client_factory: Any, venue: str
) -> None:
    ex = client_factory(sim, venue)
    currencies = await ex.fetch_currencies()
    assert {"BTC", "ETH", "USDT"} <= set(currencies)
    usdt = currencies["USDT"]["networks"]
    assert set(usdt) == {"ERC20", "TRC20"}
    assert (usdt["TRC20"]["fee"], usdt["TRC20"]["limits"]["withdraw"]["min"]) == (1.0, 10.0)
    assert usdt["TRC20"]["deposit"] is True and usdt["TRC20"]["withdraw"] is True
    fees = await ex.fetch_deposit_withdraw_fees()
    assert fees["USDT"]["networks"]["ERC20"]["withdraw"]["fee"] == 4.0
    assert fees["BTC"]["networks"]["BTC"]["withdraw"]["fee"] == 0.0001
    sim.set_transfers(venue, "USDT", "TRC20", withdraw=False)
    sim.set_transfers(venue, "BTC", deposit=False)
    after = await ex.fetch_currencies()
    assert after["USDT"]["networks"]["TRC20"]["withdraw"] is False
    assert after["USDT"]["networks"]["TRC20"]["deposit"] is True
    assert after["USDT"]["networks"]["ERC20"]["withdraw"] is True
    assert after["BTC"]["networks"]["BTC"]["deposit"] is False
    sim.set_transfers(venue, "USDT", "TRC20", withdraw=True)
    assert (await ex.fetch_currencies())["USDT"]["networks"]["TRC20"]["withdraw"] is True
    with pytest.raises(KeyError, match="networks: ERC20, TRC20"):
        sim.set_transfers(venue, "USDT", "SOL", withdraw=False)


async def test_okx_watch_balance_pushes_every_balance_change(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "okx")
    first = await ex.watch_balance()
    assert first["USDT"]["total"] == float(sim.account_balances("okx")["USDT"])
    nxt = asyncio.ensure_future(ex.watch_balance())
    await ex.load_markets()
    ask_px, _ = sim.book("okx", SYM).asks[0]
    await ex.create_order(SYM, "limit", "buy", 0.01, float(ask_px), {"timeInForce": "IOC"})
    pushed = await asyncio.wait_for(nxt, 5)
    truth = sim.account_balances("okx")
    assert pushed["BTC"]["total"] == float(truth["BTC"]) and pushed["USDT"]["total"] == float(truth["USDT"])


async def _trade_both_accounts(
    sim: LoopbackExchanges, client_factory: Any, venue: str, public: Any = None
) -> tuple[list[Any], list[Any]]:
    """The trader buys at the best ask and the other account sells at the best bid (IOC, each inside the best
    level: one fill each). With a ``public`` client, each order's public trade is awaited on ``watch_trades``.
    Returns (fills of both accounts, trades seen on the stream)."""
    mine, other = client_factory(sim, venue), client_factory(sim, venue, key="other")
    await mine.load_markets()
    await other.load_markets()
    seen: list[Any] = []
    for ex, side, amount in ((mine, "buy", 0.01), (other, "sell", 0.02)):
        view = sim.book(venue, SYM)
        px, size = (view.asks if side == "buy" else view.bids)[0]
        assert D(str(amount)) <= size
        watching = asyncio.ensure_future(public.watch_trades(SYM)) if public is not None else None
        await ex.create_order(SYM, "limit", side, amount, float(px), {"timeInForce": "IOC"})
        if watching is not None:
            seen += await asyncio.wait_for(watching, 5)
    return [f for v in ("main", "other") for f in sim.fills(venue, v)], seen


@pytest.mark.parametrize("venue", VENUES)
async def test_public_trades_show_every_accounts_fills(sim: LoopbackExchanges, client_factory: Any, venue: str) -> None:
    public = client_factory(sim, venue, key=None)
    subscribed = asyncio.ensure_future(public.watch_trades(SYM))
    await sim.venue(venue).wait_for_subscription(TRADE_SUBS[venue])
    subscribed.cancel()
    fills, seen = await _trade_both_accounts(sim, client_factory, venue, public)
    assert len(fills) == 2 and {f["side"] for f in fills} == {"buy", "sell"}
    expected = sorted((f["trade_id"], float(f["price"]), float(f["amount"]), f["side"]) for f in fills)
    assert sorted((t["id"], t["price"], t["amount"], t["side"]) for t in seen) == expected  # taker's side
    rest = await public.fetch_trades(SYM)
    assert sorted((t["id"], t["price"], t["amount"], t["side"]) for t in rest) == expected


@pytest.mark.parametrize("venue", VENUES)
async def test_ticker_carries_the_tapes_24h_values(sim: LoopbackExchanges, client_factory: Any, venue: str) -> None:
    fills, _ = await _trade_both_accounts(sim, client_factory, venue)
    last = max(fills, key=lambda f: int(f["trade_id"]))
    sim.step()
    ticker = await client_factory(sim, venue, key=None).fetch_ticker(SYM)
    assert ticker["last"] == float(last["price"])
    assert ticker["last"] != float(sim.book(venue, SYM).bids[0][0]) or last["side"] == "sell"
    assert ticker["baseVolume"] == pytest.approx(float(sum(f["amount"] for f in fills)))
    assert ticker["quoteVolume"] == pytest.approx(float(sum(f["amount"] * f["price"] for f in fills)))
    assert ticker["high"] >= max(float(f["price"]) for f in fills)
    assert ticker["low"] <= min(float(f["price"]) for f in fills)


async def test_bybit_create_orders_and_fetch_status(sim: LoopbackExchanges, client_factory: Any) -> None:
    ex = client_factory(sim, "bybit")
    assert (await ex.fetch_status())["status"] == "ok"
    await ex.load_markets()
    ask = float(sim.book("bybit", SYM).asks[0][0])
    orders = await ex.create_orders(
        [
            {
                "symbol": SYM,
                "type": "limit",
                "side": "buy",
                "amount": 0.001,
                "price": ask,
                "params": {"timeInForce": "IOC", "clientOrderId": "batch1"},
            },
            {
                "symbol": "ETH/USDT",
                "type": "limit",
                "side": "buy",
                "amount": 0.01,
                "price": 1000.0,
                "params": {"clientOrderId": "batch2"},
            },
            {"symbol": SYM, "type": "limit", "side": "buy", "amount": 0.00001, "price": ask},  # < minOrderQty
        ]
    )
    assert [o["clientOrderId"] for o in orders[:2]] == ["batch1", "batch2"]
    assert orders[2]["id"] is None and orders[2]["info"]["code"] == 170136
    by_cid = {e["client_id"]: e for e in sim.attempts("bybit")}
    assert by_cid["batch1"]["status"] == "filled" and by_cid["batch2"]["status"] == "live"
    assert by_cid["batch1"]["order_id"] == orders[0]["id"]
