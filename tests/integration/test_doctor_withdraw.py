"""`arb doctor` says so when the venue's API cannot tell whether a key may withdraw (arb never withdraws)."""

from __future__ import annotations

from pathlib import Path

from arb.config import Config
from arb.trade.doctor import run_doctor
from tests.kit.live import config_dict, key_env, start_sim


async def test_withdraw_permission_unknown_is_said(tmp_path: Path) -> None:
    # `myokx` is a ccxt.pro class of its own (OKX's API under another id) that arb has no key-info endpoint for
    sim = await start_sim(("okx", "okx2"))
    try:
        d = config_dict(sim, ("okx", "okx2"), tmp_path, mode="paper")
        d["venues"]["okx"]["ccxt_id"] = "myokx"
        cfg = Config.from_dict(d, env=key_env(sim, ("okx", "okx2"), "withdraw"))
        checks = {(c.venue, c.name): c for c in await run_doctor(cfg)}
    finally:
        await sim.stop()
    unknown = checks[("okx", "withdraw")]
    assert unknown.status == "warn" and "cannot tell" in unknown.detail and "arb never withdraws" in unknown.detail
    assert checks[("okx2", "withdraw")].status == "warn" and "CAN WITHDRAW" in checks[("okx2", "withdraw")].detail
