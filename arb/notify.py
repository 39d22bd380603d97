"""Alerts through apprise: asynchronous, rate-limited, de-duplicated, never blocking the scanner.

Producers (:meth:`Notifier.episode_started`, :meth:`~Notifier.episode_ended`,
:meth:`~Notifier.health`, :meth:`~Notifier.send`) are plain sync calls that decide, format and
``put_nowait`` into one bounded queue per target; they never wait. :meth:`Notifier.run` has one
worker per target, so a dead or slow target delays only itself. Each delivery uses
``Apprise.async_notify`` (apprise runs blocking plugins in its own worker threads, so the event
loop never blocks), bounded by ``timeout_s``, retried ``retries`` times with jittered exponential
back-off; a target that still fails is logged (``logging.getLogger(__name__)``) and skipped.

Rules:
- De-duplication: an identical (title, body) within ``dedupe_window_s`` is sent once.
- Throttling per key: at most one episode-start message per (symbol, buy venue, sell venue) per
  ``min_interval_s``; the end summary goes out only for episodes whose start was announced, so
  a flapping pair cannot flood. ``send(key=...)`` throttles its key the same way.
- Health: a venue's status is sent when it changes; the same status again is suppressed for
  ``dedupe_window_s`` (a reminder after that). Transitions are never hidden, unlike a plain
  per-(venue, status) window which would swallow "stale" after a quick "recovered".
- Decimals are printed exactly (``format(d, "f")``); only derived ratios (net profit, bps) are
  rounded for display (8 and 2 places).
- Secrets: URLs carry tokens, so logs name a target only as ``#i scheme://…``. apprise's own
  logger ("apprise") prints full URLs at DEBUG only; keep it at INFO or above.

``stats``: ``queued`` messages accepted; ``sent``/``failed``/``retried``/``dropped`` count
deliveries per target (``dropped``: target queue full, or still queued when ``close`` gave up);
``throttled``/``deduped`` messages refused. With no URLs every call is a no-op that still counts.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import apprise
from tenacity import RetryCallState, retry_if_result

from arb.core.errors import ConfigError
from arb.core.model import Episode, Opportunity
from arb.redaction import add_url_secrets, scrub
from arb.retry import Backoff, retrying

log = logging.getLogger(__name__)

KINDS = ("info", "success", "warning", "failure")
HEALTHY = ("ok", "up", "recovered", "connected")
MAX_BACKOFF_S = 60.0
_PRUNE_AT = 4096  # entries in a throttle/dedupe table before expired ones are pruned
_ANNOUNCED_MAX = 10_000
_TIMEOUT_KW = "timeout" in inspect.signature(apprise.Apprise.notify).parameters  # apprise ≥ 2.x


def _num(d: Decimal, places: int | None = None) -> str:
    """A Decimal as plain text, exactly; rounded half-even only when it has more than ``places``."""
    exp = d.as_tuple().exponent
    if places is not None and isinstance(exp, int) and exp < -places:
        d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return format(d, "f")


def _assets(symbol: str) -> tuple[str, str]:
    base, _, rest = symbol.partition("/")
    return base, rest.split(":")[0] or "quote"


def _label(index: int, url: str) -> str:
    """A target as logs may show it: its position and scheme, never host, path or token."""
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    return f"#{index} {scheme}://…"


def start_message(ep: Episode, opp: Opportunity) -> tuple[str, str]:
    """Title and body announcing an episode from its current opportunity."""
    base, quote = _assets(ep.symbol)
    title = f"arb {ep.symbol} {ep.buy_venue}→{ep.sell_venue} {_num(opp.net_bps, 2)} bps"
    body = "\n".join(
        [
            f"buy {_num(opp.buy.amount)} {base} on {ep.buy_venue} @ {_num(opp.buy.vwap)}"
            f" (limit {_num(opp.buy.limit_price)})",
            f"sell {_num(opp.sell.amount)} {base} on {ep.sell_venue} @ {_num(opp.sell.vwap)}"
            f" (limit {_num(opp.sell.limit_price)})",
            f"net profit {_num(opp.net_profit, 8)} {quote} = {_num(opp.net_bps, 2)} bps"
            f" (cost {_num(opp.cost, 8)}, fees {_num(opp.fees_quote, 8)} {quote})",
            *([transfer_line(ep)] if ep.transferable is not None else []),
            f"episode {ep.id}",
        ]
    )
    return title, body


def transfer_line(ep: Episode) -> str:
    """Whether the episode's inventory can be restored by transfers (arb.inventory.marks), for alerts."""
    _, quote = _assets(ep.symbol)
    cost = "" if ep.transfer_cost is None else f", {_num(ep.transfer_cost, 8)} {quote} per unit to restore"
    return f"transferable {ep.transferable}{cost}: {ep.transfer_detail or ''}"


