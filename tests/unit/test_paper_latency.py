"""Paper orders meet the book as the venue had it when they arrive (issue 15): ``latency_ms`` after the send,
on the first book the venue stamped at or after that moment — not the stale book the feed happens to hold
then — and answers and look-ups take the way back, as a live order's do. Virtual time (the backtest's loop):
deterministic, no wall clock."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from arb.core.model import Fee
from arb.review.backtest.clock import run_virtual
from arb.trade.paper import BOOK_WAIT_MS, PaperVenue
from tests.unit.test_paper_shadow import SYM, Market

D = Decimal


def now_ms() -> int:
    return round(asyncio.get_running_loop().time() * 1000)


def publish(m: Market, ts: int, asks: list[tuple[Any, Any]]) -> None:
    m.show(asks=asks)
    m.orderbooks[SYM]["timestamp"] = ts  # the venue's stamp: when the book was this way


def paper(m: Market, latency_ms: int) -> PaperVenue:
    return PaperVenue("okx", m, fees={("okx", SYM): Fee(D("0.001"))}, latency_ms=latency_ms, clock=now_ms, run_id="l")


def test_an_order_fills_against_the_book_the_venue_had_when_it_arrived() -> None:
    """Before: the book the feed held ``latency_ms`` after the send, which is a push interval plus the
    market-data latency older than that — a dislocation already swept still looked there."""

    async def main() -> tuple[Any, int]:
        m = Market()
        publish(m, 0, [(100, 1)])
        v = paper(m, 30)
        sent = asyncio.ensure_future(v.create_order(SYM, "limit", "buy", 1.0, 100.0))
        await asyncio.sleep(0.010)
        publish(m, 10, [(100, D("0.4"))])  # the venue's state at 10 ms: all the feed shows at 30 ms
        await asyncio.sleep(0.035)
        publish(m, 35, [(100, D("0.2"))])  # at 35 ms (after the arrival) others took more; delivered at 45 ms
        order = await sent
        return order, now_ms()

    order, done = run_virtual(main())
    assert order["filled"] == D("0.2")  # the first book stamped at or after the arrival (30 ms)
    assert done >= 60  # the answer comes back one latency after the arrival


def test_of_the_books_around_the_arrival_the_nearer_one_is_used() -> None:
    async def main() -> Any:
        m = Market()
        publish(m, 28, [(100, D("0.7"))])  # stamped 2 ms before the arrival (30 ms)
        v = paper(m, 30)
        sent = asyncio.ensure_future(v.create_order(SYM, "limit", "buy", 1.0, 100.0))
        await asyncio.sleep(0.090)
        publish(m, 85, [(100, D("0.1"))])  # 55 ms after it: the earlier book is the better guess
        return await sent

    assert run_virtual(main())["filled"] == D("0.7")


def test_a_quiet_book_is_the_state_at_arrival_after_a_bounded_wait() -> None:
    async def main() -> tuple[Any, int]:
        m = Market()
        publish(m, 0, [(100, 1)])
        v = paper(m, 20)
        order = await v.create_order(SYM, "limit", "buy", 1.0, 100.0)
        return order, now_ms()

    order, done = run_virtual(main())
    assert order["filled"] == D(1)  # nothing newer came: the venue published no change
    assert 20 + BOOK_WAIT_MS <= done <= 20 + BOOK_WAIT_MS + 20 + 10


def test_look_ups_cost_a_round_trip() -> None:
    async def main() -> list[int]:
        m = Market()
        v = paper(m, 25)
        o = await v.create_order(SYM, "limit", "buy", 1.0, 100.0)
        marks = []
        for call in (
            v.fetch_order(o["id"], SYM),
            v.fetch_order_trades(o["id"], SYM),
            v.fetch_open_orders(SYM),
            v.fetch_balance(),
        ):
            t = now_ms()
            await call
            marks.append(now_ms() - t)
        return marks

    assert run_virtual(main()) == [50, 50, 50, 50]


def test_without_latency_the_held_book_is_used_at_once() -> None:
    async def main() -> tuple[Any, int]:
        m = Market()
        publish(m, 0, [(100, 1)])
        v = paper(m, 0)
        return await v.create_order(SYM, "limit", "buy", 1.0, 100.0), now_ms()

    order, done = run_virtual(main())
    assert order["filled"] == D(1) and done == 0
