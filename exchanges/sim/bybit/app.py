"""Bybit v5 venue server: wires REST routes and WS endpoints; builds the ccxt config that points at it."""

from __future__ import annotations

import functools
import itertools
import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from exchanges.sim.base import ApiKey, DialectSpec
from exchanges.sim.bybit import format as fmt
from exchanges.sim.bybit import rest, trade
from exchanges.sim.bybit.ws import PRIVATE_PATH, PUBLIC_SPOT_PATH, BybitWs
from exchanges.sim.matching import MatchingEngine
from exchanges.sim.orders import Order

# Bybit's documented limits: 600 requests per 5 s per IP; per-UID limits per endpoint (spot, default tier).
BYBIT_RATE_LIMITS: dict[str, tuple[int, int]] = {
    rest.IP_LIMIT: (600, 5_000),
    "order/create": (20, 1_000),
    "order/cancel": (20, 1_000),
    "order/cancel-all": (20, 1_000),
    "order/realtime": (50, 1_000),
    "order/history": (50, 1_000),
    "execution/list": (50, 1_000),
    "account/wallet-balance": (50, 1_000),
    "account/fee-rate": (10, 1_000),
    "account/info": (50, 1_000),
    "user/query-api": (10, 1_000),
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
        for kind in ("spot", "linear", "inverse", "option"):
            app.router.add_get(f"/v5/public/{kind}", self.ws_endpoint)
        app.router.add_get(PRIVATE_PATH, self.ws_endpoint)
        return app

    def ccxt_config(self, base_url: str, key: ApiKey | None) -> dict[str, Any]:
        ws_base = base_url.replace("http://", "ws://", 1)
        urls = {tree: loopback_urls(default_urls()[tree], base_url, ws_base) for tree in ("api", "test", "demotrading")}
        urls["api"]["ws"]["public"]["spot"] = f"{ws_base}{PUBLIC_SPOT_PATH}"
        urls["api"]["ws"]["private"]["contract"] = f"{ws_base}{PRIVATE_PATH}"
        config: dict[str, Any] = {
            "urls": urls,
            "options": {
                "fetchMarkets": {"types": ["spot"]},  # else also linear, inverse and six option listings
                "defaultType": "spot",  # ccxt's default is swap/linear
                "enableUnifiedAccount": True,  # else /v5/user/query-api + /v5/account/info before private calls
                "enableUnifiedMargin": False,
                "fetchOrder": {"acknowledged": True},  # else fetch_order raises ArgumentsRequired on UTA
            },
            "has": {"fetchCurrencies": False},  # else, with keys, /v5/asset/coin/query-info
            "enableRateLimit": True,
        }
        if key is not None:
            config.update(apiKey=key.key, secret=key.secret)
        return config

    # helpers used by the handlers
    @property
    def symbols_by_id(self) -> dict[str, str]:
        return self._symbols_by_id

    def new_link_id(self) -> str:
        """The numeric orderLinkId Bybit generates when the client sends none."""
        return str(next(self._link_ids))

    def order_dict(self, order: Order) -> dict[str, Any]:
        return fmt.order_dict(order, self.market.spec(self.venue, order.symbol), order.order_id in self.user_canceled)

    def usd_prices(self) -> dict[str, float]:
        prices = {"USDT": 1.0, "USDC": 1.0}
        for symbol in self.market.symbols:
            base, quote = symbol.split("/")
            if quote in ("USDT", "USDC"):
                prices[base] = self.market.mids[symbol]
        return prices

    def base_for_quote(self, symbol: str, quote: Decimal) -> Decimal:
        """Base amount a market sell must sell to raise ``quote`` (walking the live bids, floored to the lot)."""
        book = self.market.book(self.venue, symbol)
        g = book.grid
        base, left = Decimal(0), quote
        for tick, lots in book.sorted_levels("bid", published=False):
            px, size = g.price(tick), g.size(lots)
            take = min(size, left / px)
            base, left = base + take, left - take * px
            if left <= 0:
                break
        return (base // g.lot) * g.lot

    def log_rejected_order(self, key: str, body: str | dict[str, Any], code: str) -> None:
        """Record an order refused before the engine (auth, rate limit, bad params) in the order log."""
        if isinstance(body, str):
            try:
                body = json.loads(body) if body else {}
            except ValueError:
                body = {}
        p = body if isinstance(body, dict) else {}
        symbol = self._symbols_by_id.get(str(p.get("symbol", "")), str(p.get("symbol", "")))
        self.engine.log_reject(
            self.now_ms(),
            key,
            str(p.get("orderLinkId", "")),
            symbol,
            code,
            side=str(p.get("side", "")).lower(),
            type=str(p.get("orderType", "")).lower(),
        )


@functools.cache
def default_urls() -> dict[str, Any]:
    """ccxt.pro bybit's own URL trees (api/test/demotrading) - every leaf is rewritten to the loopback server."""
    import ccxt.pro

    urls = ccxt.pro.bybit().describe()["urls"]
    return {tree: urls[tree] for tree in ("api", "test", "demotrading")}


def loopback_urls(tree: Any, http_base: str, ws_base: str) -> Any:
    """Replace scheme and host of every URL leaf (keeping the path) so nothing can reach a real host."""
    if isinstance(tree, dict):
        return {k: loopback_urls(v, http_base, ws_base) for k, v in tree.items()}
    if isinstance(tree, str) and "://" in tree:
        path = urlsplit(tree.replace("{hostname}", "host")).path.rstrip("/")
        return (ws_base if tree.startswith("ws") else http_base) + path
    return tree


def make_app(market: Any, engine: MatchingEngine, keys: Any = (), faults: Any = None) -> web.Application:
    """Build a standalone Bybit app (for ``aiohttp`` test servers); the harness uses :class:`BybitServer`."""
    return BybitServer(market, engine, keys, faults).make_app()


DIALECT = DialectSpec("bybit", BybitServer, ENGINE_OPTIONS)
