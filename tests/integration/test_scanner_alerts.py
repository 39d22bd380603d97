"""Scanner → apprise → a real local receiver; the library API; `arb opportunities` on a real journal."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import ccxt.pro as ccxtpro
import pytest

from arb.core.model import Limits
from arb.notify import Notifier
from arb.scan.scanner import Scanner
from exchanges.sim.harness import LoopbackExchanges
from exchanges.sim.market import Dislocation
from exchanges.sim.registry import available_venues
from tests.integration.test_scanner import wall_ms
from tests.kit.poll import eventually
from tests.kit.run import start_arb
from tests.receiver import Receiver, closed_port_url

VENUES = available_venues()
pytestmark = pytest.mark.skipif(len(VENUES) < 2, reason="needs two simulated venues")
START_TITLE = re.compile(r"arb BTC/USDT (\S+)→(\S+) -?\d+(?:\.\d+)? bps")
LIMITS = Limits(min_net_bps=Decimal("5"), min_net_profit=Decimal("0.5"), max_notional=Decimal("1000"))


async def test_alerts_reach_a_local_receiver_throttled_and_a_dead_target_is_harmless(tmp_path: Path) -> None:
    async with (
        Receiver() as rx,
        LoopbackExchanges(
            venues=VENUES, symbols=["BTC/USDT"], seed=4, update_interval_ms=50, dislocation_rate_per_min=0.0
        ) as sim,
    ):
        notifier = Notifier([rx.url, closed_port_url()], min_interval_s=60, retries=1, backoff_s=0.05)
        exchanges = {v: getattr(ccxtpro, v)(sim.ccxt_config(v, key=None)) for v in VENUES}
        scanner = Scanner(
            exchanges, ["BTC/USDT"], limits=LIMITS, notifier=notifier, own_exchanges=True, episode_gap_ms=150
        )
        task = asyncio.create_task(scanner.run())
        await eventually(lambda: len(scanner.engine.books) == len(VENUES), timeout_s=15, what="books")
        # the same pair dislocates twice within min_interval_s: two episodes, one start alert
        t0 = wall_ms() + 100
        sim.market.schedule.extend(
            [
                Dislocation("BTC/USDT", VENUES[0], t0, t0 + 500, 90.0),
                Dislocation("BTC/USDT", VENUES[0], t0 + 1200, t0 + 1700, 90.0),
            ]
        )
        pairs = len(VENUES) - 1
        await eventually(lambda: scanner.engine.stats.episodes_ended >= 2 * pairs, timeout_s=20, what="episodes")
        await rx.wait_for(pairs, timeout=10)
        scanner.stop()
        await task  # the notifier is drained: every alert it let through has reached the receiver
        posts = list(rx.posts)
    # start alerts ("arb BTC/USDT okx→bybit 90.00 bps"), counted per venue pair: each pair started two
    # episodes within min_interval_s, so exactly one start alert per pair may arrive
    starts = Counter(m.groups() for p in posts if (m := START_TITLE.fullmatch(p["title"])))
    assert len(starts) == pairs and set(starts.values()) == {1}, [p["title"] for p in posts]
    assert all(VENUES[0] in pair for pair in starts)
    assert notifier.stats["throttled"] >= pairs, notifier.stats  # the second start per pair was throttled
    assert any(VENUES[0] in p["message"] and "BTC/USDT" in (p["title"] + p["message"]) for p in posts)
    assert notifier.stats["failed"] >= 1  # the dead target failed, was logged, and nothing stopped
    assert scanner.engine.stats.episodes_started >= 2 * pairs
    for p in posts:
        assert "secret" not in json.dumps(p).lower()


async def test_library_scanner_yields_opportunities() -> None:
    async with LoopbackExchanges(
        venues=VENUES, symbols=["ETH/USDT"], seed=8, update_interval_ms=50, dislocation_rate_per_min=0.0
    ) as sim:
        exchanges = {v: getattr(ccxtpro, v)(sim.ccxt_config(v, key=None)) for v in VENUES}
        got = []
        async with Scanner(exchanges, ["ETH/USDT"], limits=LIMITS, own_exchanges=True) as scanner:
            await eventually(lambda: len(scanner.engine.books) == len(VENUES), timeout_s=15, what="books")
            t0 = wall_ms() + 100
            sim.market.schedule.append(Dislocation("ETH/USDT", VENUES[-1], t0, t0 + 800, -100.0))
            async with asyncio.timeout(15):
                async for opp in scanner:
                    got.append(opp)
                    if len(got) >= 3:
                        break
    assert all(o.buy_venue == VENUES[-1] and o.net_profit > 0 for o in got)


async def test_opportunities_command_filters_and_formats(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    proc = await start_arb(
        "demo",
        "--no-ui",
        "--duration",
        "8",
        "--db",
        str(db),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await proc.wait() == 0

    async def run(*args: str) -> str:
        p = await start_arb("opportunities", "--db", str(db), *args, stdout=asyncio.subprocess.PIPE)
        out, _ = await p.communicate()
        assert p.returncode == 0
        return out.decode()

    rows = json.loads(await run("--format", "json", "--limit", "0"))
    assert rows, "the demo logged episodes"
    sym = rows[0]["symbol"]
    only = json.loads(await run("--format", "json", "--symbol", sym, "--limit", "0"))
    assert only and all(r["symbol"] == sym for r in only)
    venue = rows[0]["buy_venue"]
    by_venue = json.loads(await run("--format", "json", "--venue", venue, "--limit", "0"))
    assert all(venue in (r["buy_venue"], r["sell_venue"]) for r in by_venue)
    hi = max(Decimal(r["peak_net_bps"]) for r in rows)
    assert len(json.loads(await run("--format", "json", "--min-bps", str(hi)))) >= 1
    table = list(csv.reader(io.StringIO(await run("--format", "csv", "--since", "1h"))))
    assert table[0][0] == "id" and len(table) == min(50, len(rows)) + 1
    assert "episode(s)" in await run()
    assert json.loads(await run("--format", "json", "--since", "2000-01-01T00:00")) != []
