"""Transfer-aware opportunities on the loopback venues: a network suspended on one venue marks the opportunity
not transferable, journals an event and alerts (apprise to a real local receiver); under
``require_transferable`` the opportunity is skipped; resumed, it is transferable again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.pro as ccxtpro
import pytest

from arb.core.model import Limits
from arb.inventory.marks import TransferMarks
from arb.inventory.watch import NetworkWatch
from arb.notify import Notifier
from arb.scan.scanner import Scanner
from arb.store import Journal
from exchanges.sim.harness import LoopbackExchanges
from exchanges.sim.market import Dislocation
from tests.integration.test_scanner import wall_ms
from tests.kit.poll import eventually
from tests.kit.run import start_arb
from tests.receiver import Receiver

VENUES = ["okx", "binance"]
SYM = "BTC/USDT"
LIMITS = Limits(min_net_bps=Decimal("5"), min_net_profit=Decimal("0.5"), max_notional=Decimal("1000"))
pytestmark = pytest.mark.timeout(60)


class Rig:
    def __init__(self, sim: LoopbackExchanges, rx: Receiver, scanner: Scanner, journal: Journal) -> None:
        self.sim, self.rx, self.scanner, self.journal = sim, rx, scanner, journal

    def dislocate(self, seconds: float = 60) -> None:
        """okx 90 bps rich for a while: buy binance → sell okx (BTC binance→okx, USDT okx→binance)."""
        t0 = wall_ms() + 50
        self.sim.market.schedule.append(Dislocation(SYM, "okx", t0, t0 + int(seconds * 1000), 90.0))

    def episode(self) -> Any:
        open_ = self.scanner.engine.tracker.open.get((SYM, "binance", "okx"))
        return None if open_ is None else open_.ep

    def rows(self) -> list[dict[str, Any]]:
        return [r for r in self.journal.episodes() if (r["buy_venue"], r["sell_venue"]) == ("binance", "okx")]

    def events(self, kind: str) -> list[dict[str, Any]]:
        return self.journal.events(kind=kind)


@pytest.fixture
async def rig(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    param = getattr(request, "param", "keys")  # "keys", "require" (keys + require_transferable) or "nokeys"
    require = param == "require"
    async with (
        Receiver() as rx,
        LoopbackExchanges(
            venues=VENUES, symbols=[SYM], seed=5, update_interval_ms=50, dislocation_rate_per_min=0.0
        ) as sim,
    ):
        journal = Journal.open(tmp_path / "arb.db")
        notifier = Notifier([rx.url], min_interval_s=0, retries=1, backoff_s=0.05)
        readers = {
            v: None if param == "nokeys" else getattr(ccxtpro, v)(sim.ccxt_config(v, key="readonly")) for v in VENUES
        }
        watch = NetworkWatch(readers, [SYM], TransferMarks(require=require), refresh_s=0.2)
        exchanges = {v: getattr(ccxtpro, v)(sim.ccxt_config(v, key=None)) for v in VENUES}
        scanner = Scanner(
            exchanges,
            [SYM],
            limits=LIMITS,
            journal=journal,
            notifier=notifier,
            own_exchanges=True,
            flush_ms=20,
            transfers=watch,
        )
        task = asyncio.create_task(scanner.run())
        try:
            await eventually(lambda: len(scanner.engine.books) == 2 and watch.loaded.is_set(), 15, what="ready")
            yield Rig(sim, rx, scanner, journal)
        finally:
            scanner.stop()
            await task
            journal.close()


async def test_suspended_network_marks_not_transferable_events_and_alerts_then_resumes(rig: Rig) -> None:
    rig.dislocate()
    ep = await eventually(rig.episode, 15, what="episode")
    assert ep.transferable == "yes", ep.transfer_detail
    assert "USDT okx→binance via TRC20" in (ep.transfer_detail or "")  # the cheapest USDT network
    assert ep.transfer_cost is not None and ep.transfer_cost > 0  # (0.0001 BTC × price + 1 USDT) per BTC traded
    await eventually(lambda: [r for r in rig.rows() if r["transferable"] == "yes"], 10, what="journaled yes")

    rig.sim.set_transfers("okx", "USDT", withdraw=False)  # USDT cannot leave okx on any network
    await eventually(lambda: ep.transferable == "no", 10, what="marked no")
    assert "withdrawals suspended at okx" in (ep.transfer_detail or "")
    await eventually(lambda: [r for r in rig.rows() if r["transferable"] == "no"], 10, what="journaled no")
    await eventually(lambda: len(rig.events("network_suspended")) == 2, 10, what="suspended events")  # ERC20, TRC20
    detail = rig.events("network_suspended")[0]["detail"]
    assert "USDT withdraw on ERC20 at okx suspended" in detail
    await rig.rx.wait_for(2, timeout=10)
    await eventually(lambda: any("USDT withdraw suspended on okx" in p["title"] for p in rig.rx.posts), 10)

    rig.sim.set_transfers("okx", "USDT", "TRC20", withdraw=True)
    await eventually(lambda: ep.transferable == "yes", 10, what="marked yes again")
    await eventually(lambda: rig.events("network_resumed"), 10, what="resumed event")
    await eventually(lambda: any("resumed on okx (TRC20)" in p["title"] for p in rig.rx.posts), 10)
    await eventually(lambda: rig.rows()[-1]["transferable"] == "yes", 10, what="journaled yes again")

    def trc20_suspended() -> int:
        return sum("USDT withdraw suspended on okx (TRC20)" in p["title"] for p in rig.rx.posts)

    rig.sim.set_transfers("okx", "USDT", "TRC20", withdraw=False)  # the same suspension again, minutes apart or not
    await eventually(lambda: trc20_suspended() == 2, 10, what="a repeated suspension alerted again")

    trc20 = next(n for n in rig.sim.venue("okx").wallets.get("USDT") if n.network == "TRC20")
    trc20.withdraw_fee = Decimal("2.5")  # the venue raises its fee: the journaled networks follow

    def journaled_fee() -> Any:
        from arb.inventory.watch import journaled_table

        table = journaled_table(rig.events("networks"))
        return table is not None and table.networks("okx", "USDT")["TRC20"].withdraw_fee == Decimal("2.5")

    await eventually(journaled_fee, 10, what="the new fee journaled")


@pytest.mark.parametrize("rig", ["require"], indirect=True)
async def test_require_transferable_skips_until_the_network_resumes(rig: Rig) -> None:
    rig.sim.set_transfers("okx", "BTC", deposit=False)  # BTC cannot reach okx: buy binance → sell okx is stuck
    await eventually(lambda: rig.events("network_suspended"), 10, what="suspended event")
    rig.dislocate()
    marks = rig.scanner.sink.marks
    assert marks is not None
    await eventually(lambda: marks.skipped >= 3, 15, what="opportunities skipped")
    ep = rig.episode()
    assert ep is not None and ep.transferable == "no"
    assert rig.rows() == [] and not [p for p in rig.rx.posts if p["title"].startswith(f"arb {SYM} binance→okx")]

    rig.sim.set_transfers("okx", "BTC", deposit=True)
    await eventually(lambda: [r for r in rig.rows() if r["transferable"] == "yes"], 15, what="episode journaled")
    start = await eventually(
        lambda: next((p for p in rig.rx.posts if p["title"].startswith(f"arb {SYM} binance→okx")), None), 10
    )
    assert "transferable yes" in start["message"] and "BTC binance→okx via BTC" in start["message"]


@pytest.mark.parametrize("rig", ["nokeys"], indirect=True)
async def test_without_keys_transfer_data_is_unknown_and_the_opportunities_filter_says_so(rig: Rig) -> None:
    await eventually(lambda: len(rig.events("transfers_unknown")) == 2, 10, what="unknown events")
    assert "no API keys" in rig.events("transfers_unknown")[0]["detail"]
    rig.dislocate()
    ep = await eventually(rig.episode, 15, what="episode")
    assert (
        ep.transferable == "unknown" and ep.transfer_cost is None and "no transfer data" in (ep.transfer_detail or "")
    )
    await eventually(lambda: [r for r in rig.rows() if r["transferable"] == "unknown"], 10, what="journaled unknown")
    async with asyncio.timeout(10):
        async for opp in rig.scanner:  # library users see the mark on each opportunity
            assert opp.meta["transferable"] == "unknown" and opp.meta["transfer_cost"] is None
            break
    db = str(rig.journal.path)

    async def listed(*args: str) -> list[dict[str, Any]]:
        p = await start_arb("opportunities", "--db", db, "--format", "json", *args, stdout=asyncio.subprocess.PIPE)
        out, _ = await p.communicate()
        assert p.returncode == 0
        return json.loads(out)  # type: ignore[no-any-return]

    unknown = await listed("--transferable", "unknown")
    assert unknown and all(r["transferable"] == "unknown" for r in unknown)
    assert await listed("--transferable", "yes") == []
    p = await start_arb("opportunities", "--db", db, "--transferable", "maybe", stderr=asyncio.subprocess.PIPE)
    _, err = await p.communicate()
    assert p.returncode == 2 and "--transferable" in err.decode()
