"""`arb run` with ``[api] enabled`` in its config file (a live run against the loopback venues, as users start
it): the API's kill is `arb kill` — the run halts, our resting order on the venue is cancelled and nothing more
is sent; the action is journaled with who did it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import aiohttp

from arb.store import Journal
from tests.kit.builders import toml_text
from tests.kit.live import SYM, Setup, config_dict, key_env, plant
from tests.kit.poll import eventually
from tests.kit.run import start_live_run

VENUES = ("okx", "okx2")
TOKEN = "run-cli-test-token-0123456789abcdef"


async def test_api_kill_of_a_live_run_cancels_orders_and_goes_alert_only(setup: Setup, tmp_path: Path) -> None:
    sim = await setup.sim(VENUES, update_interval_ms=50)
    doc = config_dict(sim, VENUES, tmp_path) | {"api": {"enabled": True, "port": 0}}
    path = tmp_path / "arb.toml"
    path.write_text(toml_text(doc), encoding="utf-8")
    err = tmp_path / "stderr.txt"
    with open(err, "wb") as errf:
        proc = await start_live_run(
            path, key_env(sim, VENUES) | {"ARB_API_TOKEN": TOKEN}, stdout=asyncio.subprocess.DEVNULL, stderr=errf
        )
        try:
            m = await eventually(lambda: re.search(r"api: listening on (http://\S+)", err.read_text()), timeout_s=60)
            url = m.group(1)
            auth = {"Authorization": f"Bearer {TOKEN}"}
            async with aiohttp.ClientSession(base_url=url, headers=auth) as http:

                async def status() -> dict[str, Any]:
                    async with http.get("/api/status") as r:
                        assert r.status == 200
                        return dict(await r.json())

                async def ready() -> bool:
                    return bool((await status())["ready"])

                assert (await status())["mode"] == "live"
                await eventually(ready, timeout_s=30, what="trader ready")
                # an order of ours resting far below the market, as a leg would if a venue ignored IOC
                client = setup.clients(sim, ("okx",))["okx"]
                low = round(float(sim.book("okx", SYM).bids[0][0]) * 0.9, 1)
                resting = await client.create_order(SYM, "limit", "buy", 0.001, low, {"clOrdId": "arbrestingapikill1"})
                engine = sim.venue("okx").engine
                async with http.post("/api/kill", json={"reason": "api test"}) as r:
                    assert r.status == 200 and (await r.json())["who"] == "env"
                await eventually(lambda: engine.orders[resting["id"]].status == "canceled", timeout_s=20)
                st = await status()
                assert st["halt"]["reason"] == "kill" and "api test" in st["halt"]["detail"]
                sent = len(sim.order_log)
                plant(sim, "okx2", 60.0)
                await eventually(lambda: _refused(tmp_path / "arb.db"), timeout_s=20, what="a halted_kill decision")
                assert len(sim.order_log) == sent  # alert-only: nothing more reached a venue
        finally:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 30)
    with Journal.open(tmp_path / "arb.db", readonly=True) as j:
        controls = [e["detail"] for e in j.events(kind="control")]
        assert any(c.startswith("kill by env: kill file") for c in controls)
        assert any("kill" in e["detail"] for e in j.events(kind="halt"))
    assert TOKEN not in err.read_text()


def _refused(db: Path) -> bool:
    with Journal.open(db, readonly=True) as j:
        return any('"halted_kill"' in e["detail"] for e in j.events(kind="decision"))
