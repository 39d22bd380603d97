"""Pieces every dialect's REST side shares: the fault/error/logging middleware, ccxt configs, formatting.

A dialect describes itself once with a :class:`RestDialect` (its error class and bodies, its 429, its
order-placement routes) and gets its middleware from :func:`rest_middleware`; its ``ccxt_config`` is
:func:`ccxt_config` over :func:`loopback_urls` (ccxt's own URL trees, every host replaced by ours).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web

from exchanges.sim.base import ApiKey

if TYPE_CHECKING:
    from exchanges.sim.base import VenueServer

log = logging.getLogger(__name__)

# One server per aiohttp app, so every dialect uses the same keys.
SERVER_KEY: web.AppKey[Any] = web.AppKey("sim_server")  # the app's VenueServer
BODY: web.RequestKey[str] = web.RequestKey("sim_body", str)  # the raw body a private route was signed over
KEY: web.RequestKey[ApiKey] = web.RequestKey("sim_key", ApiKey)  # the authenticated key
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]
GATEWAY_503 = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"


def rate_limits(window_ms: int, counts: dict[str, int]) -> dict[str, tuple[int, int]]:
    """``{endpoint: count}`` sharing one window -> the ``{endpoint: (count, window_ms)}`` RateLimiter takes."""
    return {endpoint: (count, window_ms) for endpoint, count in counts.items()}


def dumps(obj: Any) -> str:
    """Compact JSON, as venues send it."""
    return json.dumps(obj, separators=(",", ":"))


def dec(value: Decimal | None) -> str:
    """Decimal -> plain string without exponent or trailing zeros ('' for None)."""
    if value is None:
        return ""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


# ------------------------------------------------------------------------------- ccxt configs
@functools.cache
def ccxt_url_trees(ccxt_id: str) -> dict[str, Any]:
    """ccxt.pro's own ``urls`` of exchange ``ccxt_id`` (read once)."""
    import ccxt.pro

    return dict(getattr(ccxt.pro, ccxt_id)().describe()["urls"])


def rewrite_urls(tree: Any, http_base: str, ws_base: str) -> Any:
    """Replace scheme and host of every URL leaf (keeping the path) so nothing can reach a real host."""
    if isinstance(tree, dict):
        return {k: rewrite_urls(v, http_base, ws_base) for k, v in tree.items()}
    if isinstance(tree, str) and "://" in tree:
        path = urlsplit(tree.replace("{hostname}", "host")).path.rstrip("/")
        return (ws_base if tree.startswith("ws") else http_base) + path
    return tree


def ws_base(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1)


def loopback_urls(ccxt_id: str, trees: tuple[str, ...], base_url: str) -> dict[str, Any]:
    """ccxt's URL ``trees`` of ``ccxt_id`` (e.g. api, test, demo) pointed at the server at ``base_url``."""
    defaults = ccxt_url_trees(ccxt_id)
    return {tree: rewrite_urls(defaults[tree], base_url, ws_base(base_url)) for tree in trees}


def ccxt_config(
    urls: dict[str, Any], options: dict[str, Any], key: ApiKey | None, *, passphrase: bool = False
) -> dict[str, Any]:
    """A ccxt.pro constructor config: loopback ``urls``, dialect ``options``, rate limiting on, the key if any.

    ``has.fetchCurrencies`` is off everywhere: with keys ccxt would otherwise call wallet endpoints first.
    """
    config: dict[str, Any] = {
        "urls": urls,
        "options": options,
        "has": {"fetchCurrencies": False},
        "enableRateLimit": True,
    }
    if key is not None:
        config.update(apiKey=key.key, secret=key.secret)
        if passphrase:
            config["password"] = key.passphrase
    return config


# ------------------------------------------------------------------------------- REST middleware
def gateway_unavailable() -> web.StreamResponse:
    """The HTML 503 a venue's gateway answers for an overloaded backend."""
    return web.Response(status=503, text=GATEWAY_503, content_type="text/html")


def plain_http_error(e: web.HTTPException) -> web.StreamResponse:
    return web.Response(status=e.status, text=e.reason)


@dataclass(frozen=True, slots=True)
class RestDialect:
    """How one dialect's REST answers look; :func:`rest_middleware` applies faults and logs around it."""

    name: str  # log events are sim.<name>.rest_error
    ws_prefixes: tuple[str, ...]  # paths served by WebSocket endpoints: passed straight through
    errors: type[Exception]  # the dialect's error class ...
    error_response: Callable[[Any, Any], web.StreamResponse]  # ... and its body: (server, error)
    internal_error: Callable[[Any], web.StreamResponse]  # an unexpected crash: (server)
    rate_limited: Exception  # the venue's 429: ``rate_limit_burst``, a key over its endpoint limit
    no_permission: Exception  # a key without the route's permission
    placements: frozenset[tuple[str, str]]  # (method, path) of order placements
    log_rejected: Callable[[Any, web.Request, str, str], None]  # (server, request, body, code) -> order log
    http_error: Callable[[web.HTTPException], web.StreamResponse] = plain_http_error
    unavailable: Callable[[], web.StreamResponse] = gateway_unavailable  # the ``rest_5xx_rate`` answer
    before: Callable[[Any, web.Request], None] | None = None  # raises to refuse early (e.g. an IP ban)


def code_of(e: Exception) -> str:
    """A dialect error's venue code as the order log's ``reject_reason``."""
    return str(getattr(e, "code", ""))


def authorize(
    d: RestDialect,
    request: web.Request,
    body: str,
    authenticate: Callable[[], ApiKey],
    permission: str,
    limit: str | None = None,
) -> ApiKey:
    """A private route's key: ``authenticate()`` (the dialect's signature check), the key's ``permission``
    and, given a ``limit``, its per-key rate limit. A refused order placement goes to the order log."""
    server: VenueServer = request.app[SERVER_KEY]
    try:
        key = authenticate()
        if permission not in key.permissions:
            raise d.no_permission
        if limit is not None and not server.limiter.allow(f"key:{key.key}", limit, server.now_ms()):
            raise d.rate_limited
    except d.errors as e:
        if (request.method, request.path) in d.placements:
            d.log_rejected(server, request, body, code_of(e))
        raise
    request[KEY] = key
    return key


def rest_middleware(d: RestDialect) -> Any:  # an aiohttp middleware (web.middleware-decorated)
    """Faults (429 bursts, hangs, 5xx), the dialect's error bodies and the request log for every REST call."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(d.ws_prefixes):
            return await handler(request)
        server: VenueServer = request.app[SERVER_KEY]
        f = server.faults
        started = time.monotonic()
        try:
            if d.before is not None:
                d.before(server, request)
            if f.take_rate_limit_burst():
                if server.log_rate_limited_orders and (request.method, request.path) in d.placements:
                    d.log_rejected(server, request, await request.text(), code_of(d.rate_limited))
                raise d.rate_limited
            if f.take_rest_timeout_next() or f.chance(f.rest_timeout_rate):
                await asyncio.sleep(f.rest_timeout_ms / 1000)
            resp = d.unavailable() if f.chance(f.rest_5xx_rate) else await handler(request)
        except d.errors as e:
            resp = d.error_response(server, e)
        except web.HTTPException as e:
            resp = d.http_error(e)
        except Exception:
            log.exception("sim.%s.rest_error path=%s", d.name, request.path)
            resp = d.internal_error(server)
        server.log_request(
            ts_ms=server.now_ms(),
            method=request.method,
            path=request.path_qs,
            status=resp.status,
            ms=round((time.monotonic() - started) * 1000, 3),
        )
        return resp

    return middleware
