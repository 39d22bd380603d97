"""Start a coroutine now, in the caller's task, and let a task of its own finish it (Python 3.12's eager tasks).

At a decision the trader is on a feed's task; a task created there runs only after everything already queued on
the event loop (other feeds' updates, their evaluations): about a millisecond on a busy loop. :func:`start_now`
instead runs the coroutine's first step right away — for a WebSocket order, ccxt builds, signs and writes the
frame, then waits for the venue's answer — and hands the rest to a task. Only the standard coroutine protocol
(``send``/``throw``) and public asyncio are used.

The first step runs in a copy of the caller's context (the task that finishes it uses the same copy, as a task
would), but ``asyncio.current_task()`` is the caller's during it. So only code that does not take the current
task before its first wait may be started this way: ``asyncio.timeout`` and aiohttp's request timers do (an HTTP
request must not be); ccxt's WebSocket order path and the executor's own steps before it do not.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def start_now(coro: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    """Run ``coro`` until it first waits, here; the returned future (a task, or done) gives its result."""
    loop = asyncio.get_running_loop()
    ctx = contextvars.copy_context()
    try:
        waiting = ctx.run(coro.send, None)
    except StopIteration as stop:
        done: asyncio.Future[T] = loop.create_future()
        done.set_result(stop.value)
        return done
    except asyncio.CancelledError:
        done = loop.create_future()
        done.cancel()
        return done
    except Exception as e:  # as a task would hold it: raised where the future is awaited
        done = loop.create_future()
        done.set_exception(e)
        return done
    return loop.create_task(_finish(_Resumed(coro, waiting)), context=ctx)


async def _finish(rest: _Resumed[T]) -> T:
    return await rest


class _Resumed(Generic[T]):
    """The rest of a coroutine that already ran its first step and is waiting on ``waiting``: awaiting this
    waits on that, then drives the coroutine on (values sent and exceptions thrown in, such as a cancellation)."""

    def __init__(self, coro: Coroutine[Any, Any, T], waiting: Any) -> None:
        self._coro, self._waiting = coro, waiting

    def __await__(self) -> Generator[Any, Any, T]:
        coro, waiting = self._coro, self._waiting
        while True:
            try:
                sent = yield waiting
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as e:  # thrown in by the task (a cancellation): where the coroutine waits
                try:
                    waiting = coro.throw(e)
                except StopIteration as stop:
                    return stop.value
                continue
            try:
                waiting = coro.send(sent)
            except StopIteration as stop:
                return stop.value
