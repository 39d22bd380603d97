"""The OKX simulator on the wire: real field names, book frames and checksums, determinism, bad input."""

from __future__ import annotations

import asyncio
import json
import zlib
from datetime import UTC, datetime
from typing import Any

from exchanges.sim.harness import LoopbackExchanges
from exchanges.sim.okx.auth import sign
from tests.integration.sim_common import SYM, apply_levels, assert_levels_equal, recorded, sim_fixture

V = "okx"
sim = sim_fixture(V, symbols=[SYM, "ETH/USDT"], seed=11, update_interval_ms=None)


async def okx_call(
    http: Any, sim: LoopbackExchanges, method: str, path: str, body: str = "", key: str = "trader"
) -> tuple[int, dict[str, Any]]:
    """A signed OKX request with a raw body (so malformed JSON can be sent)."""
    k = sim.keys[V][key]
    ts = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    headers = {
        "OK-ACCESS-KEY": k.key,
        "OK-ACCESS-PASSPHRASE": k.passphrase,
        "OK-ACCESS-TIMESTAMP": ts,
        "OK-ACCESS-SIGN": sign(k.secret, ts + method + path + body),
        "Content-Type": "application/json",
    }
    async with http.request(method, sim.base_urls[V] + path, data=body or None, headers=headers) as r:
        return r.status, await r.json(content_type=None)


async def test_rest_key_sets_match_recorded_okx_responses(sim: LoopbackExchanges, http: Any) -> None:
    _, inst = await okx_call(http, sim, "GET", "/api/v5/public/instruments?instType=SPOT")
    # instIdCode: OKX added it after this recording (ccxt 4.5 reads it; its WS trading ops send it)
    assert set(inst["data"][0]) - {"instIdCode"} == set(recorded(V, "instruments.json")["data"][0])
    assert inst["data"][0]["state"] == "live"
    _, bal = await okx_call(http, sim, "GET", "/api/v5/account/balance")
    rec = recorded(V, "balance.json")["data"][0]
    assert set(bal["data"][0]) == set(rec)
    assert set(bal["data"][0]["details"][0]) == set(rec["details"][0])
    status, placed = await okx_call(
        http,
        sim,
        "POST",
        "/api/v5/trade/batch-orders",
        json.dumps(
            [
                {
                    "instId": "BTC-USDT",
                    "tdMode": "cash",
                    "side": "buy",
                    "ordType": "limit",
                    "px": "1000",
                    "sz": "0.001",
                    "clOrdId": "wire1",
                }
            ]
        ),
    )
    assert status == 200 and set(placed) == set(recorded(V, "create_order.json"))
    assert set(placed["data"][0]) == set(recorded(V, "create_order.json")["data"][0])
    _, order = await okx_call(http, sim, "GET", "/api/v5/trade/order?instId=BTC-USDT&clOrdId=wire1")
    assert set(order["data"][0]) == set(recorded(V, "order.json")["data"][0])
    assert order["data"][0]["state"] == "live" and order["data"][0]["ordType"] == "limit"
    px = str(sim.book(V, SYM).asks[0][0])
    ioc = {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "ioc", "px": px, "sz": "0.0001"}
    await okx_call(http, sim, "POST", "/api/v5/trade/order", json.dumps(ioc))
    _, fills = await okx_call(http, sim, "GET", "/api/v5/trade/fills?instId=BTC-USDT")
    assert set(fills["data"][0]) == set(recorded(V, "fills.json")["data"][0])
    assert fills["data"][0]["feeCcy"] == "BTC"
    for path, name in (
        ("/api/v5/account/config", "account_config.json"),
        ("/api/v5/public/time", "time.json"),
        ("/api/v5/account/trade-fee?instType=SPOT&instId=BTC-USDT", "trade_fee.json"),
    ):
        _, body = await okx_call(http, sim, "GET", path)
        assert set(body["data"][0]) == set(recorded(V, name)["data"][0]), path


def okx_checksum(bids: dict[str, str], asks: dict[str, str]) -> int:
    """Independent rendering of OKX's documented rule, over the levels as strings."""
    b = sorted(bids.items(), key=lambda kv: -float(kv[0]))[:25]
    a = sorted(asks.items(), key=lambda kv: float(kv[0]))[:25]
    parts = []
    for i in range(max(len(b), len(a))):
        if i < len(b):
            parts += list(b[i])
        if i < len(a):
            parts += list(a[i])
    value = zlib.crc32(":".join(parts).encode())
    return value - 2**32 if value > 2**31 - 1 else value


async def collect_books(sim: LoopbackExchanges, http: Any, steps: int) -> list[dict[str, Any]]:
    frames = []
    url = sim.base_urls[V].replace("http", "ws") + "/ws/v5/public"
    async with http.ws_connect(url) as ws:
        await ws.send_str(json.dumps({"op": "subscribe", "args": [{"channel": "books", "instId": "BTC-USDT"}]}))
        assert json.loads((await ws.receive()).data)["event"] == "subscribe"
        frames.append(json.loads((await ws.receive()).data))
        for _ in range(steps):
            if sim.step():
                frames.append(json.loads((await asyncio.wait_for(ws.receive(), 5)).data))
    return frames


