"""Order I/O shared by the executor, reconcile and the trader: the venue protocol, idempotent
retries, and the router that turns each venue's ``watch_orders`` stream into per-order outcomes.

Rules (DESIGN "Execution rules"):
* Only idempotent requests (``fetch_*``) are retried, only on ``ccxt.NetworkError`` or a local
  timeout, with jittered exponential back-off. ``create_order`` is never retried here.
* ccxt's ``enableRateLimit`` paces each client; an ``asyncio_throttle.Throttler`` paces arb's own
  bursts (reconcile sweeps, balance refreshes, REST fall-backs) and is never used for order sends.
* A venue's order updates are routed by client order id to the leg waiting for them; unknown ids
  and malformed updates are logged and counted (and handed to ``on_unknown`` for reconciliation),
  never raised into the engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

import ccxt.pro as ccxtpro
from tenacity import RetryCallState, retry_if_exception_type

from arb.core.ledger import TERMINAL, journal_state
from arb.retry import Backoff, retrying

log = logging.getLogger(__name__)
T = TypeVar("T")
IDEMPOTENT_CAP_S = 2.0  # cap of one back-off step between idempotent retries

DONE_MAX = 1000
CLIENT_ID_KEYS = ("clientOrderId", "clOrdId", "newClientOrderId", "orderLinkId", "origClientOrderId")


class VenueClient(Protocol):
    """The ccxt-shaped calls the executor uses; a ccxt.pro exchange or a :class:`arb.trade.paper.PaperVenue`."""

    id: str
    has: Mapping[str, Any]

    async def create_order(
        self,
        symbol: str,
        type: str,
        side: str,
        amount: float,
        price: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]: ...
    async def fetch_order(
        self, id: str | None, symbol: str | None = None, params: dict[str, Any] | None = None
    ) -> dict[str, Any]: ...
    async def cancel_order(
        self, id: str, symbol: str | None = None, params: dict[str, Any] | None = None
    ) -> dict[str, Any]: ...
    async def fetch_balance(self, params: dict[str, Any] | None = None) -> dict[str, Any]: ...
    async def watch_orders(
        self,
        symbol: str | None = None,
        since: int | None = None,
        limit: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]: ...


def brief(e: BaseException) -> str:
    """One line for an error: class name and the first line of its message (no URLs of secrets)."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {text[:300]}" if text else type(e).__name__


def client_id_of(order: Mapping[str, Any]) -> str | None:
    cid = order.get("clientOrderId")
    if not cid:
        info = order.get("info") or {}
        if isinstance(info, Mapping):
            cid = next((info[k] for k in CLIENT_ID_KEYS if info.get(k)), None)
    return str(cid) if cid else None


async def idempotent(
    call: Callable[[], Awaitable[T]],
    *,
    timeout_s: float,
    attempts: int = 3,
    base_s: float = 0.05,
    throttle: Any | None = None,
) -> T:
    """Run an idempotent request with a timeout; retry on network errors with jittered back-off
    (:mod:`arb.retry`: ``attempts`` tries in all, delays from ``base_s`` doubling)."""

    async def once() -> T:
        if throttle is not None:
            await throttle.acquire()
        async with asyncio.timeout(timeout_s):
            return await call()

    def note(state: RetryCallState) -> None:
        e = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        log.info("venue.retry attempt=%d delay_s=%.3f error=%s", state.attempt_number, delay, brief(e) if e else "?")

    retry = retrying(
        Backoff(base_s, IDEMPOTENT_CAP_S),
        retry_if_exception_type((ccxtpro.NetworkError, TimeoutError)),
        attempts=attempts,
        before_sleep=note,
    )
    return await retry(once)


class OrderRouter:
    """Latest order update per (venue, client id) from ``watch_orders``, with waiters for final states."""

    def __init__(self, on_unknown: Callable[[str, Mapping[str, Any]], None] | None = None) -> None:
        self.on_unknown = on_unknown
        self.latest: dict[tuple[str, str], dict[str, Any]] = {}
        self._events: dict[tuple[str, str], asyncio.Event] = {}
        self._done: dict[tuple[str, str], None] = {}  # recently finished legs: late updates are expected
        self.unknown = 0
        self.malformed = 0
        self.updates = 0

    def expect(self, venue: str, client_id: str) -> None:
        self._events.setdefault((venue, client_id), asyncio.Event())

    def forget(self, venue: str, client_id: str) -> None:
        """The leg is settled: drop its state; late updates for it are ignored quietly."""
        self._events.pop((venue, client_id), None)
        self.latest.pop((venue, client_id), None)
        self._done[(venue, client_id)] = None
        if len(self._done) > DONE_MAX:
            del self._done[next(iter(self._done))]

    def on_order(self, venue: str, order: Any) -> None:
        """One order update from a venue; never raises."""
        try:
            if not isinstance(order, Mapping):
                raise TypeError(f"order update is a {type(order).__name__}")
            cid = client_id_of(order)
        except Exception as e:
            self.malformed += 1
            log.warning("order.malformed venue=%s error=%s", venue, brief(e))
            return
        self.updates += 1
        key = (venue, cid or "")
        event = self._events.get(key) if cid else None
        if event is None and key in self._done:
            return
        if event is None:
            self.unknown += 1
            log.warning(
                "order.unknown venue=%s client_id=%s id=%s status=%s", venue, cid, order.get("id"), order.get("status")
            )
            if self.on_unknown is not None:
                try:
                    self.on_unknown(venue, order)
                except Exception:  # a faulty hook must not stop the stream
                    log.exception("order.unknown_hook_failed venue=%s", venue)
            return
        self.latest[key] = dict(order)
        if journal_state(order.get("status")) in TERMINAL:
            event.set()

    async def wait(self, venue: str, client_id: str, timeout_s: float) -> dict[str, Any] | None:
        """The final update for an expected order, or the latest one seen (or None) after ``timeout_s``."""
        key = (venue, client_id)
        event = self._events.setdefault(key, asyncio.Event())
        try:
            async with asyncio.timeout(timeout_s):
                await event.wait()
        except TimeoutError:
            pass
        return self.latest.get(key)

    async def watch(self, venue: str, client: Any, stop: asyncio.Event, *, max_backoff_s: float = 5.0) -> None:
        """Feed this router from ``client.watch_orders()`` until ``stop``; reconnects with back-off."""
        attempt = 0
        while not stop.is_set():
            try:
                orders = await client.watch_orders()
                attempt = 0
            except asyncio.CancelledError:
                raise
            except Exception as e:  # network errors, auth, malformed frames: log and come back
                attempt += 1
                delay = Backoff(0.05, max_backoff_s).delay(attempt)
                log.warning("orders.watch_error venue=%s attempt=%d error=%s", venue, attempt, brief(e))
                try:
                    async with asyncio.timeout(delay):
                        await stop.wait()
                except TimeoutError:
                    pass
                continue
            for order in orders if isinstance(orders, list) else [orders]:
                self.on_order(venue, order)
