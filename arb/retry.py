"""One retry policy for arb: jittered, capped exponential back-off on tenacity.

Used for idempotent venue calls and look-ups (:func:`arb.trade.orders.idempotent`), market loading
and stream reconnects (:mod:`arb.scan.feeds`) and alert delivery (:mod:`arb.notify`). arb's own
pacing (order-rate windows) stays on asyncio-throttle.

The delay before retry ``n`` (0-based) is ``min(cap, base·2ⁿ)`` times a random factor in
``[0.5, 1]``: never above the cap, never below half of it, so retries spread out without bunching.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt, stop_never
from tenacity.retry import retry_base
from tenacity.wait import wait_base


@dataclass(frozen=True, slots=True)
class Backoff(wait_base):
    """Jittered exponential back-off: ``min(cap_s, base_s·2ⁿ)·U[0.5, 1]`` before retry ``n``."""

    base_s: float = 0.1
    cap_s: float = 30.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry ``attempt`` (0 = the first retry)."""
        r = rng if rng is not None else self.rng
        return min(self.cap_s, self.base_s * (2 ** min(max(attempt, 0), 30))) * (0.5 + r.random() / 2)

    def __call__(self, retry_state: RetryCallState) -> float:  # tenacity's wait protocol
        return self.delay(retry_state.attempt_number - 1)


def retrying(
    backoff: Backoff,
    retry: retry_base,
    *,
    attempts: int | None = None,
    before_sleep: Callable[[RetryCallState], Any] | None = None,
    after: Callable[[RetryCallState], None] | None = None,
    retry_error_callback: Callable[[RetryCallState], Any] | None = None,
) -> AsyncRetrying:
    """An async retrier: ``attempts`` tries in all (None = until it succeeds), waits from ``backoff``;
    the last error is re-raised (or ``retry_error_callback``'s value returned)."""
    hooks: dict[str, Any] = {
        k: v
        for k, v in (("before_sleep", before_sleep), ("after", after), ("retry_error_callback", retry_error_callback))
        if v is not None
    }
    return AsyncRetrying(
        stop=stop_never if attempts is None else stop_after_attempt(attempts),
        wait=backoff,
        retry=retry,
        reraise=True,
        **hooks,
    )