async def test_books_seq_chain_and_crc32_checksum(sim: LoopbackExchanges, http: Any) -> None:
    frames = await collect_books(sim, http, 60)
    assert frames[0]["action"] == "snapshot" and frames[0]["data"][0]["prevSeqId"] == -1
    bids: dict[str, str] = {}
    asks: dict[str, str] = {}
    last_seq = None
    for frame in frames:
        d = frame["data"][0]
        if last_seq is not None:
            assert frame["action"] == "update" and d["prevSeqId"] == last_seq
        last_seq = d["seqId"]
        apply_levels(bids, d["bids"])
        apply_levels(asks, d["asks"])
        assert d["checksum"] == okx_checksum(bids, asks)
    assert_levels_equal(bids, asks, sim.book(V, SYM))  # the client-side replay ends on the simulator's book


async def test_same_seed_same_book_messages(sim_factory: Any, http: Any) -> None:
    runs = []
    for _ in range(2):
        sim = await sim_factory(venues=[V], symbols=[SYM], seed=99, update_interval_ms=None)
        frames = await collect_books(sim, http, 40)
        runs.append([(f["data"][0]["seqId"], f["data"][0]["bids"], f["data"][0]["asks"]) for f in frames])
        await sim.stop()
    assert runs[0] == runs[1]


