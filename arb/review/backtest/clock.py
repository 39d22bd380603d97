"""Virtual time for replays: an asyncio loop whose clock jumps to the next timer, and the replay clock."""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _VirtualSelector:
    """Wraps the loop's selector: a wait for the next timer advances virtual time instead."""

    def __init__(self, selector: selectors.BaseSelector, loop: VirtualTimeLoop) -> None:
        self._sel, self._loop = selector, loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None and timeout > 0:
            self._loop.advance(timeout)
            timeout = 0
        return self._sel.select(timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sel, name)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time: ``time()`` only moves when every task waits on a timer."""

    virtual_time = True  # work done on other threads would let time jump meanwhile: do it on the loop instead

    def __init__(self, start_s: float = 0.0) -> None:
        super().__init__()
        self._now = start_s
        self._selector = _VirtualSelector(self._selector, self)  # type: ignore[has-type,arg-type]  # duck-typed

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def skip_to(self, when: float) -> bool:
        """Move the clock to ``when`` without an event-loop step, if that step would do nothing else.

        True when no callback is ready and no timer is due at or before ``when``: then
        ``await asyncio.sleep(when - time())`` would only advance the clock (by the same float
        arithmetic as here) and resume the caller, so the replay skips that loop step. False (clock
        untouched): the caller sleeps as usual and the loop runs what is due in its order.
        """
        # asyncio's own queue of ready callbacks and its timer heap (BaseEventLoop internals; cancelled
        # timers still in the heap count as due, which only costs the step)
        if self._ready:  # type: ignore[attr-defined]
            return False
        scheduled: list[asyncio.TimerHandle] = self._scheduled  # type: ignore[attr-defined]
        if scheduled and scheduled[0].when() <= when + self._clock_resolution:  # type: ignore[attr-defined]
            return False
        now = self._now
        if when > now:
            self._now = now + (when - now)
        return True


def run_virtual(main: Coroutine[Any, Any, T], start_s: float = 0.0) -> T:
    """``asyncio.run`` on a :class:`VirtualTimeLoop` starting at ``start_s``."""
    with asyncio.Runner(loop_factory=lambda: VirtualTimeLoop(start_s)) as runner:
        return runner.run(main)


class ReplayClock:
    """Recorded time: monotonic ms from the loop, wall ms anchored at the last record's receive time."""

    def __init__(self, t_ms: int, m_ms: int) -> None:
        self.t_ms, self.m_ms = t_ms, m_ms

    def set(self, t_ms: int, m_ms: int) -> None:
        self.t_ms, self.m_ms = t_ms, m_ms

    def mono(self) -> int:
        return round(asyncio.get_running_loop().time() * 1000)

    def wall(self) -> int:
        try:
            return self.t_ms + (self.mono() - self.m_ms)
        except RuntimeError:  # no loop (closing): the last record's time
            return self.t_ms
