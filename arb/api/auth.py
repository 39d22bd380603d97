"""Every request but the dashboard's page and assets needs ``Authorization: Bearer <token>``.

* The token is compared in constant time against each accepted one (:meth:`arb.api.tokens.Tokens.who`);
  the request carries the name of the token that matched (``request[WHO]``) for the journal.
* A client address with ``limit`` failed authentications within a minute gets 429 for every request until
  the minute has passed (so a guessed token is not even checked); each failure is journaled (event
  ``auth_failed``: address, method, path, why — never the presented value), the first refusal by 429 too.
* A token in the URL (``?token=``, ``?access_token=``…) is refused: tokens go in the header only.
* Every authenticated response says ``Cache-Control: no-store``.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from arb.api.tokens import Tokens

log = logging.getLogger(__name__)

WINDOW_S = 60.0
MAX_PEERS = 10_000
URL_TOKEN_PARAMS = frozenset({"token", "access_token", "api_token", "auth", "key", "apikey", "api_key"})
WHO: web.RequestKey[str] = web.RequestKey("who", str)  # the name of the token that authenticated the request
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_public(path: str) -> bool:
    """The dashboard's page and its static assets: no data, no token needed (the page asks for one)."""
    return path == "/" or path.startswith("/ui/")


class FailedAuth:
    """Failures per client address over a sliding minute (monotonic clock)."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.clock = limit, clock
        self.failures: dict[str, deque[float]] = {}
        self.limited_noted: dict[str, float] = {}

    def _window(self, peer: str) -> deque[float]:
        q = self.failures.setdefault(peer, deque())
        now = self.clock()
        while q and now - q[0] >= WINDOW_S:
            q.popleft()
        if not q:
            self.failures.pop(peer, None)
            q = self.failures.setdefault(peer, deque())
        return q

    def limited(self, peer: str) -> bool:
        return len(self._window(peer)) >= self.limit

    def fail(self, peer: str) -> None:
        self._window(peer).append(self.clock())
        if len(self.failures) > MAX_PEERS:  # many addresses (a remote bind): forget the ones whose minute is over
            now = self.clock()
            for p in [p for p, q in self.failures.items() if not q or now - q[-1] >= WINDOW_S]:
                self.failures.pop(p, None)
                self.limited_noted.pop(p, None)

    def first_refusal(self, peer: str) -> bool:
        """True once per window in which ``peer`` is refused with 429 (so the journal gets one line, not a flood)."""
        q = self._window(peer)
        start = q[0] if q else self.clock()
        if self.limited_noted.get(peer) == start:
            return False
        self.limited_noted[peer] = start
        return True


def _error(status: int, text: str, **headers: str) -> web.Response:
    return web.json_response({"error": text}, status=status, headers={"Cache-Control": "no-store", **headers})


def middleware(tokens: Tokens, failed: FailedAuth, journal: Callable[[str], None]) -> Any:
    """The aiohttp middleware; ``journal(detail)`` records one ``auth_failed`` event."""

    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if {k.lower() for k in request.query} & URL_TOKEN_PARAMS:
            return _error(400, "tokens go in the Authorization header, never in the URL")
        if is_public(request.path):
            return await handler(request)
        peer = request.remote or "?"
        where = f"{request.method} {request.path}"
        if failed.limited(peer):
            if failed.first_refusal(peer):
                journal(f"client {peer} {where}: {failed.limit} failed authentications within a minute; refused (429)")
            return _error(429, "too many failed authentications; wait a minute", **{"Retry-After": "60"})
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        who = tokens.who(value.strip()) if scheme.lower() == "bearer" else None
        if who is None:
            failed.fail(peer)
            why = (
                "no bearer token"
                if not header
                else "wrong token"
                if scheme.lower() == "bearer"
                else "not a bearer token"
            )
            log.warning("api.auth_failed peer=%s request=%s why=%s", peer, where, why)
            journal(f"client {peer} {where}: {why}")
            return _error(401, "unauthorized", **{"WWW-Authenticate": 'Bearer realm="arb"'})
        request[WHO] = who
        resp = await handler(request)
        if not resp.prepared:  # a stream set its own headers when it started
            resp.headers["Cache-Control"] = "no-store"
        return resp

    return auth
