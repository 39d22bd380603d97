"""Each venue's WebSocket trading API on the simulators, driven by stock ccxt.pro clients (``create_order_ws``,
``cancel_order_ws``, ``fetch_order_ws``): OKX ``order``/``batch-orders``/``cancel-order`` on the private
socket after ``login``, Binance's WS API ``order.place``/``order.cancel``/``order.status`` (signed per
request), Bybit's ``/v5/trade`` ``order.create``/``order.cancel`` after ``auth``.

Orders over WebSocket take the REST road: same matching engine, filters and codes, client-id store, order
log, rate limits and placement faults; errors come back in each venue's WS shape, mapped by ccxt.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from exchanges.sim.harness import LoopbackExchanges
from tests.integration.sim_common import SYM
from tests.kit.orders import client, find_by_client_id

VENUES = ["okx", "binance", "bybit"]
# (what ccxt raises, the venue code) for: an order over the venue's size limit, a rate-limited order
TOO_BIG = {
    "okx": (ccxtpro.InvalidOrder, "51203"),
    "binance": (ccxtpro.BadRequest, "-1013"),
    "bybit": (ccxtpro.InvalidOrder, "170135"),
}
RATE_LIMITED = {
    "okx": (ccxtpro.RateLimitExceeded, "50011"),
    "binance": (ccxtpro.RateLimitExceeded, "-1003"),
    "bybit": (ccxtpro.RateLimitExceeded, "10006"),
}
STALE = {"binance": "-1021", "bybit": "10002"}


@pytest.fixture
async def sim(sim_factory: Any, venue: str) -> LoopbackExchanges:
    return await sim_factory(venues=[venue], symbols=[SYM], seed=11)  # type: ignore[no-any-return]


def ws_client(sim: LoopbackExchanges, venue: str, **kw: Any) -> Any:
    ex = client(sim, venue, **kw)
    ex.enableRateLimit = False  # WS requests go out at once (ccxt's WS throttle would space them)
    return ex


async def ioc_buy(ex: Any, sim: LoopbackExchanges, venue: str, cid: str, amount: float = 0.001) -> Any:
    await ex.load_markets()
    ask = sim.book(venue, SYM).asks[0][0]
    price = float(ex.price_to_precision(SYM, float(ask * Decimal("1.005"))))
    params = {"timeInForce": "IOC", "clientOrderId": cid}
    return await ex.create_order_ws(SYM, "limit", "buy", float(ex.amount_to_precision(SYM, amount)), price, params)


def entries(sim: LoopbackExchanges, venue: str, cid: str) -> list[dict[str, Any]]:
    return [e for e in sim.attempts(venue) if e["client_id"] == cid]


@pytest.mark.parametrize("venue", VENUES)
async def test_ws_order_fills_and_is_the_same_order_rest_sees(sim: LoopbackExchanges, venue: str) -> None:
    ex = ws_client(sim, venue)
    try:
        placed = await ioc_buy(ex, sim, venue, "wsfill1")
        [entry] = entries(sim, venue, "wsfill1")
        assert entry["status"] == "filled" and entry["order_id"] == placed["id"]
        found = await find_by_client_id(ex, venue, SYM, "wsfill1")
        assert found["id"] == placed["id"] and found["filled"] > 0
    finally:
        await ex.close()


@pytest.mark.parametrize("venue", VENUES)
async def test_ws_order_over_the_size_limit_is_refused_with_the_venue_code(sim: LoopbackExchanges, venue: str) -> None:
    ex = ws_client(sim, venue)
    try:
        error, code = TOO_BIG[venue]
        with pytest.raises(error, match=code):
            await ioc_buy(ex, sim, venue, "wsbig1", amount=100_000)
        [entry] = entries(sim, venue, "wsbig1")
        assert entry["status"] == "rejected"
        await ioc_buy(ex, sim, venue, "wsok1")  # the socket stays usable
    finally:
        await ex.close()


@pytest.mark.parametrize("venue", VENUES)
async def test_rate_limited_ws_order_is_refused_and_logged(sim: LoopbackExchanges, venue: str) -> None:
    ex = ws_client(sim, venue)
    try:
        await ex.load_markets()
        sim.venue(venue).faults.rate_limit_burst = 1
        error, code = RATE_LIMITED[venue]
        with pytest.raises(error, match=code):
            await ioc_buy(ex, sim, venue, "wsrl1")
        [entry] = entries(sim, venue, "wsrl1")
        assert entry["status"] == "rejected" and entry["reject_reason"] == code
    finally:
        await ex.close()


@pytest.mark.parametrize("venue", VENUES)
async def test_dropped_ws_answer_leaves_one_filled_order_found_by_client_id(sim: LoopbackExchanges, venue: str) -> None:
    ex = ws_client(sim, venue)
    try:
        await ex.load_markets()
        sim.venue(venue).faults.order_drop_next = 1
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await ioc_buy(ex, sim, venue, "wsdrop1")
        found = await find_by_client_id(ex, venue, SYM, "wsdrop1")
        assert found["filled"] > 0
        [entry] = entries(sim, venue, "wsdrop1")
        assert entry["status"] == "filled"
    finally:
        await ex.close()


@pytest.mark.parametrize("venue", ["binance", "bybit"])
async def test_ws_order_landing_after_its_receive_window_is_refused(sim: LoopbackExchanges, venue: str) -> None:
    ex = ws_client(sim, venue, window_ms=100)
    try:
        await ex.load_markets()
        faults = sim.venue(venue).faults
        faults.order_delay_ms, faults.order_delay_next = 300, 1
        with pytest.raises(ccxtpro.InvalidNonce, match=STALE[venue]):
            await ioc_buy(ex, sim, venue, "wsexp1")
        [entry] = entries(sim, venue, "wsexp1")
        assert entry["status"] == "rejected" and entry["reject_reason"] == STALE[venue]
    finally:
        await ex.close()


@pytest.mark.parametrize("venue", VENUES)
async def test_ws_cancel_of_a_resting_order(sim: LoopbackExchanges, venue: str) -> None:
    ex = ws_client(sim, venue)
    try:
        await ex.load_markets()
        bid = sim.book(venue, SYM).bids[0][0]
        low = float(ex.price_to_precision(SYM, float(bid * Decimal("0.995"))))
        rest = await ex.create_order_ws(SYM, "limit", "buy", 0.001, low, {"clientOrderId": "wsrest1"})
        await ex.cancel_order_ws(rest["id"], SYM)
        [entry] = entries(sim, venue, "wsrest1")
        assert entry["status"] == "canceled"
    finally:
        await ex.close()


@pytest.mark.parametrize("venue", VENUES)
async def test_bad_credentials_are_refused_on_the_ws_trading_socket(sim: LoopbackExchanges, venue: str) -> None:
    ex = ws_client(sim, venue)
    ex.secret = "not-the-secret"
    try:
        await ex.load_markets()
        with pytest.raises(ccxtpro.AuthenticationError):
            async with asyncio.timeout(5):
                await ioc_buy(ex, sim, venue, "wsauth1")
        assert not [e for e in entries(sim, venue, "wsauth1") if e["status"] != "rejected"]
    finally:
        await ex.close()


async def test_binance_fetch_order_ws_reports_the_fill(sim_factory: Any) -> None:
    sim = await sim_factory(venues=["binance"], symbols=[SYM], seed=11)
    ex = ws_client(sim, "binance")
    try:
        await ioc_buy(ex, sim, "binance", "wsstat1")
        status = await ex.fetch_order_ws(None, SYM, {"clientOrderId": "wsstat1"})
        assert status["clientOrderId"] == "wsstat1" and status["filled"] > 0
    finally:
        await ex.close()


async def test_okx_ws_order_after_its_exptime_is_refused_with_50102(sim_factory: Any, http: Any) -> None:
    """OKX's ``expTime`` rides at the top of the op (ccxt's create_order_ws has no parameter for it): raw socket."""
    import base64
    import hashlib
    import hmac
    import time

    sim = await sim_factory(venues=["okx"], symbols=[SYM], seed=11)
    key = sim.keys["okx"]["trader"]
    sim.venue("okx").faults.order_delay_ms, sim.venue("okx").faults.order_delay_next = 300, 1
    ws_url = sim.base_urls["okx"].replace("http://", "ws://") + "/ws/v5/private"
    async with http.ws_connect(ws_url) as ws:
        ts = str(int(time.time()))
        sign = base64.b64encode(
            hmac.new(key.secret.encode(), f"{ts}GET/users/self/verify".encode(), hashlib.sha256).digest()
        )
        login = {"apiKey": key.key, "passphrase": key.passphrase, "timestamp": ts, "sign": sign.decode()}
        await ws.send_str(json.dumps({"op": "login", "args": [login]}))
        assert json.loads((await ws.receive()).data)["code"] == "0"
        ask = sim.book("okx", SYM).asks[0][0]
        order = {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "ioc", "sz": "0.001",
                 "px": str(ask), "clOrdId": "wsexp2"}  # fmt: skip
        exp = sim.venue("okx").now_ms() + 100
        await ws.send_str(json.dumps({"id": "7", "op": "order", "expTime": str(exp), "args": [order]}))
        reply = json.loads((await ws.receive()).data)
    assert (reply["id"], reply["code"], reply["data"][0]["sCode"]) == ("7", "1", "50102")
    [entry] = entries(sim, "okx", "wsexp2")
    assert entry["status"] == "rejected" and entry["reject_reason"] == "50102"