async def test_bad_rest_input_gets_okx_errors(sim: LoopbackExchanges, http: Any) -> None:
    cases = [
        ("POST", "/api/v5/trade/order", "{not json", 400, "50002"),
        ("POST", "/api/v5/trade/order", "", 400, "50000"),
        ("GET", "/api/v5/public/instruments", "", 400, "50014"),
        ("GET", "/api/v5/market/ticker?instId=NOPE-USDT", "", 200, "51001"),
        ("GET", "/api/v5/trade/order?instId=BTC-USDT", "", 200, "51003"),
        ("GET", "/api/v5/trade/order?instId=BTC-USDT&ordId=1", "", 200, "51603"),
        ("POST", "/api/v5/trade/batch-orders", json.dumps([{}] * 21), 400, "51111"),
    ]
    for method, path, body, status, code in cases:
        got_status, got = await okx_call(http, sim, method, path, body)
        assert (got_status, got["code"]) == (status, code), path
    order_cases = [
        ({"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "twap", "sz": "1"}, "51000"),
        ({"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "sz": "abc", "px": "1"}, "51000"),
        ({"tdMode": "cash", "side": "buy", "ordType": "market", "sz": "1"}, "50014"),
        (
            {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "sz": "0.000001", "px": "1"},
            "51020",
        ),
        (
            {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "sz": "0.001", "px": "1.23"},
            "51000",
        ),
        (
            {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "sz": "100", "px": "60000"},
            "51008",
        ),
        (
            {
                "instId": "BTC-USDT",
                "tdMode": "cash",
                "side": "buy",
                "ordType": "limit",
                "sz": "0.001",
                "px": "1",
                "clOrdId": "bad id!",
            },
            "51000",
        ),
        ("not an object", "50002"),
    ]
    for params, s_code in order_cases:
        _, got = await okx_call(http, sim, "POST", "/api/v5/trade/batch-orders", json.dumps([params]))
        assert (got["code"], got["data"][0]["sCode"]) == ("1", s_code), params
    async with http.get(sim.base_urls[V] + "/api/v5/nope") as r:
        assert r.status == 404
    _, alive = await okx_call(http, sim, "GET", "/api/v5/public/time")
    assert alive["code"] == "0"


async def test_bad_ws_input_gets_okx_errors(sim: LoopbackExchanges, http: Any) -> None:
    base = sim.base_urls[V].replace("http", "ws") + "/ws/v5"
    async with http.ws_connect(base + "/public") as ws:
        for frame, code in [
            ("{oops", "60012"),
            ("[1, 2]", "60012"),
            (json.dumps({"op": "dance", "args": []}), "60019"),
            (json.dumps({"op": "subscribe", "args": [{"channel": "nope", "instId": "BTC-USDT"}]}), "60018"),
            (json.dumps({"op": "subscribe", "args": [{"channel": "books", "instId": "NOPE-USDT"}]}), "60018"),
            (json.dumps({"op": "subscribe", "args": "books"}), "60012"),
        ]:
            await ws.send_str(frame)
            reply = json.loads((await ws.receive()).data)
            assert (reply["event"], reply["code"]) == ("error", code), frame
        await ws.send_str("ping")
        assert (await ws.receive()).data == "pong"
    async with http.ws_connect(base + "/private") as ws:
        await ws.send_str(json.dumps({"op": "subscribe", "args": [{"channel": "orders", "instType": "ANY"}]}))
        assert json.loads((await ws.receive()).data)["code"] == "60011"
        k = sim.keys[V]["trader"]
        bad = {"apiKey": k.key, "passphrase": k.passphrase, "timestamp": "1", "sign": "x"}
        await ws.send_str(json.dumps({"op": "login", "args": [bad]}))
        assert json.loads((await ws.receive()).data)["code"] == "60006"
        ts = str(int(datetime.now(UTC).timestamp()))
        good = {**bad, "timestamp": ts, "sign": sign(k.secret, ts + "GET/users/self/verify")}
        await ws.send_str(json.dumps({"op": "login", "args": [{**good, "sign": "wrong"}]}))
        assert json.loads((await ws.receive()).data)["code"] == "60007"
        await ws.send_str(json.dumps({"op": "login", "args": [good]}))
        reply = json.loads((await ws.receive()).data)
        assert (reply["event"], reply["code"], reply["msg"]) == ("login", "0", "")


async def test_ws_duplicate_reorder_and_delay_faults(sim: LoopbackExchanges, http: Any) -> None:
    url = sim.base_urls[V].replace("http", "ws") + "/ws/v5/public"
    faults = sim.venue(V).faults
    async with http.ws_connect(url) as ws:
        await ws.send_str(json.dumps({"op": "subscribe", "args": [{"channel": "books", "instId": "BTC-USDT"}]}))
        await ws.receive()  # ack
        await ws.receive()  # snapshot

        async def next_seqs(n: int) -> list[int]:
            return [json.loads((await asyncio.wait_for(ws.receive(), 5)).data)["data"][0]["seqId"] for _ in range(n)]

        faults.duplicate_rate = 1.0
        assert sim.step()
        first = await next_seqs(2)
        assert first[0] == first[1]  # the same update twice
        faults.duplicate_rate, faults.reorder_rate = 0.0, 1.0
        assert sim.step() and sim.step()  # held, then sent after the next one
        a, b = await next_seqs(2)
        assert a > b
        faults.reorder_rate, faults.delay_ms = 0.0, 50
        assert sim.step()
        assert (await next_seqs(1))[0] == sim.book(V, SYM).seq


NASTY_ORDERS: list[Any] = [
    {"instId": 5, "tdMode": "cash", "side": "buy", "ordType": "limit", "sz": "1", "px": "1"},
    {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": [], "sz": "1"},
    {"instId": "BTC-USDT", "tdMode": "cash", "side": {}, "ordType": "limit", "sz": "1", "px": "1"},
    {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "sz": None, "px": "1"},
    {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "sz": "1", "px": "NaN"},
    {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "sz": "1e999", "px": "1"},
    {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "limit", "sz": "-1", "px": "1"},
    {"instId": "BTC-USDT", "tdMode": "isolated", "side": "buy", "ordType": "limit", "sz": "1", "px": "1"},
    {"instId": "BTC-USDT", "tdMode": "cash", "side": "buy", "ordType": "market", "sz": "1", "tgtCcy": 3},
    [],
    None,
]


async def test_nasty_input_never_breaks_the_server(sim: LoopbackExchanges, http: Any) -> None:
    for params in NASTY_ORDERS:
        status, got = await okx_call(http, sim, "POST", "/api/v5/trade/batch-orders", json.dumps([params]))
        assert status in (200, 400) and got["code"] != "0", params
        assert status == 400 or got["data"][0]["sCode"] not in ("0", "50026"), params
    for body in (json.dumps({"instId": ["x"], "ordId": "1"}), json.dumps([1, 2]), '"str"'):
        status, got = await okx_call(http, sim, "POST", "/api/v5/trade/cancel-order", body)
        assert status in (200, 400) and got["code"] not in ("0", "50026"), body
    url = sim.base_urls[V].replace("http", "ws") + "/ws/v5/private"
    k = sim.keys[V]["trader"]
    ts = str(int(datetime.now(UTC).timestamp()))
    login = {
        "apiKey": k.key,
        "passphrase": k.passphrase,
        "timestamp": ts,
        "sign": sign(k.secret, ts + "GET/users/self/verify"),
    }
    async with http.ws_connect(url) as ws:
        for frame in (
            {"op": "login", "args": [login]},
            {"op": "login", "args": [1]},
            {"op": "subscribe", "args": [{"channel": "orders", "instType": []}]},
            {"op": "subscribe", "args": [{"channel": "orders", "instType": "ANY", "instId": 7}]},
            {"op": "subscribe", "args": [None]},
        ):
            await ws.send_str(json.dumps(frame))
            reply = json.loads((await asyncio.wait_for(ws.receive(), 5)).data)
            assert reply["event"] in ("login", "error"), frame
    _, alive = await okx_call(http, sim, "GET", "/api/v5/public/time")
    assert alive["code"] == "0"
