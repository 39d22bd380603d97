"""Each venue enforces its own request expiry when an order reaches the matching engine (after any delay).

Binance: signed ``timestamp`` + ``recvWindow`` (-1021); OKX: the ``expTime`` header (50102 per order);
Bybit: ``X-BAPI-TIMESTAMP`` + ``X-BAPI-RECV-WINDOW`` (10002). An order held past its window is refused
with that code, never executes and is logged as rejected; one held inside its window lands and fills
even though the client has given up, and is then found by its client id.
"""

from __future__ import annotations

from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.harness import LoopbackExchanges
from tests.integration.sim_common import SYM
from tests.kit.orders import client, find_by_client_id, marketable_buy
from tests.kit.poll import eventually

EXPIRED_CODE = {"okx": "50102", "binance": "-1021", "bybit": "10002"}
pytestmark = pytest.mark.parametrize("venue", ["okx", "binance", "bybit"])


@pytest.fixture
async def sim(sim_factory: Any, venue: str) -> LoopbackExchanges:
    return await sim_factory(venues=[venue], symbols=[SYM], seed=5)  # type: ignore[no-any-return]


async def test_order_held_past_its_window_is_refused_at_landing(sim: LoopbackExchanges, venue: str) -> None:
    ex = client(sim, venue, window_ms=1000)
    try:
        await ex.load_markets()
        faults = sim.venue(venue).faults
        faults.order_delay_ms, faults.order_delay_next = 1500, 1
        with pytest.raises(ccxtpro.InvalidNonce, match=EXPIRED_CODE[venue]):  # ccxt: a NetworkError
            await marketable_buy(ex, sim, venue, SYM, "late1")
        [entry] = [e for e in sim.attempts(venue) if e["client_id"] == "late1"]
        assert (entry["status"], entry["reject_reason"], entry["order_id"]) == ("rejected", EXPIRED_CODE[venue], None)
        assert entry["landed_ms"] - entry["arrival_ms"] >= 1500
        assert not [f for f in sim.fills(venue) if f["client_id"] == "late1"]
        with pytest.raises(ccxtpro.OrderNotFound):
            await find_by_client_id(ex, venue, SYM, "late1")
        assert sim.account_balances(venue) == sim.initial_balances[venue]
    finally:
        await ex.close()


async def test_order_held_inside_its_window_lands_after_the_client_gave_up(sim: LoopbackExchanges, venue: str) -> None:
    ex = client(sim, venue, window_ms=10_000, timeout_ms=400)
    try:
        await ex.load_markets()
        faults = sim.venue(venue).faults
        faults.order_delay_ms, faults.order_delay_next = 1500, 1
        with pytest.raises(ccxtpro.RequestTimeout):
            await marketable_buy(ex, sim, venue, SYM, "slow1")
        with pytest.raises(ccxtpro.OrderNotFound):  # still on its way: unknown, not "never sent"
            await find_by_client_id(ex, venue, SYM, "slow1")

        async def landed() -> Any:
            try:
                return await find_by_client_id(ex, venue, SYM, "slow1")
            except ccxtpro.OrderNotFound:
                return None

        order = await eventually(landed, timeout_s=5)
        assert order["clientOrderId"] == "slow1" and order["filled"] > 0
        [entry] = [e for e in sim.attempts(venue) if e["client_id"] == "slow1"]
        assert entry["status"] == "filled" and entry["landed_ms"] - entry["arrival_ms"] >= 1500
        [fill] = [f for f in sim.fills(venue) if f["client_id"] == "slow1"]
        assert fill["order_id"] == order["id"] and float(fill["amount"]) == order["filled"]
    finally:
        await ex.close()
