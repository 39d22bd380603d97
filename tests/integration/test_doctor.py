"""`arb doctor` against the loopback exchanges: keys that can withdraw, keys without an IP whitelist,
a skewed clock (injected on the simulator), keys that cannot trade, balances below minimums; a clean
setup passes. Every real dialect that has landed is checked through its own key-info endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from arb.cli import cli
from arb.config import Config
from arb.trade.doctor import Check, as_json, run_doctor
from exchanges.sim.base import ApiKey
from exchanges.sim.harness import DEMO_PASSPHRASE
from exchanges.sim.registry import available_venues
from tests.kit.live import AliasedLoopback, config_dict, key_env, start_sim, toml_text

DIALECTS = [v for v in ("okx", "binance", "bybit") if v in available_venues()]


def clean_key(venue: str) -> ApiKey:
    return ApiKey(
        f"{venue}-clean-key",
        f"{venue}-clean-secret",
        DEMO_PASSPHRASE,
        frozenset({"read", "trade"}),
        ip_whitelist=("127.0.0.1",),
        label="clean",
    )


@pytest.fixture
async def sims() -> AsyncIterator[dict[str, AliasedLoopback]]:
    """Per dialect, two servers of it (``okx`` and ``okx2``): a configuration needs two venues."""
    made: dict[str, AliasedLoopback] = {}
    for v in DIALECTS:
        made[v] = await start_sim((v, f"{v}2"), extra_keys={v: [clean_key(v)], f"{v}2": [clean_key(f"{v}2")]})
    yield made
    for s in made.values():
        await s.stop()


def config(sim: AliasedLoopback, venue: str, tmp: Path, key: str, **kwargs: Any) -> Config:
    venues = (venue, f"{venue}2")
    return Config.from_dict(config_dict(sim, venues, tmp, **kwargs), env=key_env(sim, venues, key))


async def doctor(sim: AliasedLoopback, venue: str, tmp: Path, key: str, **kwargs: Any) -> dict[str, Check]:
    checks = await run_doctor(config(sim, venue, tmp, key, **kwargs))
    assert {c.venue for c in checks} == {venue, f"{venue}2"}
    return {c.name: c for c in checks if c.venue == venue}


@pytest.mark.parametrize("venue", DIALECTS)
async def test_clean_setup_passes(sims: dict[str, AliasedLoopback], venue: str, tmp_path: Path) -> None:
    checks = await doctor(sims[venue], venue, tmp_path, "clean")
    assert {n: c.status for n, c in checks.items()} == dict.fromkeys(
        ("connect", "clock", "markets", "keys", "trade", "withdraw", "ip", "fees", "balances"), "ok"
    ), [c.line() for c in checks.values()]
    assert "taker 10 bps" in checks["fees"].detail and "restricted to" in checks["ip"].detail


@pytest.mark.parametrize("venue", DIALECTS)
async def test_withdraw_key_and_missing_ip_whitelist_are_flagged(
    sims: dict[str, AliasedLoopback], venue: str, tmp_path: Path
) -> None:
    checks = await doctor(sims[venue], venue, tmp_path, "withdraw")
    assert checks["withdraw"].status == "warn" and "CAN WITHDRAW" in checks["withdraw"].detail
    assert checks["ip"].status == "warn" and "not restricted" in checks["ip"].detail
    assert checks["trade"].status == "ok"


@pytest.mark.parametrize("venue", DIALECTS)
async def test_skewed_clock_is_flagged(sims: dict[str, AliasedLoopback], venue: str, tmp_path: Path) -> None:
    sims[venue].venue(venue).clock_offset_ms = 2_000
    checks = await doctor(sims[venue], venue, tmp_path, "clean")
    assert checks["clock"].status == "warn" and "skew +" in checks["clock"].detail
    sims[venue].venue(venue).clock_offset_ms = -20_000
    checks = await doctor(sims[venue], venue, tmp_path, "clean")
    assert checks["clock"].status == "fail" and "NTP" in checks["clock"].detail


async def test_read_only_key_cannot_trade_and_low_balance_fail(
    sims: dict[str, AliasedLoopback], tmp_path: Path
) -> None:
    sim = sims["okx"]
    checks = await doctor(sim, "okx", tmp_path, "readonly", risk={"min_balances": {"okx": {"USDT": 10_000_000}}})
    assert checks["trade"].status == "fail" and "read_only" in checks["trade"].detail
    assert checks["balances"].status == "fail" and "USDT" in checks["balances"].detail
    assert not as_json(list(checks.values()))["ok"]


async def test_unreachable_venue_fails_in_one_line(sims: dict[str, AliasedLoopback], tmp_path: Path) -> None:
    d = config_dict(sims["okx"], ("okx", "okx2"), tmp_path, mode="paper")
    d["venues"]["okx"]["options"] = {"urls": {"api": {"rest": "http://127.0.0.1:9"}}, "timeout": 500}
    checks = await run_doctor(Config.from_dict(d, env={}))
    assert [(c.name, c.status) for c in checks if c.venue == "okx"] == [("connect", "fail")]


async def test_cli_exit_codes_and_lines(sims: dict[str, AliasedLoopback], tmp_path: Path) -> None:
    sim = sims["okx"]
    path = tmp_path / "arb.toml"
    path.write_text(toml_text(config_dict(sim, ("okx", "okx2"), tmp_path)), encoding="utf-8")
    runner = CliRunner()
    env = key_env(sim, ("okx", "okx2"), "clean")
    ok = await asyncio.to_thread(runner.invoke, cli, ["doctor", "--config", str(path)], env=env)
    assert ok.exit_code == 0, ok.output
    lines = ok.output.splitlines()
    assert len(lines) == 18 and all(x.startswith("OK") for x in lines)  # one line per check, 9 per venue
    sim.venue("okx").clock_offset_ms = 20_000
    bad = await asyncio.to_thread(runner.invoke, cli, ["doctor", "--config", str(path)], env=env)
    assert bad.exit_code == 1 and any(x.startswith("FAIL okx") and "clock" in x for x in bad.output.splitlines())
