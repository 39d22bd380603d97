"""The one polling helper: wait for a state that has no event to await, under a deadline (never a bare sleep)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any


async def eventually(
    check: Callable[[], Any], timeout_s: float = 10.0, interval_s: float = 0.01, what: str | None = None
) -> Any:
    """Poll ``check`` (sync or async) until it returns a truthy value and return that value.

    Raises :class:`TimeoutError` naming ``what`` (default: the check's name) when ``timeout_s`` passes first.
    The deadline bounds a hang; it is not a timing assertion, so be generous.
    """
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                value = check()
                if inspect.isawaitable(value):
                    value = await value
                if value:
                    return value
                await asyncio.sleep(interval_s)
    except TimeoutError:
        name = what or getattr(check, "__qualname__", repr(check))
        raise TimeoutError(f"not true within {timeout_s} s: {name}") from None
