"""The control API's aiohttp application and its life cycle beside a running scanner or trader.

``ApiServer(ctx, tokens, host=..., port=...)``: :meth:`start` hooks the run's listeners into the stream hub,
binds (port 0: any free port, see :attr:`url`), and tails the journal; :meth:`stop` closes streams and the
socket. Routes are one table (:func:`routes`); the dashboard (:mod:`arb.api.dashboard`, when present) adds
``/`` and ``/ui/…``, the only paths served without a token (:func:`arb.api.auth.is_public`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import web

from arb.api import actions, views
from arb.api.auth import WHO, FailedAuth, middleware
from arb.api.context import ApiContext
from arb.api.metrics import CONTENT_TYPE, Metrics
from arb.api.stream import stream_handler, tail_events
from arb.api.tokens import Tokens
from arb.core.kinds import EventKind

log = logging.getLogger(__name__)

CTX: web.AppKey[ApiContext] = web.AppKey("ctx", ApiContext)
METRICS: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)
STATUS_S: web.AppKey[float] = web.AppKey("status_s", float)
MAX_LIMIT = 1000


def _limit(request: web.Request, default: int = 50) -> int:
    text = request.query.get("limit", str(default))
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise web.HTTPBadRequest(
            text=f'{{"error": "limit must be an integer from 1 to {MAX_LIMIT}"}}', content_type="application/json"
        )
    return int(text)


def _json(doc: Any, status: int = 200) -> web.Response:
    return web.json_response(doc, status=status, dumps=lambda d: json.dumps(d, default=str))


async def get_status(request: web.Request) -> web.Response:
    return _json(views.status(request.app[CTX]))


async def get_episodes(request: web.Request) -> web.Response:
    ctx, n = request.app[CTX], _limit(request)
    rows = await views.read(ctx, lambda r: r.episodes(n + len(ctx.scanner.engine.tracker.open)), [])
    doc = views.episodes(ctx, rows)
    doc["recent"] = doc["recent"][:n]
    return _json(doc)


async def get_trades(request: web.Request) -> web.Response:
    ctx, n = request.app[CTX], _limit(request)
    return _json(views.trades(await views.read(ctx, lambda r: r.trades(n), [])))


async def get_orders(request: web.Request) -> web.Response:
    ctx, n = request.app[CTX], _limit(request)
    return _json({"orders": await views.read(ctx, lambda r: r.orders(n), [])})


async def get_pnl(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    return _json(views.pnl(ctx, await views.read(ctx, lambda r: r.trades(), [])))


async def get_balances(request: web.Request) -> web.Response:
    return _json(views.balances(request.app[CTX]))


async def get_exposures(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    rows = await views.read(ctx, lambda r: r.exposures(), [])
    controls = await views.read(ctx, lambda r: r.control_events(), [])
    return _json(views.exposures(rows, controls))


async def get_halts(request: web.Request) -> web.Response:
    ctx = request.app[CTX]
    return _json(views.halts(ctx, await views.read(ctx, lambda r: r.halts(), [])))


async def get_limits(request: web.Request) -> web.Response:
    return _json(views.limits(request.app[CTX]))


async def get_metrics(request: web.Request) -> web.Response:
    body = await request.app[METRICS].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def get_stream(request: web.Request) -> web.StreamResponse:
    ctx = request.app[CTX]

    async def status() -> Any:
        return views.status(ctx)

    hello = {"run_id": ctx.run_id, "mode": ctx.mode}
    return await stream_handler(request, ctx.hub, hello, status, request.app[STATUS_S])


def _action(fn: Any, *, exposure: bool = False, **kw: Any) -> Any:
    async def handler(request: web.Request) -> web.Response:
        ctx, who = request.app[CTX], request[WHO]
        try:
            doc = await actions.body(request)
            if exposure:
                text = request.match_info["id"]
                if not text.isdigit():
                    raise actions.ActionError(400, f"exposure id {text!r}: must be an integer")
                result = fn(ctx, who, int(text), doc, **kw)
            else:
                result = fn(ctx, who, doc, **kw)
            if asyncio.iscoroutine(result):
                result = await result
        except actions.ActionError as e:
            return _json({"error": str(e)}, status=e.status)
        return _json(result)

    return handler


def routes() -> list[web.RouteDef]:
    """Every API route (all need the token)."""
    return [
        web.get("/api/status", get_status),
        web.get("/api/episodes", get_episodes),
        web.get("/api/trades", get_trades),
        web.get("/api/orders", get_orders),
        web.get("/api/pnl", get_pnl),
        web.get("/api/balances", get_balances),
        web.get("/api/exposures", get_exposures),
        web.get("/api/halts", get_halts),
        web.get("/api/limits", get_limits),
        web.get("/api/stream", get_stream),
        web.get("/metrics", get_metrics),
        web.post("/api/pause", _action(actions.pause)),
        web.post("/api/resume", _action(actions.resume)),
        web.post("/api/directions/disable", _action(actions.direction, enable=False)),
        web.post("/api/directions/enable", _action(actions.direction, enable=True)),
        web.post("/api/kill", _action(actions.kill)),
        web.post("/api/exposures/{id}/ack", _action(actions.ack_exposure, exposure=True)),
        web.post("/api/exposures/{id}/flatten", _action(actions.flatten_exposure, exposure=True)),
    ]


def dashboard_routes() -> list[web.RouteDef]:
    """The dashboard's page and assets (helper module :mod:`arb.api.dashboard`), if it is installed."""
    try:
        from arb.api import dashboard
    except ImportError:
        return []
    return list(dashboard.routes())


