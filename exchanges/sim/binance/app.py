"""Binance spot venue server: wires REST routes and WS endpoints; builds the ccxt config that points at it."""

from __future__ import annotations

import random
import string
from collections import deque
from decimal import Decimal
from typing import Any

from aiohttp import web

from exchanges.sim.base import ApiKey, DialectSpec
from exchanges.sim.binance import format as fmt
from exchanges.sim.binance import market_data, rest, trade, wallet
from exchanges.sim.binance.ws import WS_API_PATH, BinanceWs
from exchanges.sim.dialect_util import ccxt_config, loopback_urls, ws_base
from exchanges.sim.matching import MatchingEngine

# Binance's documented spot limits: request weight per IP per minute, orders per account.
BINANCE_RATE_LIMITS: dict[str, tuple[int, int]] = {
    rest.WEIGHT: (6000, 60_000),
    "ORDERS_10S": (100, 10_000),
}

# Binance spot, regular user (VIP 0): 0.1% maker and taker, fee in the received asset (no BNB discount).
ENGINE_OPTIONS: dict[str, Any] = {
    "taker_fee": Decimal("0.001"),
    "maker_fee": Decimal("0.001"),
    "client_id_scope": "pending",  # a newClientOrderId may not repeat an OPEN order's (-2010 Duplicate order sent.)
    "first_order_id": 3_400_000_000,
}

BAN_AFTER_429S = 3  # 429s within a minute before the IP is banned (HTTP 418)


class BinanceServer(BinanceWs):
    venue = "binance"
    rate_limits = BINANCE_RATE_LIMITS
    ws_ping_interval_ms = 20_000  # Binance pings every 20 s
    ws_max_lifetime_ms = 86_400_000  # and rotates connections after 24 h
    ban_ms = 120_000

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._symbols_by_id = {fmt.symbol_id(s): s for s in self.market.symbols}
        self._level_fmt = {s: fmt.LevelFormatter(self.market.book(self.venue, s).grid) for s in self.market.symbols}
        self.symbol_status: dict[str, str] = {}  # symbol -> status override (e.g. "BREAK", "HALT")
        self.banned_until: dict[str, int] = {}
        self.throttled_until: dict[str, int] = {}  # IP -> end of the minute whose weight it spent
        self._violations: dict[str, deque[int]] = {}
        self._cid_rng = random.Random(f"{self.faults.seed}:binance:clientOrderId")
        self.started_ms = self.now_ms()

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[rest.binance_middleware], client_max_size=1 << 20)
        app[rest.SERVER_KEY] = self
        app.add_routes(rest.routes)
        app.add_routes(trade.routes)
        app.add_routes(market_data.routes)
        app.add_routes(wallet.routes)
        self.add_ws_routes(app)
        return app

    def ccxt_config(self, base_url: str, key: ApiKey | None) -> dict[str, Any]:
        urls = loopback_urls("binance", ("api", "test", "demo"), base_url)
        urls["api"]["ws"]["spot"] = urls["api"]["ws"]["margin"] = f"{ws_base(base_url)}/ws"
        urls["api"]["ws"]["ws-api"]["spot"] = f"{ws_base(base_url)}{WS_API_PATH}"
        options = {
            "fetchMarkets": {"types": ["spot"]},  # else also /fapi and /dapi exchangeInfo
            "fetchMargins": False,  # else, with keys, /sapi/v1/margin/allPairs and isolated pairs
            "defaultType": "spot",
            "fetchCurrencies": True,  # fetch_currencies works (load_markets skips it: has.fetchCurrencies is off)
        }
        return ccxt_config(urls, options, key)

    # helpers used by the handlers
    @property
    def symbols_by_id(self) -> dict[str, str]:
        return self._symbols_by_id

    def level_fmt(self, symbol: str) -> fmt.LevelFormatter:
        return self._level_fmt[symbol]

    def symbol_or_id(self, params: dict[str, str]) -> str:
        sid = params.get("symbol", "")
        return self._symbols_by_id.get(sid, sid)

    def new_client_id(self) -> str:
        """A Binance-style generated clientOrderId (22 characters)."""
        return "".join(self._cid_rng.choices(string.ascii_letters + string.digits, k=22))

    def note_rate_limited(self, ip: str, now_ms: int) -> None:
        """A 429: the IP stays limited until the minute's weight resets; after BAN_AFTER_429S within a minute
        it is banned for ``ban_ms`` (HTTP 418)."""
        self.throttled_until[ip] = max(self.throttled_until.get(ip, 0), now_ms - now_ms % 60_000 + 60_000)
        hits = self._violations.setdefault(ip, deque())
        hits.append(now_ms)
        while hits and hits[0] <= now_ms - 60_000:
            hits.popleft()
        if len(hits) >= BAN_AFTER_429S:
            self.banned_until[ip] = now_ms + self.ban_ms
            hits.clear()


def make_app(market: Any, engine: MatchingEngine, keys: Any = (), faults: Any = None) -> web.Application:
    """Build a standalone Binance app (for ``aiohttp`` test servers); the harness uses :class:`BinanceServer`."""
    return BinanceServer(market, engine, keys, faults).make_app()


DIALECT = DialectSpec("binance", BinanceServer, ENGINE_OPTIONS)
