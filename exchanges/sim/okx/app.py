"""OKX venue server: wires REST routes and WS endpoints; builds the ccxt config that points at it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiohttp import web

from exchanges.sim.base import ApiKey, DialectSpec
from exchanges.sim.dialect_util import ccxt_config, loopback_urls, rate_limits
from exchanges.sim.matching import MatchingEngine, Order
from exchanges.sim.okx import format as fmt
from exchanges.sim.okx import market_data, wallet
from exchanges.sim.okx.rest import SERVER_KEY, okx_middleware, routes
from exchanges.sim.okx.trade import routes as trade_routes
from exchanges.sim.okx.ws import OkxWs

# OKX's documented limits (requests per 2 s); public ones per IP, private ones per key.
OKX_RATE_LIMITS: dict[str, tuple[int, int]] = {
    "system/status": (1, 5000),
    **rate_limits(
        2000,
        {
            "public/time": 10,
            "public/instruments": 20,
            "market/ticker": 20,
            "market/tickers": 20,
            "market/books": 40,
            "market/trades": 100,
            "market/history-trades": 20,
            "account/balance": 10,
            "asset/currencies": 6,
            "account/trade-fee": 5,
            "account/config": 5,
            "trade/order": 60,
            "trade/batch-orders": 300,
            "trade/cancel-order": 60,
            "trade/cancel-batch-orders": 300,
            "trade/order:get": 60,
            "trade/orders-pending": 60,
            "trade/orders-history": 40,
            "trade/fills": 60,
            "trade/fills-history": 10,
        },
    ),
}

# OKX spot, fee tier Lv1
ENGINE_OPTIONS: dict[str, Any] = {
    "taker_fee": Decimal("0.001"),
    "maker_fee": Decimal("0.0008"),
    "client_id_scope": "pending",  # clOrdId must be unique among pending orders (sCode 51016)
}


class OkxServer(OkxWs):
    venue = "okx"
    rate_limits = OKX_RATE_LIMITS
    ws_idle_timeout_ms = 30_000  # OKX: no message for 30 s -> disconnected

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument_state: dict[str, str] = {}  # symbol -> state override (e.g. "suspend")

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[okx_middleware], client_max_size=1 << 20)
        app[SERVER_KEY] = self
        app.add_routes(routes)
        app.add_routes(trade_routes)
        app.add_routes(market_data.routes)
        app.add_routes(wallet.routes)
        for channel in ("public", "private", "business"):
            app.router.add_get(f"/ws/v5/{channel}", self.ws_endpoint)
        return app

    def ccxt_config(self, base_url: str, key: ApiKey | None) -> dict[str, Any]:
        urls = loopback_urls("okx", ("api", "test"), base_url)  # api: {rest: base_url, ws: ws://.../ws/v5}
        return ccxt_config(urls, {"fetchMarkets": {"types": ["spot"]}}, key, passphrase=True)

    # helpers used by the REST handlers
    def order_dict(self, order: Order) -> dict[str, Any]:
        return fmt.order_dict(order, self.market.spec(self.venue, order.symbol))

    def ticker(self, symbol: str) -> dict[str, Any]:
        return market_data.ticker(self.market.book(self.venue, symbol), self.ticker_stats(symbol), self.now_ms())


def make_app(market: Any, engine: MatchingEngine, keys: Any = (), faults: Any = None) -> web.Application:
    """Build a standalone OKX app (for ``aiohttp`` test servers); the harness uses :class:`OkxServer`."""
    return OkxServer(market, engine, keys, faults).make_app()


DIALECT = DialectSpec("okx", OkxServer, ENGINE_OPTIONS)