def make_app(ctx: ApiContext, tokens: Tokens, *, failures_per_min: int = 10, status_s: float = 1.0) -> web.Application:
    failed = FailedAuth(failures_per_min)

    def journal_failure(detail: str) -> None:
        ctx.auth_failures += 1
        ctx.journal_event(EventKind.AUTH_FAILED, detail)

    app = web.Application(middlewares=[middleware(tokens, failed, journal_failure)], client_max_size=64 * 1024)
    app[CTX] = ctx
    app[METRICS] = Metrics(ctx)
    app[STATUS_S] = float(status_s)
    app.add_routes(routes())
    app.add_routes(dashboard_routes())
    return app


class ApiServer:
    def __init__(
        self,
        ctx: ApiContext,
        tokens: Tokens,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        failures_per_min: int = 10,
        status_s: float = 1.0,
    ) -> None:
        self.ctx, self.tokens, self.host, self.port = ctx, tokens, host, port
        self.app = make_app(ctx, tokens, failures_per_min=failures_per_min, status_s=status_s)
        self.runner: web.AppRunner | None = None
        self._tail: asyncio.Task[None] | None = None
        self.url = ""

    def _hook(self) -> None:
        ctx, hub = self.ctx, self.ctx.hub

        def scan_listener(kind: str, payload: Any) -> None:
            if kind in ("episode_started", "episode_ended"):
                hub.publish(kind, views.episode_doc(payload))

        ctx.scanner.sink.listeners.append(scan_listener)
        if ctx.trader is None:
            return

        def trade_listener(kind: str, payload: Any) -> None:
            if kind == "outcome":
                from arb.clock import wall_ms

                hub.publish("trade", views.trade_doc(wall_ms(), payload.summary()))
            elif kind == "decision":
                hub.publish("decision", payload)
            elif kind in ("halt", "resume"):
                if kind == "halt":
                    ctx.halts_seen += 1
                hub.publish(kind, {"reason": payload.reason, "detail": payload.detail, "ts_ms": payload.ts_ms})

        ctx.trader.listeners.append(trade_listener)

    async def start(self) -> str:
        self._hook()
        self.runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port)
        await site.start()
        addresses = self.runner.addresses  # the bound (host, port, …): port 0 became a real one
        port = addresses[0][1] if addresses else self.port
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{port}"
        if self.ctx.reader is not None:
            start_id = await self.ctx.reader.run(lambda r: r.max_event_id())
            self._tail = asyncio.create_task(tail_events(self.ctx.hub, self.ctx.reader, start_id), name="api-tail")
        return self.url

    async def stop(self) -> None:
        if self._tail is not None:
            self._tail.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tail
        self.ctx.hub.close()
        if self.runner is not None:
            await self.runner.cleanup()
        if self.ctx.reader is not None:
            self.ctx.reader.close()