def end_message(ep: Episode) -> tuple[str, str]:
    """Title and body summarising a finished episode."""
    _, quote = _assets(ep.symbol)
    reason = ep.end_reason or "open"
    lines = [f"duration {_num(Decimal(ep.duration_ms).scaleb(-3))} s, {ep.evaluations} evaluations"]
    if ep.peak is not None:
        lines.append(
            f"peak net profit {_num(ep.peak.net_profit, 8)} {quote} = {_num(ep.peak.net_bps, 2)} bps"
            f" on {_num(ep.peak.buy.amount)} {_assets(ep.symbol)[0]}"
        )
    lines += [f"end reason {reason}", f"episode {ep.id}"]
    return f"arb {ep.symbol} {ep.buy_venue}→{ep.sell_venue} ended ({reason})", "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Alert:
    title: str
    body: str
    kind: str = "info"


class _Target:
    def __init__(self, index: int, url: str, max_queue: int) -> None:
        self.label = _label(index, url)
        self.apprise = apprise.Apprise()
        if not self.apprise.add(url):
            raise ConfigError(f"notify.urls[{index}] ({self.label}) is not a URL apprise understands; fix it")
        self.queue: asyncio.Queue[Alert] = asyncio.Queue(maxsize=max_queue)


class Notifier:
    """apprise targets fed by non-blocking producers; :meth:`run` delivers, :meth:`close` drains."""

    def __init__(
        self,
        urls: list[str],
        *,
        min_interval_s: float = 30,
        dedupe_window_s: float = 300,
        max_queue: int = 1000,
        retries: int = 3,
        backoff_s: float = 0.5,
        timeout_s: float = 10,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_interval_s = min_interval_s
        self.dedupe_window_s = dedupe_window_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self._clock = clock
        add_url_secrets(*urls)  # the URLs carry tokens: never in a log line or an alert
        self._targets = [_Target(i, url, max_queue) for i, url in enumerate(urls)]
        self.stats: dict[str, int] = dict.fromkeys(
            ("queued", "sent", "failed", "retried", "throttled", "deduped", "dropped"), 0
        )
        self._seen: dict[tuple[str, str], float] = {}  # (title, body) → when queued
        self._last: dict[Hashable, float] = {}  # throttle key → when queued
        self._health: dict[str, tuple[str, float]] = {}  # venue → (status, when queued)
        self._announced: dict[str, None] = {}  # episode ids whose start went out (ordered set)
        self._stop = asyncio.Event()
        self._running = False
        self._closed = False

    # ---- producers: sync, never block ----------------------------------------------------
    def episode_started(self, ep: Episode) -> bool:
        """Announce an episode (rate-limited per key); returns whether it was queued."""
        opp = ep.last or ep.peak
        if opp is None:
            return False
        title, body = start_message(ep, opp)
        if not self._offer(Alert(title, body), key=("start", *ep.key)):
            return False
        self._announced[ep.id] = None
        if len(self._announced) > _ANNOUNCED_MAX:
            del self._announced[next(iter(self._announced))]
        return True

    def episode_ended(self, ep: Episode) -> bool:
        """Summarise an episode whose start was announced (else counted as throttled)."""
        if ep.id not in self._announced:
            self.stats["throttled"] += 1
            return False
        del self._announced[ep.id]
        title, body = end_message(ep)
        return self._offer(Alert(title, body))

    def health(self, venue: str, status: str, detail: str) -> bool:
        """A venue's health (down, stale, recovered…): sent on change, repeats suppressed."""
        now = self._clock()
        last = self._health.get(venue)
        if last is not None and last[0] == status and now - last[1] < self.dedupe_window_s:
            self.stats["deduped"] += 1
            return False
        kind = "success" if status in HEALTHY else "warning"
        if not self._offer(Alert(f"arb {venue} {status}", detail, kind), dedupe=False):
            return False
        self._health[venue] = (status, now)
        return True

    def send(self, title: str, body: str, *, key: str | None = None, kind: str = "info", dedupe: bool = True) -> bool:
        """Any alert (fills, halts, heartbeat); ``key`` throttles like episode starts; ``dedupe=False`` for
        transitions that must never be hidden (a network suspended again after it resumed)."""
        if kind not in KINDS:
            raise ValueError(f"notify kind must be one of {KINDS}, got {kind!r}")
        return self._offer(Alert(title, body, kind), key=None if key is None else ("send", key), dedupe=dedupe)

    def _offer(self, alert: Alert, *, key: Hashable | None = None, dedupe: bool = True) -> bool:
        alert = Alert(scrub(alert.title), scrub(alert.body), alert.kind)  # error texts may quote a credential
        if self._closed:
            self.stats["dropped"] += 1
            return False
        now = self._clock()
        self._prune(now)
        fingerprint = (alert.title, alert.body)
        seen = self._seen.get(fingerprint)
        if dedupe and seen is not None and now - seen < self.dedupe_window_s:
            self.stats["deduped"] += 1
            return False
        if key is not None:
            last = self._last.get(key)
            if last is not None and now - last < self.min_interval_s:
                self.stats["throttled"] += 1
                return False
            self._last[key] = now
        self._seen[fingerprint] = now
        self.stats["queued"] += 1
        accepted = not self._targets
        for target in self._targets:
            try:
                target.queue.put_nowait(alert)
                accepted = True
            except asyncio.QueueFull:
                self.stats["dropped"] += 1
                log.warning("notify.dropped target=%s reason=queue_full title=%r", target.label, alert.title)
        return accepted

    def _prune(self, now: float) -> None:
        if len(self._seen) > _PRUNE_AT:
            self._seen = {k: t for k, t in self._seen.items() if now - t < self.dedupe_window_s}
        if len(self._last) > _PRUNE_AT:
            self._last = {k: t for k, t in self._last.items() if now - t < self.min_interval_s}

    # ---- consumer -------------------------------------------------------------------------
    async def run(self) -> None:
        """Deliver until :meth:`close`; one worker per target. Never raises (except cancellation)."""
        if self._running:
            raise RuntimeError("Notifier.run() is already running")
        self._running = True
        try:
            async with asyncio.TaskGroup() as tg:
                workers = [tg.create_task(self._work(t)) for t in self._targets]
                await self._stop.wait()
                for worker in workers:
                    worker.cancel()
        finally:
            self._running = False

    async def close(self, timeout_s: float = 5) -> None:
        """Stop accepting, deliver what is queued within ``timeout_s``, count the rest as dropped."""
        self._closed = True
        try:
            async with asyncio.timeout(timeout_s):
                if self._running:
                    await asyncio.gather(*(t.queue.join() for t in self._targets))
                else:
                    await asyncio.gather(*(self._work(t, until_empty=True) for t in self._targets))
        except TimeoutError:
            pass
        finally:
            self._stop.set()
            left = 0
            for target in self._targets:
                while not target.queue.empty():
                    target.queue.get_nowait()
                    target.queue.task_done()
                    left += 1
            if left:
                self.stats["dropped"] += left
                log.warning("notify.close dropped=%d reason=timeout timeout_s=%s", left, timeout_s)

    async def _work(self, target: _Target, *, until_empty: bool = False) -> None:
        while not (until_empty and target.queue.empty()):
            alert = await target.queue.get()
            try:
                await self._deliver(target, alert)
            except asyncio.CancelledError:
                self.stats["dropped"] += 1
                raise
            except Exception as e:  # a bug must not kill delivery for the other alerts
                self.stats["failed"] += 1
                log.error("notify.error target=%s error=%s", target.label, type(e).__name__)
            finally:
                target.queue.task_done()

    async def _deliver(self, target: _Target, alert: Alert) -> None:
        tries = self.retries + 1

        def retried(state: RetryCallState) -> None:
            self.stats["retried"] += 1

        def failed(state: RetryCallState) -> None:
            reason = state.outcome.result() if state.outcome is not None else "?"
            log.debug(
                "notify.retry target=%s attempt=%d/%d reason=%s", target.label, state.attempt_number, tries, reason
            )

        retry = retrying(
            Backoff(self.backoff_s, MAX_BACKOFF_S),
            retry_if_result(bool),  # a non-empty reason is a failed send
            attempts=tries,
            after=failed,
            before_sleep=retried,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome is not None else "?",
        )
        reason: str = await retry(self._attempt, target, alert)
        if not reason:
            self.stats["sent"] += 1
            return
        self.stats["failed"] += 1
        log.warning(
            "notify.failed target=%s attempts=%d reason=%s title=%r",
            target.label,
            tries,
            reason,
            alert.title,
        )

    async def _attempt(self, target: _Target, alert: Alert) -> str:
        """One send; '' on success, else a reason that never contains the URL."""
        kwargs: dict[str, Any] = {"body": alert.body, "title": alert.title, "notify_type": alert.kind}
        if _TIMEOUT_KW:
            kwargs["timeout"] = self.timeout_s
        try:
            async with asyncio.timeout(self.timeout_s):
                result = await target.apprise.async_notify(**kwargs)
        except TimeoutError:
            return "timeout"
        except Exception as e:
            return type(e).__name__  # str(e) may carry the URL
        if result:
            return ""
        status = getattr(result, "status", None)
        return getattr(status, "name", "failure").lower()
