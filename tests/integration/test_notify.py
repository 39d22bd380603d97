"""Notifier → apprise → a real local HTTP receiver (json://127.0.0.1:PORT): delivery, throttling,
de-duplication, dead and slow targets. Counts and ordering only; no wall-clock assertions."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any

import pytest

from arb.core.errors import ConfigError
from arb.core.model import Episode, Leg, Opportunity
from arb.notify import Notifier, end_message, start_message
from tests.receiver import Receiver, closed_port_url

D = Decimal


def opportunity(net_bps: str = "12.5", net_profit: str = "1.1985") -> Opportunity:
    amount = D("0.015")
    return Opportunity(
        symbol="BTC/USDT",
        buy=Leg("okx", "buy", amount, D("64000.10"), D("64000.20"), D("64010.0"), D("0.96"), 2),
        sell=Leg("binance", "sell", amount, D("64100.2"), D("64100.0"), D("64090.00"), D("0.9615"), 1),
        cost=D("960.0015"),
        proceeds=D("961.2"),
        gross_profit=D("3.12"),
        fees_quote=D("1.9215"),
        net_profit=D(net_profit),
        net_bps=D(net_bps),
    )


def episode(ep_id: str, *, buy: str = "okx", sell: str = "binance", ended: bool = False) -> Episode:
    opp = opportunity()
    return Episode(
        id=ep_id,
        symbol="BTC/USDT",
        buy_venue=buy,
        sell_venue=sell,
        start_ms=1_000,
        last_ms=9_000,
        evaluations=42,
        peak=opp,
        last=opp,
        end_ms=9_250 if ended else None,
        end_reason="gap" if ended else None,
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def titles(posts: list[dict[str, Any]]) -> list[str]:
    return [p["title"] for p in posts]


async def test_episode_start_and_end_reach_the_receiver() -> None:
    async with Receiver() as rx:
        notifier = Notifier([rx.url])
        task = asyncio.create_task(notifier.run())
        ep = episode("e1")
        assert notifier.episode_started(ep)
        ep.end_ms, ep.end_reason = 9_250, "gap"
        assert notifier.episode_ended(ep)
        start, end = await rx.wait_for(2)
        await notifier.close()
        await task
    assert start["type"] == "info" and start["title"] == "arb BTC/USDT okx→binance 12.5 bps"
    assert start["message"].splitlines() == [
        "buy 0.015 BTC on okx @ 64000.10 (limit 64010.0)",
        "sell 0.015 BTC on binance @ 64100.2 (limit 64090.00)",
        "net profit 1.1985 USDT = 12.5 bps (cost 960.0015, fees 1.9215 USDT)",
        "episode e1",
    ]
    assert end["title"] == "arb BTC/USDT okx→binance ended (gap)"
    assert end["message"].splitlines() == [
        "duration 8.250 s, 42 evaluations",
        "peak net profit 1.1985 USDT = 12.5 bps on 0.015 BTC",
        "end reason gap",
        "episode e1",
    ]
    assert notifier.stats["sent"] == 2 and notifier.stats["failed"] == 0


def test_decimals_are_printed_exactly_and_ratios_rounded_for_display() -> None:
    ep = episode("e2")
    opp = opportunity(net_bps="12.34567890123456789", net_profit="0.00000001")
    title, body = start_message(ep, opp)
    assert title.endswith(" 12.35 bps")
    assert "net profit 0.00000001 USDT" in body  # not 1E-8, not a float
    ep.peak = opportunity(net_profit="1E+2")
    assert "peak net profit 100 USDT" in end_message(ep)[1]


async def test_throttling_and_dedupe_observed_at_the_receiver() -> None:
    clock = FakeClock()
    async with Receiver() as rx:
        notifier = Notifier([rx.url], min_interval_s=30, dedupe_window_s=300, clock=clock)
        task = asyncio.create_task(notifier.run())
        assert notifier.episode_started(episode("a"))
        clock.now += 1
        assert not notifier.episode_started(episode("b"))  # same (symbol, buy, sell) within 30 s
        assert notifier.episode_started(episode("c", sell="bybit"))  # another key
        assert not notifier.episode_ended(episode("b", ended=True))  # its start never went out
        assert notifier.episode_ended(episode("a", ended=True))
        clock.now += 30
        assert notifier.episode_started(episode("d"))  # interval over

        assert notifier.send("halt", "daily loss limit hit", kind="failure")
        assert not notifier.send("halt", "daily loss limit hit", kind="failure")  # identical: deduped
        assert notifier.send("fill", "okx buy 0.015", key="fills")
        assert not notifier.send("fill", "okx buy 0.016", key="fills")  # same key within 30 s
        clock.now += 300
        assert notifier.send("halt", "daily loss limit hit", kind="failure")  # window over

        assert notifier.health("okx", "stale", "book too old")
        assert not notifier.health("okx", "stale", "book 4100 ms old")  # same status: suppressed
        assert notifier.health("okx", "recovered", "fresh again")
        assert notifier.health("okx", "stale", "book too old")  # a transition is never hidden

        await rx.wait_for(10)
        await notifier.close()
        await task
    assert titles(rx.posts) == [
        "arb BTC/USDT okx→binance 12.5 bps",
        "arb BTC/USDT okx→bybit 12.5 bps",
        "arb BTC/USDT okx→binance ended (gap)",
        "arb BTC/USDT okx→binance 12.5 bps",
        "halt",
        "fill",
        "halt",
        "arb okx stale",
        "arb okx recovered",
        "arb okx stale",
    ]
    assert [p["type"] for p in rx.posts[4:]] == ["failure", "info", "failure", "warning", "success", "warning"]
    assert notifier.stats == {
        "queued": 10,
        "sent": 10,
        "failed": 0,
        "retried": 0,
        "throttled": 3,
        "deduped": 2,
        "dropped": 0,
    }


async def test_dead_targets_are_retried_never_block_and_good_ones_still_receive(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="arb.notify")
    async with Receiver(status=500) as dead, Receiver() as good:
        refused = closed_port_url()
        notifier = Notifier([dead.url, refused, good.url], retries=2, backoff_s=0.01, timeout_s=5)
        # Producers only enqueue: all five return before anything is delivered.
        assert all(notifier.send(f"alert {i}", "body") for i in range(5))
        assert good.requests == [] and dead.requests == []

        task = asyncio.create_task(notifier.run())
        await good.wait_for(5)
        await dead.wait_for_requests(5 * 3)  # first try + 2 retries each, answered 500

        dead.status = 200  # the dead target comes back: later alerts reach it
        assert notifier.send("after", "recovered")
        await dead.wait_for(1)
        await good.wait_for(6)
        await notifier.close()
        await task  # returns normally: failures never raise out of run()

    assert titles(good.posts) == [f"alert {i}" for i in range(5)] + ["after"]
    assert titles(dead.posts) == ["after"] and len(dead.requests) == 16
    assert notifier.stats["sent"] == 7
    assert notifier.stats["failed"] == 11  # 5 to the 500 target, 6 to the closed port
    assert notifier.stats["retried"] == 11 * 2 and notifier.stats["dropped"] == 0
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "arb.notify")
    assert "notify.failed target=#0 json://…" in logged and "notify.failed target=#1 json://…" in logged
    assert "127.0.0.1" not in logged and str(dead.port) not in logged and "/hook" not in logged


async def test_a_slow_target_delays_only_itself() -> None:
    async with Receiver() as slow, Receiver() as good:
        slow.hold()
        notifier = Notifier([slow.url, good.url])
        task = asyncio.create_task(notifier.run())
        assert notifier.send("one", "1")
        await slow.wait_for_requests(1)  # held open: the server on this very loop still runs
        assert notifier.send("two", "2")
        assert titles(await good.wait_for(2)) == ["one", "two"]  # the good target does not wait
        assert slow.posts == []
        slow.release()
        assert titles(await slow.wait_for(2)) == ["one", "two"]
        await notifier.close()
        await task


async def test_a_hung_target_times_out_and_is_retried() -> None:
    async with Receiver() as hung:
        hung.hold()
        notifier = Notifier([hung.url], retries=1, backoff_s=0.01, timeout_s=0.2)
        task = asyncio.create_task(notifier.run())
        assert notifier.send("stuck", "body")
        await notifier.close(timeout_s=10)  # waits for the delivery to give up
        await task
        assert len(hung.requests) == 2
    assert notifier.stats["failed"] == 1 and notifier.stats["retried"] == 1 and notifier.stats["sent"] == 0


async def test_close_without_run_delivers_and_then_refuses() -> None:
    async with Receiver() as rx:
        notifier = Notifier([rx.url])
        assert notifier.send("a", "1") and notifier.send("b", "2")
        await notifier.close()
        assert titles(rx.posts) == ["a", "b"]
        assert not notifier.send("c", "3")
    assert notifier.stats["dropped"] == 1 and notifier.stats["sent"] == 2


async def test_close_gives_up_after_its_timeout_and_counts_the_rest() -> None:
    async with Receiver() as hung:
        hung.hold()
        notifier = Notifier([hung.url], retries=0, timeout_s=30)
        for i in range(3):
            notifier.send(f"m{i}", "body")
        await notifier.close(timeout_s=0.2)
    assert notifier.stats["dropped"] == 3 and notifier.stats["sent"] == 0


async def test_no_urls_is_a_noop_that_still_counts() -> None:
    notifier = Notifier([])
    task = asyncio.create_task(notifier.run())
    assert notifier.send("a", "1")
    assert not notifier.send("a", "1")
    assert notifier.episode_started(episode("e"))
    await notifier.close()
    await task
    assert notifier.stats["queued"] == 2 and notifier.stats["deduped"] == 1 and notifier.stats["sent"] == 0


def test_a_bad_url_is_a_config_error_without_the_secret() -> None:
    with pytest.raises(ConfigError) as excinfo:
        Notifier(["nosuchscheme://secret-token@example.invalid/x"])
    assert "notify.urls[0]" in str(excinfo.value) and "secret-token" not in str(excinfo.value)
    with pytest.raises(ValueError, match="kind"):
        Notifier([]).send("t", "b", kind="panic")
