"""Bybit v5 venue server: wires REST routes and WS endpoints; builds the ccxt config that points at it."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

from aiohttp import web

from exchanges.sim.base import ApiKey, DialectSpec
from exchanges.sim.bybit import batch, market_data, rest, trade
from exchanges.sim.bybit import format as fmt
from exchanges.sim.bybit.ws import PRIVATE_PATH, PUBLIC_SPOT_PATH, BybitWs
from exchanges.sim.bybit.ws_trade import TRADE_PATH
from exchanges.sim.dialect_util import ccxt_config, loopback_urls, rate_limits, ws_base
from exchanges.sim.matching import MatchingEngine
from exchanges.sim.orders import Order

# Bybit's documented limits: 600 requests per 5 s per IP; per-UID limits per endpoint (spot, default tier).
BYBIT_RATE_LIMITS: dict[str, tuple[int, int]] = {
    rest.IP_LIMIT: (600, 5_000),
    **rate_limits(
        1_000,
        {
            "order/create": 20,
            "order/create-batch": 20,
            "asset/coin/query-info": 5,
            "order/cancel": 20,
            "order/cancel-all": 20,
            "order/realtime": 50,
            "order/history": 50,
            "execution/list": 50,
            "account/wallet-balance": 50,
            "account/fee-rate": 10,
            "account/info": 50,
            "user/query-api": 10,
        },
    ),
}

# Bybit spot, non-VIP: 0.1% maker and taker; a buy pays its fee in base, a sell in quote.
ENGINE_OPTIONS: dict[str, Any] = {
    "taker_fee": Decimal("0.001"),
    "maker_fee": Decimal("0.001"),
    "client_id_scope": "all",  # orderLinkId is unique per account, also after the order closed (170141)
    "first_order_id": 1_609_602_210_852_247_040,
}


class BybitServer(BybitWs):
    venue = "bybit"
    rate_limits = BYBIT_RATE_LIMITS
    ws_idle_timeout_ms = 600_000  # Bybit: ping every 20 s recommended; silent for 10 min -> disconnected

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._symbols_by_id = {fmt.symbol_id(s): s for s in self.market.symbols}
        self.symbol_status: dict[str, str] = {}  # symbol -> status override (e.g. "PreLaunch", "Closed")
        self._link_ids = itertools.count(1_800_000_000_000_000_001, 2)
        self.started_ms = self.now_ms()

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[rest.bybit_middleware], client_max_size=1 << 20)
        app[rest.SERVER_KEY] = self
        app.add_routes(rest.routes)
        app.add_routes(trade.routes)
        app.add_routes(market_data.routes)
        app.add_routes(batch.routes)
        for kind in ("spot", "linear", "inverse", "option"):
            app.router.add_get(f"/v5/public/{kind}", self.ws_endpoint)
        app.router.add_get(PRIVATE_PATH, self.ws_endpoint)
        app.router.add_get(TRADE_PATH, self.ws_endpoint)  # WebSocket order entry (ws_trade.py)
        return app

    def ccxt_config(self, base_url: str, key: ApiKey | None) -> dict[str, Any]:
        urls = loopback_urls("bybit", ("api", "test", "demotrading"), base_url)
        urls["api"]["ws"]["public"]["spot"] = f"{ws_base(base_url)}{PUBLIC_SPOT_PATH}"
        urls["api"]["ws"]["private"]["contract"] = f"{ws_base(base_url)}{PRIVATE_PATH}"
        urls["api"]["ws"]["private"]["trade"] = f"{ws_base(base_url)}{TRADE_PATH}"
        options = {
            "fetchMarkets": {"types": ["spot"]},  # else also linear, inverse and six option listings
            "defaultType": "spot",  # ccxt's default is swap/linear
            "enableUnifiedAccount": True,  # else /v5/user/query-api + /v5/account/info before private calls
            "enableUnifiedMargin": False,
            "fetchOrder": {"acknowledged": True},  # else fetch_order raises ArgumentsRequired on UTA
        }
        return ccxt_config(urls, options, key)

    # helpers used by the handlers
    @property
    def symbols_by_id(self) -> dict[str, str]:
        return self._symbols_by_id

    def new_link_id(self) -> str:
        """The numeric orderLinkId Bybit generates when the client sends none."""
        return str(next(self._link_ids))

    def order_dict(self, order: Order) -> dict[str, Any]:
        return fmt.order_dict(order, self.market.spec(self.venue, order.symbol), order.order_id in self.user_canceled)

    def log_rejected_order(
        self, key: str, body: str | dict[str, Any], code: str, now: int | None = None, arrival: int | None = None
    ) -> None:
        """Record an order refused before the engine (auth, rate limit, bad params, expiry) in the order log."""
        if isinstance(body, str):
            try:
                body = json.loads(body) if body else {}
            except ValueError:
                body = {}
        p = body if isinstance(body, dict) else {}
        symbol = self._symbols_by_id.get(str(p.get("symbol", "")), str(p.get("symbol", "")))
        self.engine.log_reject(
            self.now_ms() if now is None else now,
            key,
            str(p.get("orderLinkId", "")),
            symbol,
            code,
            arrival,
            side=str(p.get("side", "")).lower(),
            type=str(p.get("orderType", "")).lower(),
        )


def make_app(market: Any, engine: MatchingEngine, keys: Any = (), faults: Any = None) -> web.Application:
    """Build a standalone Bybit app (for ``aiohttp`` test servers); the harness uses :class:`BybitServer`."""
    return BybitServer(market, engine, keys, faults).make_app()


DIALECT = DialectSpec("bybit", BybitServer, ENGINE_OPTIONS)
