"""Order I/O helpers: idempotent retries (network errors only), the order router's routing and waits."""

from __future__ import annotations

import asyncio
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from arb.trade.orders import OrderRouter, client_id_of, idempotent


async def test_idempotent_retries_network_errors_only() -> None:
    calls: list[int] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ccxtpro.RequestTimeout("slow")
        return "ok"

    assert await idempotent(flaky, timeout_s=1, base_s=0.001) == "ok" and len(calls) == 3

    async def refused() -> None:
        calls.append(1)
        raise ccxtpro.OrderNotFound("no such order")

    calls.clear()
    with pytest.raises(ccxtpro.OrderNotFound):
        await idempotent(refused, timeout_s=1, base_s=0.001)
    assert len(calls) == 1  # a venue's answer is final: not retried

    async def hangs() -> None:
        await asyncio.Event().wait()

    with pytest.raises(TimeoutError):
        await idempotent(hangs, timeout_s=0.01, attempts=2, base_s=0.001)


def test_client_id_from_unified_or_venue_fields() -> None:
    assert client_id_of({"clientOrderId": "a"}) == "a"
    assert client_id_of({"info": {"clOrdId": "b"}}) == "b"
    assert client_id_of({"info": {"orderLinkId": "c"}}) == "c"
    assert client_id_of({"id": "1"}) is None


async def test_router_routes_final_updates_and_counts_the_rest() -> None:
    seen: list[tuple[str, Any]] = []
    r = OrderRouter(on_unknown=lambda v, o: seen.append((v, o.get("clientOrderId"))))
    r.expect("okx", "arb1")
    waiter = asyncio.ensure_future(r.wait("okx", "arb1", 5))
    r.on_order("okx", {"clientOrderId": "arb1", "status": "open", "filled": 0})
    await asyncio.sleep(0)
    assert not waiter.done()  # not final yet
    r.on_order("okx", {"clientOrderId": "arb1", "status": "closed", "filled": 1})
    assert (await waiter)["status"] == "closed"
    r.on_order("okx", {"clientOrderId": "someone-else", "status": "closed"})
    r.on_order("okx", ["not", "an", "order"])
    assert (r.unknown, r.malformed) == (1, 1) and seen == [("okx", "someone-else")]
    r.forget("okx", "arb1")
    r.on_order("okx", {"clientOrderId": "arb1", "status": "closed"})  # a late echo of a settled leg
    assert r.unknown == 1
    assert await r.wait("okx", "never", 0.01) is None  # no update at all: the caller falls back to REST


async def test_router_watch_survives_errors_and_stops() -> None:
    r = OrderRouter()
    r.expect("v", "x")
    stop = asyncio.Event()

    class Client:
        n = 0

        async def watch_orders(self) -> list[dict[str, Any]]:
            self.n += 1
            if self.n == 1:
                raise ccxtpro.NetworkError("dropped")
            if self.n == 2:
                return [{"clientOrderId": "x", "status": "closed"}]
            stop.set()
            await asyncio.sleep(3600)
            return []

    task = asyncio.ensure_future(r.watch("v", Client(), stop))
    assert (await r.wait("v", "x", 5))["status"] == "closed"
    await asyncio.wait_for(stop.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
