"""The Bybit simulator on the wire: recorded key sets, book topic frames, determinism, bad input."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from exchanges.sim.bybit.auth import sign
from exchanges.sim.harness import LoopbackExchanges
from exchanges.sim.market import VenueProfile
from tests.integration.sim_common import SYM, apply_levels, assert_levels_equal, recorded, sim_fixture

V = "bybit"
sim = sim_fixture(V, symbols=[SYM, "ETH/USDT"], seed=11, update_interval_ms=None)
ORDER = {"category": "spot", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.001", "price": "10000"}


async def call(
    http: Any,
    sim: LoopbackExchanges,
    method: str,
    path: str,
    params: dict[str, Any] | None = None,
    key: str | None = "trader",
    body: str | None = None,
) -> tuple[int, Any]:
    """A Bybit v5 request; private ones carry X-BAPI-* headers signed over timestamp+key+recvWindow+payload."""
    query = urlencode(params or {}) if method == "GET" else ""
    payload = query if method == "GET" else (body if body is not None else json.dumps(params or {}))
    headers = {"Content-Type": "application/json"}
    if key is not None:
        k, ts = sim.keys[V][key], str(sim.venue(V).now_ms())
        headers.update(
            {
                "X-BAPI-API-KEY": k.key,
                "X-BAPI-TIMESTAMP": ts,
                "X-BAPI-RECV-WINDOW": "5000",
                "X-BAPI-SIGN": sign(k.secret, ts + k.key + "5000" + payload),
            }
        )
    url = sim.base_urls[V] + path + ("?" + query if query else "")
    async with http.request(method, url, data=payload if method == "POST" else None, headers=headers) as r:
        return r.status, await r.json(content_type=None)


def keys_of(item: dict[str, Any]) -> set[str]:
    return set(item) - {"nextPageCursor"}


async def test_rest_key_sets_match_recorded_bybit_responses(sim: LoopbackExchanges, http: Any) -> None:
    _, inst = await call(http, sim, "GET", "/v5/market/instruments-info", {"category": "spot"}, key=None)
    rec = recorded(V, "instrument.json")
    item = inst["result"]["list"][0]
    assert set(item) == set(rec) and item["status"] == "Trading"
    assert (set(item["lotSizeFilter"]), set(item["priceFilter"])) == (
        set(rec["lotSizeFilter"]),
        set(rec["priceFilter"]),
    )
    assert set(inst) == {"retCode", "retMsg", "result", "retExtInfo", "time"} and inst["retCode"] == 0
    _, wallet = await call(http, sim, "GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"})
    rec_w = recorded(V, "wallet_balance.json")["result"]["list"][0]
    assert set(wallet["result"]["list"][0]) == set(rec_w)
    assert set(wallet["result"]["list"][0]["coin"][0]) == set(rec_w["coin"][0])
    status, placed = await call(http, sim, "POST", "/v5/order/create", {**ORDER, "orderLinkId": "wire1"})
    assert status == 200 and set(placed["result"]) == set(recorded(V, "create_order.json")["result"])
    _, rt = await call(http, sim, "GET", "/v5/order/realtime", {"category": "spot", "orderLinkId": "wire1"})
    spot_keys = keys_of(recorded(V, "order_spot.json")["result"]["list"][0])
    recent_keys = keys_of(recorded(V, "order_recent.json")["result"]["list"][0])
    order = rt["result"]["list"][0]
    assert set(order) >= spot_keys and set(order) - spot_keys <= recent_keys - {"tpslMode"}
    assert (order["orderStatus"], order["orderLinkId"], rt["result"]["category"]) == ("New", "wire1", "spot")
    px = str(sim.book(V, SYM).asks[0][0])
    await call(http, sim, "POST", "/v5/order/create", {**ORDER, "price": px, "timeInForce": "IOC"})
    _, execs = await call(http, sim, "GET", "/v5/execution/list", {"category": "spot", "symbol": "BTCUSDT"})
    rec_e = keys_of(recorded(V, "execution.json")["result"]["list"][0])
    assert set(execs["result"]["list"][0]) >= rec_e and set(execs["result"]["list"][0]) - rec_e == {"createType"}
    _, book = await call(
        http, sim, "GET", "/v5/market/orderbook", {"category": "spot", "symbol": "BTCUSDT", "limit": 2}, key=None
    )
    assert set(book["result"]) - set(recorded(V, "orderbook.json")["result"]) == {"seq"}  # seq: as in swap books
    assert len(book["result"]["b"]) == 2 and book["result"]["seq"] == sim.book(V, SYM).seq
    for path, params, name in (
        ("/v5/market/time", {}, "time.json"),
        ("/v5/user/query-api", {}, "query_api.json"),
        ("/v5/account/info", {}, "account_info.json"),
    ):
        _, got = await call(http, sim, "GET", path, params, key=None if path.endswith("time") else "trader")
        assert set(got["result"]) == set(recorded(V, name)["result"]), path
    _, fee = await call(http, sim, "GET", "/v5/account/fee-rate", {"category": "spot", "symbol": "BTCUSDT"})
    assert set(fee["result"]["list"][0]) == set(recorded(V, "fee_rate.json"))


async def collect_book(sim: LoopbackExchanges, http: Any, topic: str, steps: int) -> list[dict[str, Any]]:
    url = sim.base_urls[V].replace("http", "ws") + "/v5/public/spot"
    frames = []
    async with http.ws_connect(url) as ws:
        await ws.send_str(json.dumps({"op": "subscribe", "req_id": "s1", "args": [topic]}))
        ack = json.loads((await ws.receive()).data)
        assert ack == {
            "success": True,
            "ret_msg": "subscribe",
            "conn_id": ack["conn_id"],
            "req_id": "s1",
            "op": "subscribe",
        }
        frames.append(json.loads((await ws.receive()).data))
        for _ in range(steps):
            sim.step()
        await ws.send_str(json.dumps({"op": "ping", "req_id": "end"}))  # replies come in order: a sentinel
        while (frame := json.loads((await asyncio.wait_for(ws.receive(), 5)).data)).get("req_id") != "end":
            frames.append(frame)
    return frames


def replay(frames: list[dict[str, Any]]) -> tuple[dict[str, str], dict[str, str]]:
    bids: dict[str, str] = {}
    asks: dict[str, str] = {}
    for frame in frames:
        if frame["type"] == "snapshot":
            bids.clear()
            asks.clear()
        apply_levels(bids, frame["data"]["b"])
        apply_levels(asks, frame["data"]["a"])
    return bids, asks


async def test_book_topic_snapshot_then_deltas(sim: LoopbackExchanges, http: Any) -> None:
    frames = await collect_book(sim, http, "orderbook.50.BTCUSDT", 40)
    assert frames[0]["type"] == "snapshot" and all(f["type"] == "delta" for f in frames[1:])
    assert set(frames[1]) == {"topic", "type", "ts", "data", "cts"}
    assert set(frames[1]["data"]) == {"s", "b", "a", "u", "seq"}
    us = [f["data"]["u"] for f in frames]
    assert us == list(range(us[0], us[0] + len(us)))  # u: +1 per message
    ts = [f["ts"] for f in frames]
    assert ts == sorted(set(ts))  # strictly increasing send times
    view = sim.book(V, SYM)
    assert frames[-1]["data"]["seq"] == view.seq and frames[-1]["cts"] == view.ts_ms
    assert_levels_equal(*replay(frames), view)


async def test_depth_limited_views(sim_factory: Any, http: Any) -> None:
    """A 60-level book seen through orderbook.50 (levels enter and leave the view) and orderbook.1."""
    sim = await sim_factory(
        venues=[V], symbols=[SYM], seed=4, update_interval_ms=None, profiles={V: VenueProfile(levels=60)}
    )
    frames = await collect_book(sim, http, "orderbook.50.BTCUSDT", 40)
    assert len(sim.book(V, SYM).bids) > 50
    assert_levels_equal(*replay(frames), sim.book(V, SYM, depth=50))
    top = await collect_book(sim, http, "orderbook.1.BTCUSDT", 20)
    assert all(f["type"] == "snapshot" and len(f["data"]["b"]) == 1 for f in top)
    best = sim.book(V, SYM, depth=1)
    assert (Decimal(top[-1]["data"]["b"][0][0]), Decimal(top[-1]["data"]["a"][0][0])) == (
        best.bids[0][0],
        best.asks[0][0],
    )


async def test_gap_makes_the_next_frame_a_snapshot(sim: LoopbackExchanges, http: Any) -> None:
    url = sim.base_urls[V].replace("http", "ws") + "/v5/public/spot"
    async with http.ws_connect(url) as ws:
        await ws.send_str(json.dumps({"op": "subscribe", "args": ["orderbook.50.BTCUSDT"]}))
        await ws.receive()
        assert json.loads((await ws.receive()).data)["type"] == "snapshot"
        sim.venue(V).faults.gap_rate = 1.0
        sim.step()
        sim.venue(V).faults.gap_rate = 0.0
        sim.step()
        frame = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
        assert frame["type"] == "snapshot"
        sim.step()
        assert json.loads((await asyncio.wait_for(ws.receive(), 5)).data)["type"] == "delta"


async def test_same_seed_same_book_messages(sim_factory: Any, http: Any) -> None:
    runs = []
    for _ in range(2):
        sim = await sim_factory(venues=[V], symbols=[SYM], seed=99, update_interval_ms=None)
        frames = await collect_book(sim, http, "orderbook.50.BTCUSDT", 30)
        runs.append([(f["data"]["u"], f["data"]["seq"], f["data"]["b"], f["data"]["a"]) for f in frames])
        await sim.stop()
    assert runs[0] == runs[1]


BAD_ORDERS: list[tuple[dict[str, Any], int]] = [
    ({**ORDER, "category": "futures"}, 10001),
    ({**ORDER, "category": "linear"}, 10001),
    ({**ORDER, "symbol": "NOPEUSDT"}, 170121),
    ({**ORDER, "side": "Hold"}, 10001),
    ({**ORDER, "orderType": "Stop"}, 10001),  # an unsupported order type
    ({**ORDER, "qty": "abc"}, 170130),
    ({**ORDER, "qty": "0.000009", "price": "1000000"}, 170136),  # below minOrderQty
    ({**ORDER, "qty": "0.0010000001"}, 170137),  # finer than basePrecision
    ({**ORDER, "price": "10000.05"}, 170134),  # finer than tickSize
    ({**ORDER, "qty": "0.0001"}, 170140),  # 1 USDT < minOrderAmt
    ({**ORDER, "qty": "50", "price": "60000"}, 170131),  # insufficient balance
    ({**ORDER, "orderLinkId": "bad id!"}, 10001),
    ({**ORDER, "triggerPrice": "9000"}, 170130),
    ({k: v for k, v in ORDER.items() if k != "qty"}, 10001),
]


async def test_bad_rest_input_gets_bybit_errors(sim: LoopbackExchanges, http: Any) -> None:
    for params, code in BAD_ORDERS:
        status, got = await call(http, sim, "POST", "/v5/order/create", params)
        assert (status, got["retCode"]) == (200, code), (params, got)
        assert set(got) == {"retCode", "retMsg", "result", "retExtInfo", "time"} and got["result"] == {}
    for body in ("{not json", "[1, 2]", ""):
        _, got = await call(http, sim, "POST", "/v5/order/create", body=body)
        assert got["retCode"] == 10001, body
    cases = [
        ("POST", "/v5/order/cancel", {"category": "spot", "symbol": "BTCUSDT", "orderId": "1"}, 170213),
        ("POST", "/v5/order/cancel", {"category": "spot", "symbol": "BTCUSDT"}, 10001),
        ("GET", "/v5/account/wallet-balance", {}, 10001),
        ("GET", "/v5/account/wallet-balance", {"accountType": "SPOT"}, 10001),
        ("GET", "/v5/order/realtime", {}, 10001),
        ("GET", "/v5/market/orderbook", {"category": "spot"}, 10001),
        ("GET", "/v5/market/orderbook", {"category": "spot", "symbol": "NOPE"}, 10001),
        ("GET", "/v5/market/orderbook", {"category": "spot", "symbol": "BTCUSDT", "limit": 500}, 10001),
        ("GET", "/v5/market/tickers", {"category": "bond"}, 10001),
    ]
    for method, path, params, code in cases:
        _, got = await call(http, sim, method, path, params)
        assert got["retCode"] == code, (path, params, got)
    _, realtime = await call(http, sim, "GET", "/v5/order/realtime", {"category": "spot", "orderId": "1"})
    assert realtime["result"]["list"] == []  # an unknown id is an empty list, not an error
    async with http.get(sim.base_urls[V] + "/v5/nope") as r:
        assert r.status == 404
    _, alive = await call(http, sim, "GET", "/v5/market/time", key=None)
    assert alive["retCode"] == 0


async def test_bad_ws_input_gets_bybit_errors(sim: LoopbackExchanges, http: Any) -> None:
    base = sim.base_urls[V].replace("http", "ws")
    async with http.ws_connect(base + "/v5/public/spot") as ws:
        for frame, msg in [
            ("{oops", "error:request not json"),
            (json.dumps({"op": "dance", "req_id": "1"}), "error:unknown op: dance"),
            (
                json.dumps({"op": "subscribe", "req_id": "2", "args": ["orderbook.40.BTCUSDT"]}),
                "error:handler not found,topic:orderbook.40.BTCUSDT",
            ),
            (
                json.dumps({"op": "subscribe", "req_id": "3", "args": ["orderbook.50.NOPEUSDT"]}),
                "error:handler not found,topic:orderbook.50.NOPEUSDT",
            ),
            (json.dumps({"op": "subscribe", "args": [f"orderbook.1.X{i}" for i in range(11)]}), "args size >10"),
            (json.dumps({"op": "subscribe", "args": "orderbook.50.BTCUSDT"}), "error:args invalid"),
        ]:
            await ws.send_str(frame)
            reply = json.loads((await ws.receive()).data)
            assert (reply["success"], reply["ret_msg"]) == (False, msg), frame
        await ws.send_str(json.dumps({"op": "ping", "req_id": "p1"}))
        pong = json.loads((await ws.receive()).data)
        assert (pong["success"], pong["ret_msg"], pong["op"], pong["req_id"]) == (True, "pong", "ping", "p1")
    k = sim.keys[V]["trader"]
    async with http.ws_connect(base + "/v5/private") as ws:
        await ws.send_str(json.dumps({"op": "subscribe", "args": ["order"]}))
        assert json.loads((await ws.receive()).data)["ret_msg"] == "Request not authorized"
        expires = str(sim.venue(V).now_ms() + 10_000)
        for args, msg in [
            ([k.key, expires, "x" * 64], "error:signature verification failed"),
            (["nobody", expires, "x"], "error:apiKey not found"),
            ([k.key, "1", sign(k.secret, "GET/realtime1")], "error:request expired"),
            ([k.key], "Params Error"),
        ]:
            await ws.send_str(json.dumps({"op": "auth", "args": args}))
            reply = json.loads((await ws.receive()).data)
            assert (reply["success"], reply["ret_msg"], reply["op"]) == (False, msg, "auth"), args
        good = [k.key, expires, sign(k.secret, "GET/realtime" + expires)]
        await ws.send_str(json.dumps({"op": "auth", "args": good}))
        assert json.loads((await ws.receive()).data)["success"] is True
        await ws.send_str(json.dumps({"op": "subscribe", "req_id": "o", "args": ["order", "execution"]}))
        assert json.loads((await ws.receive()).data)["success"] is True
        await ws.send_str(json.dumps({"op": "ping", "req_id": 7}))
        pong = json.loads((await ws.receive()).data)
        assert (pong["op"], pong["req_id"], len(pong["args"])) == ("pong", 7, 1)
