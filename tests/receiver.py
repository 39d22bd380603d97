"""A local HTTP receiver for apprise ``json://`` posts, for tests that must not reach the internet.

    async with Receiver() as rx:              # aiohttp on 127.0.0.1, port 0
        notifier = Notifier([rx.url])         # "json://127.0.0.1:PORT/hook"
        ...
        posts = await rx.wait_for(2)          # no sleeps: waits on a Condition, with a deadline

apprise posts ``{"version", "title", "message", "type"}``. ``status=500`` makes a dead target
(every request is recorded in ``requests`` and answered 500); ``status`` can be changed while
running to bring it back. :func:`closed_port_url` is a target where nothing listens at all.
``hold()`` keeps requests waiting for an answer until ``release()`` (a slow target).
"""

from __future__ import annotations

import asyncio
import json
import socket
from types import TracebackType
from typing import Any

from aiohttp import web


class Receiver:
    """Records every request (``requests``) and the JSON bodies it answered 2xx (``posts``)."""

    def __init__(self, *, status: int = 200, path: str = "/hook") -> None:
        self.status = status
        self.path = path
        self.posts: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.port = 0
        self._changed = asyncio.Condition()
        self._released = asyncio.Event()
        self._released.set()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """The apprise URL of this receiver."""
        return f"json://127.0.0.1:{self.port}{self.path}"

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._released.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Receiver:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def hold(self) -> None:
        """Keep answering nothing until :meth:`release` (requests are still recorded)."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        status = self.status
        async with self._changed:
            self.requests.append({"method": request.method, "path": request.path, "body": body, "status": status})
            self._changed.notify_all()
        await self._released.wait()
        status = self.status  # a target brought back while a request was held answers with the new status
        if 200 <= status < 300:
            async with self._changed:
                self.posts.append(body if isinstance(body, dict) else {"raw": body})
                self._changed.notify_all()
        return web.json_response({"ok": 200 <= status < 300}, status=status)

    async def wait_for(self, n: int, timeout: float = 5) -> list[dict[str, Any]]:
        """Wait until at least ``n`` posts were accepted; TimeoutError after ``timeout`` seconds."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.posts) >= n)
        return list(self.posts)

    async def wait_for_requests(self, n: int, timeout: float = 5) -> list[dict[str, Any]]:
        """Wait until at least ``n`` requests arrived (whatever they were answered)."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.requests) >= n)
        return list(self.requests)


def closed_port_url(path: str = "/hook") -> str:
    """A json:// URL on 127.0.0.1 where nothing listens (the port was bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"json://127.0.0.1:{port}{path}"
