"""PaperVenue: fills against the market client's latest book, same fee model, held-back liquidity."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from arb.core.model import Fee
from arb.trade.paper import PaperVenue

D = Decimal
SYM = "BTC/USDT"


class FakeMarket:
    """The bits of a ccxt.pro client PaperVenue reads: markets, orderbooks, amount_to_precision."""

    id = "okx"

    def __init__(self) -> None:
        self.markets = {SYM: {"symbol": SYM, "base": "BTC", "quote": "USDT", "limits": {"amount": {"min": 0.0001}}}}
        book = {"bids": [[99.0, 1.0], [98.0, 2.0]], "asks": [[100.0, 1.0], [101.0, 2.0]], "nonce": 1, "timestamp": 1}
        self.orderbooks: dict[str, Any] = {SYM: book}

    def amount_to_precision(self, symbol: str, amount: float) -> str:
        if amount < 1e-8:
            raise ccxtpro.InvalidOrder("amount must be greater than minimum amount precision")
        return str(D(str(amount)).quantize(D("0.00000001"), rounding="ROUND_DOWN"))


def venue(balances: dict[str, Decimal] | None = None, currency: str = "received", latency_ms: int = 0) -> PaperVenue:
    return PaperVenue(
        "okx",
        FakeMarket(),
        fees={("okx", SYM): Fee(D("0.001"), currency)},
        balances=balances,  # type: ignore[arg-type]
        latency_ms=latency_ms,
    )


async def test_ioc_walks_levels_up_to_the_limit_and_cancels_the_rest() -> None:
    v = venue()
    o = await v.create_order(SYM, "limit", "buy", 2.5, 100.5, {"clOrdId": "a"})
    assert (o["status"], o["filled"], o["cost"]) == ("canceled", D(1), D(100))  # 101 is above the limit
    assert o["fee"] == {"cost": D("0.001"), "currency": "BTC"}  # received: base on a buy
    s = await v.create_order(SYM, "limit", "sell", 2, 98, {"clOrdId": "b"})
    assert (s["status"], s["filled"], s["cost"]) == ("closed", D(2), D(99 + 98))
    assert s["fee"] == {"cost": D("0.197"), "currency": "USDT"}
    trades = await v.fetch_order_trades(s["id"], SYM)
    assert [(t["price"], t["amount"]) for t in trades] == [(D(99), D(1)), (D(98), D(1))]
    assert (await v.fetch_order(None, SYM, {"clientOrderId": "b"}))["id"] == s["id"]
    with pytest.raises(ccxtpro.OrderNotFound):
        await v.fetch_order(None, SYM, {"clientOrderId": "zzz"})


async def test_taken_liquidity_stays_taken_across_new_books_until_the_book_shows_it_back() -> None:
    v = venue()
    assert (await v.create_order(SYM, "limit", "buy", 1, 100, {"clOrdId": "a"}))["filled"] == D(1)
    assert (await v.create_order(SYM, "limit", "buy", 1, 100, {"clOrdId": "b"}))["filled"] == D(0)
    v.client.orderbooks[SYM]["nonce"] = 2  # a new book showing the same level: nothing came back (issue 15)
    assert (await v.create_order(SYM, "limit", "buy", 1, 100, {"clOrdId": "c"}))["filled"] == D(0)
    v.client.orderbooks[SYM]["asks"] = [[100.0, 1.5], [101.0, 2.0]]  # makers added 0.5 at 100
    assert (await v.create_order(SYM, "limit", "buy", 1, 100, {"clOrdId": "d"}))["filled"] == D("0.5")


async def test_fee_in_quote_and_balances_and_refusals() -> None:
    v = venue({"USDT": D(150), "BTC": D(0)}, currency="quote")
    o = await v.create_order(SYM, "limit", "buy", 1, 100, {"clOrdId": "a"})
    assert o["fee"] == {"cost": D("0.1"), "currency": "USDT"}
    bal = await v.fetch_balance()
    assert bal["USDT"]["free"] == D("49.9") and bal["BTC"]["free"] == D(1)  # exact Decimals, as orders
    with pytest.raises(ccxtpro.InsufficientFunds):
        await v.create_order(SYM, "limit", "buy", 1, 100, {"clOrdId": "b"})  # 100 USDT needed, 49.9 free
    with pytest.raises(ccxtpro.InsufficientFunds):
        await v.create_order(SYM, "limit", "sell", 2, 99, {"clOrdId": "c"})
    with pytest.raises(ccxtpro.InvalidOrder, match="minimum"):
        await v.create_order(SYM, "limit", "sell", 0.00005, 99, {"clOrdId": "d"})
    with pytest.raises(ccxtpro.InvalidOrder, match="duplicate"):
        await v.create_order(SYM, "limit", "sell", 0.5, 99, {"clOrdId": "a"})


async def test_latency_fills_against_the_book_as_it_is_then_and_updates_stream() -> None:
    v = venue(latency_ms=30)
    sent = asyncio.ensure_future(v.create_order(SYM, "limit", "buy", 1, 105, {"clOrdId": "late"}))
    await asyncio.sleep(0)  # the order is "in flight": the book moves before it arrives
    v.client.orderbooks[SYM] = {"bids": [[102.0, 1.0]], "asks": [[104.0, 0.4]], "nonce": 9, "timestamp": 9}
    o = await sent
    assert (o["filled"], o["average"]) == (D("0.4"), D(104))
    (update,) = await asyncio.wait_for(v.watch_orders(), 1)
    assert update["clientOrderId"] == "late" and update["status"] == "canceled"


async def test_order_and_trade_ids_carry_the_run_so_they_never_repeat_across_runs() -> None:
    """Issue 13.1: ids restarted at ``paper-okx-1`` every run, so a second run's fills collided."""
    ids = []
    for run_id in ("run-a", "run-b", None, None):
        v = PaperVenue(
            "okx",
            FakeMarket(),
            fees={("okx", SYM): Fee(D("0.001"))},
            latency_ms=0,  # type: ignore[arg-type]
            run_id=run_id,
        )
        o = await v.create_order(SYM, "limit", "buy", 1.5, 101, {"clOrdId": "same"})
        ids.append((o["id"], *(t["id"] for t in await v.fetch_order_trades(o["id"], SYM))))
    assert ids[0][0].startswith("paper-okx-run-a-") and ids[1][0].startswith("paper-okx-run-b-")
    every = [i for row in ids for i in row]
    assert len(set(every)) == len(every)
