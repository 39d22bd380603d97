"""``collector_held``: no automatic cyclic collection overlaps a short synchronous section (a decision's commit and
order frames, :meth:`arb.trade.executor.Executor.begin`); what it held off is collected right after."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

from arb.trade.collector import collector_held, settle_heap


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_no_collection_inside_and_the_held_off_one_runs_right_after() -> None:
    seen: list[str] = []
    where = {"inside": False}

    def noted(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append("inside" if where["inside"] else "after")

    thresholds = gc.get_threshold()
    gc.callbacks.append(noted)
    try:
        gc.set_threshold(10, 10**6, 10**6)
        with collector_held():
            where["inside"] = True
            assert not gc.isenabled()
            cycles = [Cycle() for _ in range(200)]  # would collect about twenty times
            where["inside"] = False
        assert gc.isenabled()
        del cycles
        _ = [Cycle() for _ in range(20)]  # the next allocations collect
    finally:
        gc.callbacks.remove(noted)
        gc.set_threshold(*thresholds)
    assert "inside" not in seen and "after" in seen, seen


def test_a_collector_disabled_before_stays_disabled_and_an_error_re_enables() -> None:
    gc.disable()
    try:
        with collector_held():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the application's choice is kept
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), collector_held():
        raise RuntimeError("boom")
    assert gc.isenabled()


async def test_settle_heap_freezes_what_is_alive_and_later_garbage_is_still_collected() -> None:
    gc.unfreeze()
    alive = Cycle()
    try:
        await settle_heap()
        assert gc.get_freeze_count() > 0
        assert not any(o is alive for o in gc.get_objects())  # frozen: out of every generation's walk
        later = Cycle()
        ref = weakref.ref(later)
        del later
        gc.collect()
        assert ref() is None  # cycles made after start-up are collected as before
    finally:
        gc.unfreeze()
