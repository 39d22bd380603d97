"""The Binance simulator on the wire: recorded key sets, depth-diff id chain, determinism, bad input."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlencode

from exchanges.sim.binance.auth import sign
from exchanges.sim.harness import LoopbackExchanges
from tests.integration.sim_common import SYM, apply_levels, assert_levels_equal, recorded, sim_fixture

V = "binance"
sim = sim_fixture(V, symbols=[SYM, "ETH/USDT"], seed=11, update_interval_ms=None)
GTC = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}


async def call(
    http: Any,
    sim: LoopbackExchanges,
    method: str,
    path: str,
    params: dict[str, Any] | None = None,
    key: str | None = "trader",
    signed: bool = True,
    raw: str | None = None,
) -> tuple[int, Any]:
    """A Binance request; signed ones get timestamp + HMAC signature (in the query, or the form body for POST)."""
    query = raw if raw is not None else urlencode(params or {})
    headers = {}
    if key is not None:
        k = sim.keys[V][key]
        headers["X-MBX-APIKEY"] = k.key
        if signed and raw is None:
            query = (query + "&" if query else "") + f"timestamp={sim.venue(V).now_ms()}"
            query += "&signature=" + sign(k.secret, query)
    url = sim.base_urls[V] + path
    if method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        async with http.request(method, url, data=query, headers=headers) as r:
            return r.status, await r.json(content_type=None)
    async with http.request(method, url + ("?" + query if query else ""), headers=headers) as r:
        return r.status, await r.json(content_type=None)


async def test_rest_key_sets_match_recorded_binance_responses(sim: LoopbackExchanges, http: Any) -> None:
    _, info = await call(http, sim, "GET", "/api/v3/exchangeInfo", signed=False, key=None)
    rec = recorded(V, "exchange_info_symbol.json")
    sym = info["symbols"][0]
    assert set(sym) == set(rec) and sym["status"] == "TRADING"
    rec_filters = {f["filterType"]: set(f) for f in rec["filters"]}
    assert all(set(f) == rec_filters[f["filterType"]] for f in sym["filters"])
    assert {f["filterType"] for f in sym["filters"]} >= {"PRICE_FILTER", "LOT_SIZE", "NOTIONAL"}
    _, acct = await call(http, sim, "GET", "/api/v3/account")
    assert set(acct) == set(recorded(V, "account.json"))
    assert set(acct["balances"][0]) == set(recorded(V, "account.json")["balances"][0])
    wire1 = {**GTC, "quantity": "0.001", "price": "20000", "newClientOrderId": "wire1", "newOrderRespType": "FULL"}
    status, placed = await call(http, sim, "POST", "/api/v3/order", wire1)
    assert status == 200 and set(placed) == set(recorded(V, "create_order.json")) - {"icebergQty"}
    assert (placed["status"], placed["clientOrderId"], placed["fills"]) == ("NEW", "wire1", [])
    assert isinstance(placed["orderId"], int) and isinstance(placed["transactTime"], int)
    _, order = await call(http, sim, "GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "wire1"})
    assert set(order) == set(recorded(V, "order.json")) and order["orderId"] == placed["orderId"]
    _, open_orders = await call(http, sim, "GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"})
    assert [set(o) for o in open_orders] == [set(recorded(V, "open_orders.json")[0])]
    px = str(sim.book(V, SYM).asks[0][0])
    await call(http, sim, "POST", "/api/v3/order", {**GTC, "timeInForce": "IOC", "quantity": "0.001", "price": px})
    _, trades = await call(http, sim, "GET", "/api/v3/myTrades", {"symbol": "BTCUSDT"})
    assert set(trades[0]) == set(recorded(V, "my_trades.json")[0]) and trades[0]["commissionAsset"] == "BTC"
    _, depth = await call(http, sim, "GET", "/api/v3/depth?symbol=BTCUSDT&limit=2", key=None)
    assert set(depth) == set(recorded(V, "depth.json")) and len(depth["bids"]) == 2
    assert depth["lastUpdateId"] == sim.book(V, SYM).seq and depth["bids"][0][0].endswith("0" * 6)
    _, ticker = await call(http, sim, "GET", "/api/v3/ticker/24hr?symbol=BTCUSDT", key=None)
    assert set(ticker) == set(recorded(V, "ticker_24hr.json"))
    _, fee = await call(http, sim, "GET", "/sapi/v1/asset/tradeFee", {"symbol": "BTCUSDT"})
    assert [set(f) for f in fee] == [set(recorded(V, "trade_fee.json")[0])]
    _, server_time = await call(http, sim, "GET", "/api/v3/time", key=None)
    assert set(server_time) == {"serverTime"}


async def test_api_restrictions_per_key(sim_factory: Any, http: Any) -> None:
    from exchanges.sim.base import ApiKey

    ip_key = ApiKey("binance-ipkey", "s", "", frozenset({"read"}), ip_whitelist=("127.0.0.1",), label="ip")
    sim = await sim_factory(venues=[V], symbols=[SYM], seed=1, update_interval_ms=None, extra_keys={V: [ip_key]})
    seen = {}
    for name in ("trader", "readonly", "withdraw", "ip"):
        _, body = await call(http, sim, "GET", "/sapi/v1/account/apiRestrictions", key=name)
        seen[name] = (
            body["enableReading"],
            body["enableSpotAndMarginTrading"],
            body["enableWithdrawals"],
            body["ipRestrict"],
        )
    assert seen == {
        "trader": (True, True, False, False),
        "readonly": (True, False, False, False),
        "withdraw": (True, True, True, False),
        "ip": (True, False, False, True),
    }


async def collect_diffs(sim: LoopbackExchanges, http: Any, steps: int) -> tuple[dict[str, Any], list[Any]]:
    """Subscribe to the diff stream, take the REST snapshot, then collect ``steps`` diff events."""
    url = sim.base_urls[V].replace("http", "ws") + "/ws/btcusdt@depth"  # raw stream named in the path
    async with http.ws_connect(url) as ws:
        before = sim.book(V, SYM).seq
        while sim.book(V, SYM).seq == before:
            sim.step()  # a first diff goes out before the snapshot is taken
        first = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
        _, snapshot = await call(http, sim, "GET", "/api/v3/depth?symbol=BTCUSDT&limit=1000", key=None)
        frames = [first]
        for _ in range(steps):
            before = sim.book(V, SYM).seq
            sim.step()
            if sim.book(V, SYM).seq != before:  # one diff per publication of this symbol
                frames.append(json.loads((await asyncio.wait_for(ws.receive(), 5)).data))
    return snapshot, frames


async def test_depth_diffs_chain_onto_the_rest_snapshot(sim: LoopbackExchanges, http: Any) -> None:
    snapshot, frames = await collect_diffs(sim, http, 60)
    last = snapshot["lastUpdateId"]
    assert frames[0]["u"] <= last  # already inside the snapshot: a client drops it
    bids = {p: q for p, q in snapshot["bids"]}
    asks = {p: q for p, q in snapshot["asks"]}
    sent_before = 0
    for frame in frames[1:]:
        assert set(frame) == {"e", "E", "s", "U", "u", "b", "a"} and frame["e"] == "depthUpdate"
        assert frame["U"] == last + 1 and frame["u"] >= frame["U"]  # contiguous ids
        assert frame["E"] >= sent_before  # send time, non-decreasing
        last, sent_before = frame["u"], frame["E"]
        apply_levels(bids, frame["b"])
        apply_levels(asks, frame["a"])
    view = sim.book(V, SYM)
    assert last == view.seq
    assert_levels_equal(bids, asks, view)


async def test_same_seed_same_depth_messages(sim_factory: Any, http: Any) -> None:
    runs = []
    for _ in range(2):
        sim = await sim_factory(venues=[V], symbols=[SYM], seed=99, update_interval_ms=None)
        _, frames = await collect_diffs(sim, http, 40)
        runs.append([(f["U"], f["u"], f["b"], f["a"]) for f in frames])
        await sim.stop()
    assert runs[0] == runs[1]


BAD_ORDERS: list[tuple[Any, ...]] = [
    ({"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "1", "price": "1"}, 400, -1102),  # symbol
    ({"symbol": "NOPEUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"}, 400, -1121),
    ({"symbol": "BTCUSDT", "side": "BUY", "type": "STOP_LOSS", "quantity": "1", "stopPrice": "1"}, 400, -1116),
    ({"symbol": "BTCUSDT", "side": "HOLD", "type": "MARKET", "quantity": "1"}, 400, -1117),
    ({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "1000"}, 400, -1102),  # tif
    ({**GTC, "timeInForce": "DAY", "quantity": "1", "price": "1"}, 400, -1115),
    ({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "abc"}, 400, -1100),
    ({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"}, 400, -1102),
    ({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1", "price": "1"}, 400, -1106),
    ({**GTC, "quantity": "0.01", "price": "20000.005"}, 400, -1013, "PRICE_FILTER"),
    ({**GTC, "side": "SELL", "quantity": "0.000009", "price": "600000"}, 400, -1013, "LOT_SIZE"),  # below minQty
    ({**GTC, "quantity": "0.00002", "price": "60000"}, 400, -1013, "NOTIONAL"),
    ({**GTC, "quantity": "100", "price": "60000"}, 400, -2010, "insufficient balance"),
    ({**GTC, "quantity": "0.001", "price": "20000", "newClientOrderId": "bad id!"}, 400, -1100),
    ({**GTC, "quantity": "0.001", "price": "20000", "recvWindow": "70000"}, 400, -1131),
]


async def test_bad_rest_input_gets_binance_errors(sim: LoopbackExchanges, http: Any) -> None:
    for params, status, code, *msg in BAD_ORDERS:
        got_status, got = await call(http, sim, "POST", "/api/v3/order", params)
        assert (got_status, got["code"]) == (status, code), params
        assert set(got) == {"code", "msg"} and (not msg or msg[0] in got["msg"]), got
    ask = str(sim.book(V, SYM).asks[0][0])
    _, got = await call(
        http,
        sim,
        "POST",
        "/api/v3/order",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT_MAKER", "quantity": "0.001", "price": ask},
    )
    assert (got["code"], got["msg"]) == (-2010, "Order would immediately match and take.")
    cases = [
        ("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "1"}, "trader", 400, -2013),
        ("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "1"}, "trader", 400, -2011),
        ("GET", "/api/v3/order", {"symbol": "BTCUSDT"}, "trader", 400, -1102),
        ("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": "x1"}, "trader", 400, -1100),
        ("GET", "/api/v3/depth", {}, None, 400, -1102),
        ("GET", "/api/v3/depth", {"symbol": "NOPE"}, None, 400, -1121),
    ]
    for method, path, params, key, status, code in cases:
        got_status, got = await call(http, sim, method, path, params, key=key, signed=key is not None)
        assert (got_status, got["code"]) == (status, code), (path, params)
    got_status, got = await call(http, sim, "GET", "/api/v3/account", raw="timestamp=1&signature=x")
    assert (got_status, got["code"]) == (400, -1021)
    got_status, got = await call(http, sim, "GET", "/api/v3/account", raw=f"timestamp={int(time.time() * 1000)}")
    assert (got_status, got["code"]) == (400, -1102)  # no signature
    got_status, got = await call(http, sim, "GET", "/api/v3/account?symbol=A&symbol=B", {}, key=None, signed=False)
    assert (got_status, got["code"]) == (400, -1101)
    got_status, got = await call(http, sim, "GET", "/api/v3/account", {}, key=None, signed=False)
    assert (got_status, got["code"]) == (401, -2014)  # no X-MBX-APIKEY
    async with http.get(sim.base_urls[V] + "/api/v3/nope") as r:
        assert r.status == 404
    async with http.post(
        sim.base_urls[V] + "/api/v3/order", data=b"{not json", headers={"X-MBX-APIKEY": sim.keys[V]["trader"].key}
    ) as r:
        assert r.status == 400 and (await r.json())["code"] == -1102  # no timestamp in a JSON body
    _, alive = await call(http, sim, "GET", "/api/v3/time", key=None)
    assert "serverTime" in alive


async def test_bad_ws_input_gets_binance_errors(sim: LoopbackExchanges, http: Any) -> None:
    base = sim.base_urls[V].replace("http", "ws")
    async with http.ws_connect(base + "/ws/0") as ws:
        for frame, code in [
            ("{oops", 3),
            ("[1, 2]", 2),
            (json.dumps({"method": "DANCE", "id": 1}), 2),
            (json.dumps({"method": "SUBSCRIBE", "params": "btcusdt@depth", "id": 2}), 1),
            (json.dumps({"method": "SUBSCRIBE", "params": [], "id": -1}), 2),
        ]:
            await ws.send_str(frame)
            assert json.loads((await ws.receive()).data)["code"] == code, frame
        await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": ["nopeusdt@depth", "btcusdt@depth"], "id": 3}))
        assert json.loads((await ws.receive()).data) == {"result": None, "id": 3}
        await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 4}))
        assert json.loads((await ws.receive()).data) == {"result": ["btcusdt@depth"], "id": 4}
    k = sim.keys[V]["trader"]

    def signed(params: dict[str, Any], secret: str = k.secret) -> dict[str, Any]:
        payload = "&".join(f"{n}={params[n]}" for n in sorted(params))
        return {**params, "signature": sign(secret, payload)}

    now = sim.venue(V).now_ms()
    async with http.ws_connect(base + "/ws-api/v3") as ws:
        for request, status, code in [
            ("{oops", 400, -1000),
            (json.dumps({"id": "a", "method": "order.dance", "params": {}}), 400, -1020),
            (
                json.dumps(
                    {
                        "id": "b",
                        "method": "userDataStream.subscribe.signature",
                        "params": signed({"apiKey": k.key, "timestamp": now}, "wrong"),
                    }
                ),
                400,
                -1022,
            ),
            (
                json.dumps(
                    {
                        "id": "c",
                        "method": "userDataStream.subscribe.signature",
                        "params": signed({"apiKey": k.key, "timestamp": now - 60_000}),
                    }
                ),
                400,
                -1021,
            ),
            (
                json.dumps(
                    {
                        "id": "d",
                        "method": "userDataStream.subscribe.signature",
                        "params": signed({"apiKey": "nobody", "timestamp": now}),
                    }
                ),
                401,
                -2015,
            ),
        ]:
            await ws.send_str(request)
            reply = json.loads((await ws.receive()).data)
            assert (reply["status"], reply["error"]["code"]) == (status, code), request
        await ws.send_str(
            json.dumps(
                {
                    "id": "e",
                    "method": "userDataStream.subscribe.signature",
                    "params": signed({"apiKey": k.key, "timestamp": now}),
                }
            )
        )
        reply = json.loads((await ws.receive()).data)
        assert (reply["id"], reply["status"], set(reply["result"])) == ("e", 200, {"subscriptionId"})
